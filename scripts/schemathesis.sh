#!/usr/bin/env bash
# Contract enforcement, tested by a real client: Schemathesis generates requests from
# examples/bookstore.openapi.yaml, conforming ones (positive) and violating ones (negative),
# and sends them to Parapet in front of the demo bookstore, with the contract enforced
# (scripts/schemathesis/gateway.yaml). The checks in scripts/schemathesis/hooks.py require
# that every negative request is refused by Parapet itself (4xx problem+json, never the
# upstream's answer) and that no positive request is refused for the contract or gets a 5xx.
#
#   scripts/schemathesis.sh [extra `st run` options, e.g. --max-examples 200 --seed 7]
#
# Needs python3 (with venv) and cargo. Installs the pinned Schemathesis
# (scripts/schemathesis/requirements.txt) into target/schemathesis-venv, reused while the
# pins do not change; builds parapet; runs `parapet demo --config
# scripts/schemathesis/gateway.yaml` (ports 127.0.0.1:8080, 9090, 9901 must be free) and
# stops it on exit. Traffic goes to loopback only. Writes only under target/ (the venv;
# target/schemathesis/ holds the gateway's output and logs, and a JUnit report). Exits
# non-zero when Schemathesis reports any failure or error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HERE="$ROOT/scripts/schemathesis"
VENV="$ROOT/target/schemathesis-venv"
WORK="$ROOT/target/schemathesis"
GATEWAY="http://127.0.0.1:8080"
READY="http://127.0.0.1:9901/readyz"

log() { printf '[schemathesis.sh] %s\n' "$*" >&2; }

# --- Schemathesis, pinned, in a venv under target/ ------------------------------------------
if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    log "removing a broken venv at $VENV"
    rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
fi
if ! cmp -s "$HERE/requirements.txt" "$VENV/.requirements.txt"; then
    log "installing $(grep -m1 '^schemathesis==' "$HERE/requirements.txt")"
    start=$SECONDS
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-cache-dir --no-input -q \
        -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$VENV/.requirements.txt"
    log "installed in $((SECONDS - start)) s"
fi

# --- the gateway ------------------------------------------------------------------------------
log "building parapet"
cargo build --locked -p parapet

for port in 8080 9090 9901; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        log "127.0.0.1:$port is already in use (another parapet demo?); stop it first"
        exit 1
    fi
done

rm -rf "$WORK"
mkdir -p "$WORK"
PARAPET_PID=""
stop_gateway() {
    if [[ -n "$PARAPET_PID" ]] && kill -0 "$PARAPET_PID" 2>/dev/null; then
        kill -TERM "$PARAPET_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$PARAPET_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$PARAPET_PID" 2>/dev/null || true
        wait "$PARAPET_PID" 2>/dev/null || true
    fi
}
trap stop_gateway EXIT

log "starting parapet demo --config scripts/schemathesis/gateway.yaml (output: target/schemathesis/parapet.out)"
target/debug/parapet demo --config scripts/schemathesis/gateway.yaml >"$WORK/parapet.out" 2>&1 &
PARAPET_PID=$!

# Ready when the admin listener's /readyz answers 200, within 30 s.
if ! "$VENV/bin/python" - "$READY" "$PARAPET_PID" <<'EOF'
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("parapet exited before it was ready")
    try:
        with opener.open(url, timeout=1) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(f"{url} did not answer 200 within 30 s")
EOF
then
    log "the gateway did not become ready; its output:"
    cat "$WORK/parapet.out" >&2
    exit 1
fi
log "gateway ready"

# --- the run ----------------------------------------------------------------------------------
# Positive and negative generation, at most 50 examples per operation, a fixed seed and one
# worker so that a run is reproducible; only loopback is contacted (proxies unset).
cmd=(
    "$VENV/bin/st" --config-file "$HERE/schemathesis.toml"
    run "$ROOT/examples/bookstore.openapi.yaml"
    --url "$GATEWAY"
    --mode all
    --max-examples 50
    --seed 20260101
    --workers 1
    --generation-database none
    --checks not_a_server_error,parapet_refuses_negative,parapet_accepts_positive
    --request-timeout 10
    --report junit --report-dir "$WORK/report"
    "$@"
)
log "${cmd[*]}"
status=0
(
    cd "$WORK"
    env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
        NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
        SCHEMATHESIS_HOOKS="$HERE/hooks.py" \
        PYTHONDONTWRITEBYTECODE=1 \
        HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis" \
        timeout 600 "${cmd[@]}"
) || status=$?

if [[ $status -ne 0 ]]; then
    log "schemathesis failed (exit $status); the gateway's security events (last 40):"
    tail -n 40 "$WORK/events.log" >&2 2>/dev/null || log "(no events log)"
    log "the gateway's output (last 40 lines):"
    tail -n 40 "$WORK/parapet.out" >&2 || true
fi
exit "$status"
