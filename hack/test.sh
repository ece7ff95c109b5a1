#!/usr/bin/env bash
# The whole test suite: installs what it needs (Node 24, npm packages, kube-apiserver + etcd,
# promtool + Prometheus), then typechecks and runs unit and integration tests.
# Extra arguments go to vitest (e.g. hack/test.sh --project unit).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib-deps.sh
ensure_deps
if [[ -f observability/ensure-prometheus.sh ]]; then bash observability/ensure-prometheus.sh; fi
echo "control-plane binaries: $(bash hack/control-plane-bins.sh)"
# Helm for the chart tests (built from Go modules once, cached by version)
HELM_BIN="$(bash hack/helm-bin.sh)"; export HELM_BIN
echo "helm: $HELM_BIN"
echo "--- typecheck"
npx tsc -p tsconfig.json --noEmit
echo "--- format (prettier)"
npx prettier --check . >/dev/null || { npx prettier --check . ; echo "run: npm run format" >&2; exit 1; }
echo "--- lint (eslint, type-aware)"
npx eslint .
echo "--- CRD up to date with the upstream AKSNodeClass CRD (third_party/crds)"
npx tsx hack/generate-crd.ts --check
echo "--- tests"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
set +e
npx vitest run "$@" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
# vitest may print worker shutdown notices after its summary: repeat the plain count line last
summary="$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$LOG" | tail -1 || true)"
if [[ -n "$summary" ]]; then echo; echo "$summary"; fi
exit "$status"
