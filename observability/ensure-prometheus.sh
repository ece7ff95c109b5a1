#!/usr/bin/env bash
# Makes `promtool` and `prometheus` available for the observability tests (rule checks and the
# dashboard-against-a-real-Prometheus test). Uses Debian's `prometheus` package; installing it must not
# leave a Prometheus server running (it would hold :9090 and scrape nothing of ours), so service starts are
# blocked with policy-rc.d, and any server process that appears during the install is stopped by PID.
set -euo pipefail

have_tools() { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; }

if have_tools; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: promtool/prometheus are missing and apt-get is not available; install Prometheus (>= 2.42) so that promtool and prometheus are on PATH" >&2
  exit 1
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: installing prometheus needs root (or sudo)" >&2; exit 1; }
  SUDO="sudo"
fi

# Block service starts from maintainer scripts unless a policy is already in place (e.g. Docker images).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 0755 "$policy"
  created_policy=1
fi
cleanup() {
  if [[ "$created_policy" == "1" ]]; then $SUDO rm -f "$policy"; fi
}
trap cleanup EXIT

before="$(pgrep -x prometheus || true)"

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null

# Stop only server processes that were not there before the install.
after="$(pgrep -x prometheus || true)"
for pid in $after; do
  if ! grep -qx "$pid" <<<"$before"; then
    echo "stopping prometheus daemon (pid $pid) started by the package install" >&2
    $SUDO kill "$pid" 2>/dev/null || true
  fi
done

if ! have_tools; then
  echo "error: the prometheus package was installed but promtool/prometheus are still not on PATH" >&2
  exit 1
fi
promtool --version 2>&1 | head -1 >&2
