# Sourced by hack/ scripts: Node 24 on PATH and node_modules matching package-lock.json.
source "$(dirname "${BASH_SOURCE[0]}")/lib-node.sh"
ensure_deps() {
  ensure_node || return 1
  local stamp="node_modules/.lock-sha256"
  local want; want="$(sha256sum package-lock.json | cut -d' ' -f1)-$(node -p process.version)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "installing npm dependencies (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
    echo "$want" > "$stamp"
  fi
}
