#!/usr/bin/env bash
# Stops exactly what hack/local-up.sh started, by the PIDs it recorded in .local/env.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib-pid.sh
LOCAL="${AKS_SUBNET_HEALTH_LOCAL_DIR:-$PWD/.local}"
ENV_FILE="$LOCAL/env"
if [[ ! -f "$ENV_FILE" ]]; then echo "nothing to stop (no $ENV_FILE)"; exit 0; fi
# only the PIDs: sourcing the whole file would also change this shell's PATH
eval "$(grep -E '^export (OPERATOR|SIM|APISERVER|ETCD)_PID=' "$ENV_FILE")"
stop_pid() {
  local name="$1" pid="${2:-}"
  [[ -z "$pid" ]] && return 0
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "stopped $name (pid $pid)"
  fi
}
# operator first (it writes to the API server and reads the simulator), the control plane last
stop_pid operator "${OPERATOR_PID:-}"
stop_pid azure-sim "${SIM_PID:-}"
stop_pid kube-apiserver "${APISERVER_PID:-}"
stop_pid etcd "${ETCD_PID:-}"
rm -rf "$LOCAL"
echo "local stack stopped"
