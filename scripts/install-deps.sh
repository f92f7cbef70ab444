#!/usr/bin/env bash
# Installs the system packages Parapet's tests and benchmarks need, from Debian:
#   - redis-server, redis-tools: the shared-state tests start their own servers (single
#     node, killed and restarted; a three-node cluster) on loopback ports.
# Idempotent: does nothing when everything is already there. Needs root (or sudo).
set -euo pipefail

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
# The tests start their own servers; the packaged service is not needed.
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
    $sudo systemctl stop redis-server || true
fi
