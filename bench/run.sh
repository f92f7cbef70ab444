#!/usr/bin/env bash
# Side-by-side benchmark: the same load straight to an upstream, through nginx as a reverse
# proxy, through Parapet with both simple policies (ip_access, limits) on, and through Parapet
# with its OpenAPI contract enforced as well.
#
# Usage (as root on Debian, from anywhere in a clone):   bash bench/run.sh
# It installs what is missing (apt-get: nginx wrk curl), builds `parapet` in release mode,
# writes its own configs under a fresh temp dir (/tmp/parapet-bench.XXXXXX, kept for the raw
# logs), starts every target, warms each one up, then measures. Only 127.0.0.1 is ever used.
#
# Targets (all on 127.0.0.1):
#   upstream  nginx "fast upstream", 1 worker: 200 + small JSON for any request, bodies discarded
#   nginx     nginx reverse proxy, 1 worker, HTTP/1.1 keepalive pool to the upstream
#   parapet   `parapet run --workers 1`, ip_access + limits on, access log off (as nginx's)
#   contract  the same, plus the contract of bench/bench.openapi.yaml: path and query
#             parameters, the JSON body (strict) and the upstream's JSON answer validated
#   detect    the `parapet` target plus attack detection at paranoia 1 (every path segment,
#             query value, header, cookie and body string inspected)
#   crs       nginx + ModSecurity v3 + OWASP CRS 3.3 at paranoia 1, blocking (anomaly
#             threshold 5), request bodies inspected (JSON body processor), 1 worker: the
#             open-source reference WAF, from Debian (libnginx-mod-http-modsecurity,
#             modsecurity-crs), installed by this script when missing
# Request types:
#   get       GET /api/users/1?q=hello
#   post      POST /api/users, 1024-byte JSON body of prose, Content-Type: application/json (bench/wrk.lua)
#
# Pinning (so that Parapet gets exactly what nginx gets: one core, one worker):
#   PROXY_CPU (1): the proxy under test, whole process (nginx master+worker, or every Parapet
#                  thread: the single tokio worker and the runtime's helper threads) via taskset
#   LOAD_CPU  (0): the upstream nginx and wrk, via taskset
#   When the direct `upstream` target is measured, the proxy CPU is idle.
#
# Method: ROUNDS rounds; each round runs every (target x request type) once, the target order
# rotating from round to round, so drift (another build, thermal, ...) hits all sides alike.
# Each cell reports the median over the rounds of req/s, p50 and p99 (wrk --latency), plus the
# busy share of both CPUs during the run. Exit status is non-zero only on a setup failure
# (missing tools, a port in use, a target that does not answer 200), never on missed targets.
#
# Environment (defaults in brackets):
#   DURATION [10s]  WARMUP [3s]  CONNECTIONS [64]  THREADS [1]  ROUNDS [3]
#   PROXY_CPU [1]  LOAD_CPU [0]  TARGETS ["upstream nginx parapet contract detect crs"]
#   REQUESTS ["get post"]
#   UPSTREAM_PORT [18080]  NGINX_PORT [18081]  PARAPET_PORT [18090]  CONTRACT_PORT [18091]
#   DETECT_PORT [18092]  CRS_PORT [18093]
#   PARAPET_BIN [target/release/parapet, built with cargo]  SKIP_BUILD [0]  BENCH_TMP [mktemp]
#   BENCH_NICE [unset]: e.g. -10 runs every bench process (targets, upstream, wrk) under
#                       `nice -n -10` (root only), to shield the measurement from other work on a
#                       shared box (a compile, ...). Applied to all sides alike.
#
# Adding a target (e.g. nginx + ModSecurity/CRS): give it a port and label in PORT/LABEL below,
# write a start_<name> function that starts it pinned to PROXY_CPU and appends its pid to PIDS,
# and add its name to TARGETS. Ratios are printed for parapet against nginx.
#
# The generic parts (logging, cleanup, tool install, CPU checks, the Parapet build, the nginx
# upstream and proxy, wrk runs with CPU accounting, medians) are in bench/lib.sh, shared with
# bench/ratelimit.sh.
set -euo pipefail

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SRC/.." && pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-3}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
TARGETS=${TARGETS:-"upstream nginx parapet contract detect crs"}
REQUESTS=${REQUESTS:-"get post"}
SKIP_BUILD=${SKIP_BUILD:-0}
BENCH_NICE=${BENCH_NICE:-}
# shellcheck source=bench/lib.sh
. "$BENCH_SRC/lib.sh"
bench_nice "$@"

declare -A PORT=([upstream]=${UPSTREAM_PORT:-18080} [nginx]=${NGINX_PORT:-18081} [parapet]=${PARAPET_PORT:-18090}
  [contract]=${CONTRACT_PORT:-18091} [detect]=${DETECT_PORT:-18092} [crs]=${CRS_PORT:-18093})
declare -A LABEL=([upstream]="direct to upstream" [nginx]="nginx proxy" [parapet]="Parapet" [contract]="Parapet + contract"
  [detect]="Parapet + detection" [crs]="nginx + ModSecurity CRS")
declare -A PATH_OF=([get]="/api/users/1?q=hello" [post]="/api/users")

bench_traps

# ---------------------------------------------------------------- targets
# (upstream and nginx: start_upstream, start_nginx in lib.sh)

start_parapet() { # $1 = target name: parapet, contract or detect (parapet + contract or detection)
  local name=${1:-parapet} contract="" detect=""
  local d=$WORK/$name
  mkdir -p "$d"
  if [ "$name" = contract ]; then
    cp "$BENCH_SRC/bench.openapi.yaml" "$d/"
    contract="    contract: bench.openapi.yaml"
  fi
  [ "$name" = detect ] && detect="      detect: { paranoia: 1 }"
  cat >"$d/parapet.yaml" <<EOF
# Written by bench/run.sh. Access log off (nginx's is off too); both simple policies on.
listen:
  - addr: "127.0.0.1:${PORT[$name]}"
log: { access: "off", events: stderr }
upstreams:
  up: { targets: ["http://127.0.0.1:${PORT[upstream]}"] }
apis:
  - name: bench
    upstream: up
    base_path: /api
$contract
    defaults:
      authn: public
      ip_access: { deny: [203.0.113.0/24] }
      limits: { max_body: 1MiB, max_url_length: 4KiB, max_query_params: 50, max_headers: 64, content_types: [application/json], methods: [GET, POST] }
$detect
EOF
  "$PARAPET_BIN" check --config "$d/parapet.yaml" >"$d/check.log" 2>&1 || { cat "$d/check.log" >&2; die "parapet check"; }
  "${NICE[@]}" taskset -c "$PROXY_CPU" "$PARAPET_BIN" run --config "$d/parapet.yaml" --workers 1 \
    >"$d/stdout.log" 2>"$d/stderr.log" &
  PIDS+=($!)
}

start_contract() {
  start_parapet contract
}

start_detect() {
  start_parapet detect
}

# nginx + ModSecurity v3 + OWASP CRS 3.3 (Debian's), paranoia 1, blocking at anomaly score 5,
# JSON and XML request bodies parsed: the setup of ../shared/peers/nginx-peers.sh.
start_crs() {
  local d=$WORK/crs
  mkdir -p "$d/tmp/modsec"
  if ! dpkg -s libnginx-mod-http-modsecurity modsecurity-crs >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "missing libnginx-mod-http-modsecurity modsecurity-crs; run as root"
    log "installing libnginx-mod-http-modsecurity modsecurity-crs from Debian"
    apt-get update -qq || die "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnginx-mod-http-modsecurity modsecurity-crs >/dev/null ||
      die "apt-get install libnginx-mod-http-modsecurity modsecurity-crs"
  fi
  cat >"$d/crs.conf" <<EOF
SecRuleEngine On
SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.'"
SecPcreMatchLimit 1000
SecPcreMatchLimitRecursion 1000
SecResponseBodyAccess Off
SecTmpDir $d/tmp/modsec/
SecDataDir $d/tmp/modsec/
SecAuditEngine Off
SecArgumentSeparator &
SecCookieFormat 0
SecUnicodeMapFile /etc/nginx/unicode.mapping 20127
SecStatusEngine Off
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
SecAction "id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold=5,setvar:tx.outbound_anomaly_score_threshold=4"
Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
Include /usr/share/modsecurity-crs/rules/*.conf
Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf
EOF
  { echo "load_module /usr/lib/nginx/modules/ngx_http_modsecurity_module.so;"; nginx_common "$d"; cat <<EOF
http {
$(nginx_http_common "$d")
  upstream backend { server 127.0.0.1:${PORT[upstream]}; keepalive 128; keepalive_requests 1000000; }
  proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host;
  server { listen 127.0.0.1:${PORT[crs]} default_server backlog=4096; modsecurity on;
           modsecurity_rules_file $d/crs.conf; location / { proxy_pass http://backend; } }
}
EOF
  } >"$d/nginx.conf"
  start_nginx_conf "$d" "$PROXY_CPU"
}

# ---------------------------------------------------------------- checks

post_args() {
  local body
  body=$(printf '{"user":{"id":1},"note":"%s"}' "$(head -c 1000 /dev/zero | tr '\0' x)")
  printf '%s\0' -X POST -H 'content-type: application/json' --data-binary "$body"
}

sanity() { # $1 = target
  local s args=()
  mapfile -d '' args < <(post_args)
  s=$(status_of "$1" post "${args[@]}")
  [ "$s" = 200 ] || die "${LABEL[$1]}: POST of a JSON body answered $s, not 200"
  if [ "$1" = parapet ]; then # the limits policy is really in force
    s=$(status_of parapet post -X POST -H 'content-type: text/xml' --data-binary '<a/>')
    [ "$s" = 415 ] || die "Parapet: POST text/xml answered $s, not 415 (is the limits policy on?)"
    s=$(status_of parapet get -X DELETE)
    [ "$s" = 405 ] || die "Parapet: DELETE answered $s, not 405 (is the limits policy on?)"
  fi
  if [ "$1" = detect ] || [ "$1" = crs ]; then # attacks are really refused
    s=$(status_of "$1" get -G --data-urlencode "q=1' OR 1=1--")
    [ "$s" = 403 ] || die "${LABEL[$1]}: an SQL injection answered $s, not 403 (is detection on?)"
  fi
  if [ "$1" = contract ]; then # the contract is really in force
    s=$(status_of contract post -X POST -H 'content-type: application/json' --data-binary '{"user":{"id":0}}')
    [ "$s" = 400 ] || die "Parapet + contract: an invalid body answered $s, not 400 (is the contract on?)"
  fi
}

# (measuring: run_wrk, field, ms, median in lib.sh)

# ---------------------------------------------------------------- main

# shellcheck disable=SC2119 # no extra tools
install_tools
check_cpus
build_parapet
WORK=${BENCH_TMP:-$(mktemp -d /tmp/parapet-bench.XXXXXX)}
mkdir -p "$WORK/runs"
read -ra TGT <<<"$TARGETS"
read -ra REQ <<<"$REQUESTS"
for t in upstream "${TGT[@]}"; do
  [ -n "${PORT[$t]:-}" ] && declare -F "start_$t" >/dev/null || die "unknown target $t"
done
for r in "${REQ[@]}"; do [ -n "${PATH_OF[$r]:-}" ] || die "unknown request type $r"; done
for t in $(printf '%s\n' upstream "${TGT[@]}" | awk '!s[$0]++'); do
  port_free "${PORT[$t]}" || die "port ${PORT[$t]} (${LABEL[$t]}) is already in use on 127.0.0.1"
  log "starting ${LABEL[$t]} on 127.0.0.1:${PORT[$t]}"
  "start_$t"
  PID_OF[$t]=${PIDS[-1]}
  wait_ready "$t"
  sanity "$t"
done

log "warm-up: $WARMUP per target and request type"
for t in "${TGT[@]}"; do for r in "${REQ[@]}"; do
  run_wrk "$t" "$r" "$WARMUP" "$WORK/runs/warmup-$t-$r.txt"
done; done

log "measuring: $ROUNDS rounds x ${#TGT[@]} targets x ${#REQ[@]} requests, $DURATION each," \
  "$CONNECTIONS connections, $THREADS wrk thread(s)"
echo "round,target,request,rps,p50_us,p99_us,errors,cpu_load,cpu_proxy,target_proc_cpu,upstream_proc_cpu,loadavg,req_per_cpu_s" >"$WORK/raw.csv"
n=${#TGT[@]}
for ((round = 1; round <= ROUNDS; round++)); do
  for ((i = 0; i < n; i++)); do
    t=${TGT[$(((i + round - 1) % n))]}
    for r in "${REQ[@]}"; do
      f=$WORK/runs/r$round-$t-$r.txt
      la=$(cut -d' ' -f1 /proc/loadavg)
      run_wrk "$t" "$r" "$DURATION" "$f"
      errs=0
      for k in connect read write status timeout; do errs=$((errs + $(field "$f" "$k"))); done
      eff=$(awk -v a="$(field "$f" rps)" -v b="$(field "$f" proxyproc)" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }')
      printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$round" "$t" "$r" "$(field "$f" rps)" "$(field "$f" p50_us)" \
        "$(field "$f" p99_us)" "$errs" "$(field "$f" load)" "$(field "$f" proxy)" "$(field "$f" proxyproc)" \
        "$(field "$f" upproc)" "$la" "$eff" >>"$WORK/raw.csv"
      log "round $round/$ROUNDS  $(printf '%-20s %-4s' "${LABEL[$t]}" "$r")  $(printf '%9.0f req/s  p50 %6s ms  p99 %6s ms  errors %s' \
        "$(field "$f" rps)" "$(ms "$(field "$f" p50_us)")" "$(ms "$(field "$f" p99_us)")" "$errs")"
      sleep 1
    done
  done
done

# ---------------------------------------------------------------- report

col() { # $1 = target, $2 = request, $3 = column number in raw.csv -> median
  awk -F, -v t="$1" -v r="$2" -v c="$3" '$2 == t && $3 == r { print $c }' "$WORK/raw.csv" | median
}
range() { # min-max of req/s
  awk -F, -v t="$1" -v r="$2" '$2 == t && $3 == r { if (!n++ || $4 < lo) lo = $4; if ($4 > hi) hi = $4 }
    END { printf "%.0f–%.0f", lo, hi }' "$WORK/raw.csv"
}
errsum() { awk -F, -v t="$1" -v r="$2" '$2 == t && $3 == r { s += $7 } END { print s + 0 }' "$WORK/raw.csv"; }

{
  echo "Parapet: $PARAPET_REV;" \
    "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), kernel $(uname -r)"
  echo "$(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -1 | awk '{print "wrk " $2}')"
  echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds (medians), warm-up $WARMUP;" \
    "proxy on CPU $PROXY_CPU, upstream + wrk on CPU $LOAD_CPU${BENCH_NICE:+; bench processes at nice $BENCH_NICE}"
  echo
  echo "| target | request | req/s | p50 (ms) | p99 (ms) | req/s range | errors | target CPU | req per target CPU-s | upstream CPU | CPU $LOAD_CPU busy | CPU $PROXY_CPU busy |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for t in "${TGT[@]}"; do for r in "${REQ[@]}"; do
    printf '| %s | %s | %.0f | %s | %s | %s | %s | %.0f%% | %.0f | %.0f%% | %.0f%% | %.0f%% |\n' "${LABEL[$t]}" "${r^^}" \
      "$(col "$t" "$r" 4)" "$(ms "$(col "$t" "$r" 5)")" "$(ms "$(col "$t" "$r" 6)")" \
      "$(range "$t" "$r")" "$(errsum "$t" "$r")" "$(col "$t" "$r" 10)" "$(col "$t" "$r" 13)" "$(col "$t" "$r" 11)" \
      "$(col "$t" "$r" 8)" "$(col "$t" "$r" 9)"
  done; done
  for p in parapet contract; do
    [[ " ${TGT[*]} " == *" nginx "* && " ${TGT[*]} " == *" $p "* ]] || continue
    echo
    echo "${LABEL[$p]} / nginx (targets: req/s >= 1.00x, p99 <= 1.20x)"
    for r in "${REQ[@]}"; do
      awk -v r="${r^^}" -v pr="$(col "$p" "$r" 4)" -v nr="$(col nginx "$r" 4)" \
        -v pp="$(col "$p" "$r" 6)" -v np="$(col nginx "$r" 6)" 'BEGIN {
          a = pr / nr; b = pp / np
          printf "  %-4s  req/s %.2fx %-4s   p99 %.2fx %s\n", r, a, (a >= 1.0 ? "ok" : "MISS"), b, (b <= 1.2 ? "ok" : "MISS") }'
    done
  done
  if [[ " ${TGT[*]} " == *" detect "* ]]; then
    for base in nginx:0.8 crs:5; do
      b=${base%%:*} want=${base#*:}
      [[ " ${TGT[*]} " == *" $b "* ]] || continue
      echo
      echo "${LABEL[detect]} / ${LABEL[$b]} (target: req/s >= ${want}x)"
      for r in "${REQ[@]}"; do
        awk -v r="${r^^}" -v pr="$(col detect "$r" 4)" -v br="$(col "$b" "$r" 4)" -v w="$want" \
          -v pp="$(col detect "$r" 6)" -v bp="$(col "$b" "$r" 6)" 'BEGIN {
            a = pr / br; printf "  %-4s  req/s %.2fx %-4s   p99 %.2fx\n", r, a, (a >= w ? "ok" : "MISS"), pp / bp }'
      done
    done
  fi
  [ "$(awk -F, 'NR > 1 { s += $7 } END { print s + 0 }' "$WORK/raw.csv")" = 0 ] ||
    echo "WARNING: some runs had socket errors or non-2xx answers (errors column); their figures are suspect."
  echo
  echo "target CPU / upstream CPU: CPU time of the target's (upstream's) processes during the run, in % of one core."
  echo "req per target CPU-s: req/s / target CPU, i.e. requests served per second of the target's CPU (efficiency)."
  echo "CPU N busy: the whole machine's use of that core (includes anything else running on the box)."
} | tee "$WORK/results.md"
