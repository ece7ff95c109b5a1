#!/usr/bin/env bash
# Prints the path of a helm binary (used by the chart tests and by hack/render-manifests.sh).
# Order: $HELM_BIN when executable; else a version-keyed cache outside the repo; else builds Helm
# from its Go module (no release binary is downloaded). Progress goes to stderr; stdout carries
# only the path. A cold build takes 2-4 minutes on 2 cores.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v4.3.1}"
HELM_MAJOR="${HELM_VERSION%%.*}"

log() { echo "helm-bin: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -n "${HELM_BIN:-}" && -x "${HELM_BIN}" ]]; then echo "${HELM_BIN}"; exit 0; fi

CACHE_ROOT="${AKS_SUBNET_HEALTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aks-subnet-health}"
OUT="${CACHE_ROOT}/helm-${HELM_VERSION}"
if [[ -x "$OUT/helm" ]]; then echo "$OUT/helm"; exit 0; fi

command -v go >/dev/null 2>&1 || die "Go is not installed. Install Go >= 1.26 (https://go.dev/doc/install) or set HELM_BIN to a helm ${HELM_MAJOR} binary."

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/build-helm-${HELM_VERSION}.lock"
log "waiting for build lock"
flock 9
if [[ -x "$OUT/helm" ]]; then echo "$OUT/helm"; exit 0; fi

START=$(date +%s)
WORK="$(mktemp -d)"
TMP="$OUT.tmp"
trap 'rm -rf "$WORK" "$TMP"' EXIT
rm -rf "$TMP"; mkdir -p "$TMP"
log "building helm ${HELM_VERSION} from Go modules"
cd "$WORK"
go mod init local.invalid/helmbin >/dev/null 2>&1
go get "helm.sh/helm/${HELM_MAJOR}/cmd/helm@${HELM_VERSION}" >&2
# the version Helm reports (and checks charts' kubeVersion against) is set by ldflags, as its Makefile does
LDX="-X helm.sh/helm/${HELM_MAJOR}/internal/version.version=${HELM_VERSION} -X helm.sh/helm/${HELM_MAJOR}/internal/version.metadata= -X helm.sh/helm/${HELM_MAJOR}/internal/version.gitTreeState=clean"
go build -trimpath -ldflags "-s -w ${LDX}" -o "$TMP/helm" "helm.sh/helm/${HELM_MAJOR}/cmd/helm" >&2
"$TMP/helm" version --short >/dev/null || die "the built helm does not run"
echo "helm=${HELM_VERSION} seconds=$(( $(date +%s) - START ))" > "$TMP/VERSION"
rm -rf "$OUT"; mv "$TMP" "$OUT"
log "built in $(( $(date +%s) - START ))s into $OUT"
echo "$OUT/helm"
