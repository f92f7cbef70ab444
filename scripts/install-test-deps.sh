#!/usr/bin/env bash
# Installs the system packages the test suite needs. Idempotent; a no-op when all are present.
# Today the tests need nothing beyond Rust: upstreams, TLS certificates and clients are
# created by the tests themselves (Redis and others will be installed here when tests need them).
set -euo pipefail
need=()
# e.g.: command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
