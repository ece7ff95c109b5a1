# Sourced by hack/ scripts. A zombie (exited, not yet reaped: common when PID 1 of a container does
# not reap) still answers kill -0, so "alive" also checks the process state.
pid_alive() {
  local pid="${1:-}"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    local state
    state="$(cut -d' ' -f3 < "/proc/$pid/stat" 2>/dev/null || echo Z)"
    [[ "$state" != "Z" && "$state" != "X" ]] || return 1
  fi
  return 0
}
