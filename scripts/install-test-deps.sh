#!/usr/bin/env bash
# Installs the system packages the test suite needs. Idempotent; a no-op when all are present.
# Today the tests need nothing beyond Rust: upstreams, TLS certificates and clients are
# created by the tests themselves. curl is used by the demo smoke test.
set -euo pipefail
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
