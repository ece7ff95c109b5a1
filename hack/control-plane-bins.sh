#!/usr/bin/env bash
# Prints a directory holding kube-apiserver, etcd and kubectl.
# Order: $KUBEBUILDER_ASSETS (or TEST_ASSET_* per binary) when they hold both; else a version-keyed
# cache outside the repo; else builds both from Go modules (no downloads of release binaries).
# All progress goes to stderr; stdout carries only the directory.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
MINOR="${K8S_VERSION#v1.}"; MINOR="${MINOR%%.*}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"

log() { echo "control-plane-bins: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "${KUBEBUILDER_ASSETS}/kube-apiserver" && -x "${KUBEBUILDER_ASSETS}/etcd" ]]; then
  echo "${KUBEBUILDER_ASSETS}"; exit 0
fi
if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  log "KUBEBUILDER_ASSETS=${KUBEBUILDER_ASSETS} lacks kube-apiserver or etcd; falling back to the cache"
fi

CACHE_ROOT="${AKS_SUBNET_HEALTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aks-subnet-health}"
OUT="${K8S_BIN_DIR:-${CACHE_ROOT}/k8s-${K8S_VERSION}}"
have_all() { [[ -x "$OUT/kube-apiserver" && -x "$OUT/etcd" && -x "$OUT/kubectl" ]]; }
if have_all; then echo "$OUT"; exit 0; fi

command -v go >/dev/null 2>&1 || die "Go is not installed. Install Go >= 1.26 (https://go.dev/doc/install) or set KUBEBUILDER_ASSETS to a directory holding kube-apiserver and etcd."
GOVER="$(go env GOVERSION)"; GOVER="${GOVER#go}"
GOMAJ="${GOVER%%.*}"; GOMIN="${GOVER#*.}"; GOMIN="${GOMIN%%.*}"
if (( GOMAJ < 1 || (GOMAJ == 1 && GOMIN < 26) )); then
  die "Kubernetes ${K8S_VERSION} needs Go >= 1.26, found go${GOVER}. Install a newer Go or set KUBEBUILDER_ASSETS."
fi

check_space() {
  local dir="$1" need_kb=$((5 * 1024 * 1024))
  mkdir -p "$dir"
  local avail; avail="$(df -Pk "$dir" | awk 'NR==2 {print $4}')"
  if (( avail < need_kb )); then
    die "only $((avail / 1024)) MiB free under $dir; building kube-apiserver needs about 5 GiB (module + build cache). Free space or point GOMODCACHE/GOCACHE elsewhere."
  fi
}
check_space "$(go env GOMODCACHE)"
check_space "$(go env GOCACHE)"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$CACHE_ROOT"
LOCK="$CACHE_ROOT/build-${K8S_VERSION}.lock"
exec 9>"$LOCK"
log "waiting for build lock $LOCK" 
flock 9
if have_all; then echo "$OUT"; exit 0; fi

START=$(date +%s)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK" "$OUT.tmp"' EXIT
TMP="$OUT.tmp"; rm -rf "$TMP"; mkdir -p "$TMP"
# keep binaries a previous (partial) build already produced
if [[ -d "$OUT" ]]; then cp -a "$OUT"/. "$TMP"/; fi

log "building kube-apiserver ${K8S_VERSION} from Go modules (cold build: 10-20 min on 2 cores)"
mkdir -p "$WORK/k8s" && cd "$WORK/k8s"
go mod init local.invalid/k8sbins >/dev/null 2>&1
UPSTREAM_GOMOD="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
[[ -f "$UPSTREAM_GOMOD" ]] || die "could not download k8s.io/kubernetes@${K8S_VERSION} (check GOPROXY)"
STAGING="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' "$UPSTREAM_GOMOD" | sort -u)"
[[ -n "$STAGING" ]] || STAGING="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) v0.0.0$#\1#p' "$UPSTREAM_GOMOD" | sort -u)"
for m in $STAGING; do go mod edit "-replace=${m}=${m}@${STAGING_VERSION}"; done
GOLINE="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$UPSTREAM_GOMOD" | head -1)"
[[ -n "$GOLINE" ]] && go mod edit "-go=${GOLINE}"
while read -r gd; do [[ -n "$gd" ]] && go mod edit "-godebug=${gd}"; done < <(sed -n 's/^godebug \(.*\)$/\1/p' "$UPSTREAM_GOMOD" | tr -d ' ')
go get "k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}" >&2
BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
LDX=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDX+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${MINOR} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${BUILD_DATE}"
done
for cmd in kube-apiserver kubectl; do
  [[ -x "$TMP/$cmd" ]] && continue
  log "building $cmd"
  [[ "$cmd" == kubectl ]] && go get "k8s.io/kubernetes/cmd/kubectl@${K8S_VERSION}" >&2
  go build -trimpath -ldflags "-s -w${LDX}" -o "$TMP/$cmd" "k8s.io/kubernetes/cmd/$cmd" >&2
done

ETCD_VERSION="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
if [[ ! -x "$TMP/etcd" ]]; then
[[ -n "$ETCD_VERSION" ]] || die "could not determine the etcd version k8s.io/apiserver pins"
log "building etcd ${ETCD_VERSION}"
mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
go mod init local.invalid/etcdbin >/dev/null 2>&1
go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >&2
go build -trimpath -ldflags "-s -w" -o "$TMP/etcd" go.etcd.io/etcd/server/v3 >&2
fi

echo "kubernetes=${K8S_VERSION} etcd=${ETCD_VERSION} built=${BUILD_DATE} seconds=$(( $(date +%s) - START ))" > "$TMP/VERSION"
rm -rf "$OUT.old"; [[ -d "$OUT" ]] && mv "$OUT" "$OUT.old"; mv "$TMP" "$OUT"; rm -rf "$OUT.old"
log "built in $(( $(date +%s) - START ))s into $OUT"
echo "$OUT"
