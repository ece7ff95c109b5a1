#!/usr/bin/env bash
# Starts the local stack in the background: a real kube-apiserver + etcd, the ARM simulator with
# examples/topology.yaml, and the operator against both. Writes .local/env (source it).
#
# usage: hack/local-up.sh [--no-sim] [--no-operator] [--crd ours|upstream] [--topology FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
WITH_SIM=1; WITH_OPERATOR=1; CRD=ours; TOPOLOGY="$ROOT/examples/topology.yaml"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-sim) WITH_SIM=0; WITH_OPERATOR=0 ;;
    --no-operator) WITH_OPERATOR=0 ;;
    --crd) CRD="$2"; shift ;;
    --topology) TOPOLOGY="$(realpath "$2")"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

LOCAL="${AKS_SUBNET_HEALTH_LOCAL_DIR:-$ROOT/.local}"
ENV_FILE="$LOCAL/env"
source hack/lib-pid.sh
if [[ -f "$ENV_FILE" ]]; then
  eval "$(grep -E '^export (OPERATOR|SIM|APISERVER|ETCD)_PID=' "$ENV_FILE")"
  alive=1
  for pid in "${ETCD_PID:-}" "${APISERVER_PID:-}" "${SIM_PID:-}" "${OPERATOR_PID:-}"; do
    [[ -n "$pid" ]] && ! pid_alive "$pid" && alive=0
  done
  if (( alive )); then
    echo "local stack already running (source $ENV_FILE; stop with hack/local-down.sh)"
    exit 0
  fi
  echo "a previous local stack is partly gone; cleaning it up" >&2
  bash hack/local-down.sh >/dev/null
fi

source hack/lib-deps.sh
ensure_deps
echo "building the operator (npm run build)" >&2
npm run --silent build >&2
BINS="$(bash hack/control-plane-bins.sh)"
mkdir -p "$LOCAL"
: > "$ENV_FILE"
chmod 600 "$ENV_FILE"
record() { echo "export $1=$(printf '%q' "$2")" >> "$ENV_FILE"; }

echo "starting kube-apiserver + etcd" >&2
STATE="$(npx tsx hack/control-plane.ts start --dir "$LOCAL/control-plane" --crd "$CRD")"
field() { node -e 'const s=JSON.parse(process.argv[1]); process.stdout.write(String(s[process.argv[2]]))' "$STATE" "$1"; }
record KUBECONFIG "$(field kubeconfig)"
record KUBECTL "$BINS/kubectl"
record ETCD_PID "$(field etcdPid)"
record APISERVER_PID "$(field apiserverPid)"
echo "export PATH=\"$BINS:$(dirname "$(command -v node)"):\$PATH\"" >> "$ENV_FILE"

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'; }

if (( WITH_SIM )); then
  echo "starting the ARM simulator ($TOPOLOGY)" >&2
  # the simulator is development-only: it runs from source (tsx), never from the operator's dist/
  nohup node --import tsx src/sim/cli.ts serve --topology "$TOPOLOGY" --port 0 --ca-out "$LOCAL/arm-sim-ca.pem" \
    > "$LOCAL/arm-sim.out" 2> "$LOCAL/arm-sim.log" < /dev/null &
  SIM_PID=$!
  record SIM_PID "$SIM_PID"
  for _ in $(seq 1 150); do
    [[ -s "$LOCAL/arm-sim.out" ]] && break
    pid_alive "$SIM_PID" || { cat "$LOCAL/arm-sim.log" >&2; exit 1; }
    sleep 0.1
  done
  SIM_URL="$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0]; process.stdout.write(JSON.parse(l).url)' "$LOCAL/arm-sim.out")"
  record ARM_SIM_URL "$SIM_URL"
  record ARM_SIM_CA_FILE "$LOCAL/arm-sim-ca.pem"
  # what running the operator by hand against this stack needs (see the hint printed at the end):
  # the example topology's cluster and the token of its operator principal
  IDS="$(node --import tsx src/sim/cli.ts example-ids)"
  id() { node -e 'process.stdout.write(JSON.parse(process.argv[1])[process.argv[2]])' "$IDS" "$1"; }
  CLUSTER_ID="$(id EXAMPLE_CLUSTER_ID)"
  record EXAMPLE_CLUSTER_RESOURCE_ID "$CLUSTER_ID"
  node --import tsx src/sim/cli.ts token --oid "$(id OPERATOR_PRINCIPAL_ID)" > "$LOCAL/operator-token"
  chmod 600 "$LOCAL/operator-token"
  record OPERATOR_TOKEN_FILE "$LOCAL/operator-token"
fi

if (( WITH_OPERATOR )); then
  METRICS_PORT="$(free_port)"; HEALTH_PORT="$(free_port)"
  echo "starting the operator" >&2
  nohup node dist/cli/main.js run \
    --kubeconfig "$LOCAL/control-plane/kubeconfig" \
    --arm-endpoint "$SIM_URL" --azure-ca-file "$LOCAL/arm-sim-ca.pem" --azure-token-file "$LOCAL/operator-token" \
    --cluster-resource-id "$CLUSTER_ID" \
    --resync-period "${RESYNC_PERIOD:-15s}" --status-numbers-min-interval "${STATUS_NUMBERS_MIN_INTERVAL:-15s}" \
    --metrics-bind-address "127.0.0.1:$METRICS_PORT" --health-probe-bind-address "127.0.0.1:$HEALTH_PORT" \
    --pod-name local-operator \
    > "$LOCAL/operator.log" 2>&1 < /dev/null &
  OPERATOR_PID=$!
  record OPERATOR_PID "$OPERATOR_PID"
  record METRICS_URL "http://127.0.0.1:$METRICS_PORT/metrics"
  record HEALTH_URL "http://127.0.0.1:$HEALTH_PORT"
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$HEALTH_PORT/readyz" >/dev/null 2>&1 && break
    pid_alive "$OPERATOR_PID" || { tail -20 "$LOCAL/operator.log" >&2; exit 1; }
    sleep 0.2
  done
fi

echo "local stack up. Use it with:  source $ENV_FILE && kubectl get aksnodeclass" >&2
if (( WITH_SIM && ! WITH_OPERATOR )); then
  echo "run the operator by hand against it:  source $ENV_FILE && node dist/cli/main.js run --kubeconfig \"\$KUBECONFIG\" \\" >&2
  echo "  --arm-endpoint \"\$ARM_SIM_URL\" --azure-ca-file \"\$ARM_SIM_CA_FILE\" --azure-token-file \"\$OPERATOR_TOKEN_FILE\" \\" >&2
  echo "  --cluster-resource-id \"\$EXAMPLE_CLUSTER_RESOURCE_ID\"" >&2
fi
echo "logs: $LOCAL/*.log, $LOCAL/control-plane/*.log; stop with hack/local-down.sh" >&2
