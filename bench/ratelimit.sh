#!/usr/bin/env bash
# Rate limiting under load (issue 4): does a 1000/s limit hold at 20x overload, and what does a
# rate_limit cost per request, with the counters in memory and in Redis?
#
# Usage (as root on Debian, from anywhere in a clone):   bash bench/ratelimit.sh
# Same machinery as run.sh (bench/lib.sh): installs what is missing (apt-get: nginx wrk curl
# redis-server), builds `parapet` in release mode, writes its configs under a fresh temp dir
# (/tmp/parapet-ratelimit.XXXXXX, kept for the raw logs), starts every target, checks it, warms
# each case up, then measures. Only 127.0.0.1 is ever used.
#
# Processes (all on 127.0.0.1):
#   upstream  nginx "fast upstream", 1 worker, on LOAD_CPU (as in run.sh)
#   redis     redis-server --save "" --appendonly no, on LOAD_CPU (only when a redis case runs)
#   nginx     nginx reverse proxy, 1 worker, on PROXY_CPU (the reference, as in run.sh)
#   one `parapet run --workers 1` per configuration, each on PROXY_CPU (only the measured one is
#   busy), with the same policies as run.sh's Parapet (authn public, ip_access, limits), access
#   log off, security events formatted and written to /dev/null (every 429 raises one), and an
#   admin listener whose /metrics tells whether the Redis fallback was ever used:
#     limit-memory   rate_limit { key: route, rate: LIMIT_RATE/s, burst: LIMIT_BURST }, state memory
#     limit-redis    the same, state redis
#     nolimit        no rate_limit (= run.sh's Parapet)
#     local-nolimit  rate_limit { key: route, rate: 1000000/s }, state memory: every request is
#                    counted, none refused (one per microsecond, the finest rate a limit takes)
#     redis-nolimit  the same, state redis (one Redis round trip per request)
#
# Cases (CASES): a configuration name, optionally "@N" for N wrk connections instead of
# CONNECTIONS. The default measures both limits and the three overhead configurations plus nginx
# at CONNECTIONS (saturated: closed-loop wrk keeps the proxy's core busy), and the overhead
# configurations and nginx again at LIGHT_CONNECTIONS (one request in flight: latency without
# queueing, the closest end-to-end view of the latency a limiter adds to one request; nginx there
# shows the latency floor and tail of the machine itself).
#
# Method as in run.sh: ROUNDS rounds, every case once per round, the case order rotating from
# round to round, a 1 s pause between runs (the limit's burst is full again at the start of
# every run), medians over the rounds. All requests are `GET /api/users/1?q=hello` (bench/wrk.lua).
#
# Limit cases: wrk counts every non-2xx answer in its status errors, so
#   admitted       = requests - status errors (socket errors must be 0)
#   offered        = requests / duration: the rate wrk sent (and got answered) in all
#   overload       = offered / LIMIT_RATE                             (target >= 20x)
#   admitted rate  = (admitted - LIMIT_BURST) / duration: the sustained rate, the burst the
#                    limit lets through at once at the start taken out (a GCRA admits
#                    burst + rate x duration); admitted / duration is printed too
#   error          = admitted rate / LIMIT_RATE - 1                   (target within +-5 %)
# Overhead cases: req/s, p50, p99 (wrk --latency), and the added latency of local-nolimit and
# redis-nolimit vs nolimit: per round, the paired difference of the same-round runs; the median
# (and range) of those differences is reported. Targets: local p99 added < 5 us, Redis p99
# added < 1 ms. Exit status is non-zero only on a setup failure, never on a missed target.
#
# Environment (defaults in brackets):
#   DURATION [20s]  WARMUP [3s]  CONNECTIONS [64]  LIGHT_CONNECTIONS [1]  THREADS [1]  ROUNDS [3]
#   CASES ["limit-memory limit-redis nolimit local-nolimit redis-nolimit nginx
#          nolimit@LIGHT local-nolimit@LIGHT redis-nolimit@LIGHT nginx@LIGHT"]
#   LIMIT_RATE [1000] (per second)  LIMIT_BURST [50]  NOLIMIT_RATE [1000000] (per second)
#   PROXY_CPU [1]  LOAD_CPU [0]
#   UPSTREAM_PORT [18080]  NGINX_PORT [18081]  REDIS_PORT [18379]
#   PARAPET_BASE_PORT [18091]: the configurations listen on 18091.., their admin on 18191..
#   PARAPET_BIN, SKIP_BUILD [0], BENCH_TMP [mktemp], BENCH_NICE [unset]: as in run.sh
set -euo pipefail

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SRC/.." && pwd)

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
LIGHT_CONNECTIONS=${LIGHT_CONNECTIONS:-1}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-3}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
L=$LIGHT_CONNECTIONS
CASES=${CASES:-"limit-memory limit-redis nolimit local-nolimit redis-nolimit nginx nolimit@$L local-nolimit@$L redis-nolimit@$L nginx@$L"}
LIMIT_RATE=${LIMIT_RATE:-1000}
LIMIT_BURST=${LIMIT_BURST:-50}
NOLIMIT_RATE=${NOLIMIT_RATE:-1000000}
REDIS_PORT=${REDIS_PORT:-18379}
PARAPET_BASE_PORT=${PARAPET_BASE_PORT:-18091}
SKIP_BUILD=${SKIP_BUILD:-0}
BENCH_NICE=${BENCH_NICE:-}
# shellcheck source=bench/lib.sh
. "$BENCH_SRC/lib.sh"
bench_nice "$@"

CONFIGS=(limit-memory limit-redis nolimit local-nolimit redis-nolimit)
declare -A PORT=([upstream]=${UPSTREAM_PORT:-18080} [nginx]=${NGINX_PORT:-18081})
declare -A LABEL=([upstream]="direct to upstream" [nginx]="nginx proxy")
declare -A ADMIN_PORT=()
declare -A PATH_OF=([get]="/api/users/1?q=hello")
for i in "${!CONFIGS[@]}"; do
  c=${CONFIGS[$i]}
  PORT[$c]=$((PARAPET_BASE_PORT + i))
  ADMIN_PORT[$c]=$((PARAPET_BASE_PORT + 100 + i))
  LABEL[$c]="Parapet $c"
done
REDIS_PID=""

bench_traps

# ---------------------------------------------------------------- targets
# (upstream and nginx: start_upstream, start_nginx in lib.sh)

is_config() { [[ " ${CONFIGS[*]} " == *" $1 "* ]]; }
uses_redis() { [[ "$1" == *redis* ]]; }
is_limit() { [[ "$1" == limit-* ]]; }

redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
redis_cmds() { # scripts run by Redis so far (EVAL + EVALSHA calls): one per counted decision
  redis_cli info commandstats | tr -d '\r' |
    awk -F'[:=,]' '$1 == "cmdstat_evalsha" || $1 == "cmdstat_eval" { s += $3 } END { print s + 0 }'
}

start_redis() {
  local d=$WORK/redis
  mkdir -p "$d"
  port_free "$REDIS_PORT" || die "port $REDIS_PORT (Redis) is already in use on 127.0.0.1"
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  "${NICE[@]}" taskset -c "$LOAD_CPU" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir "$d" --logfile "$d/redis.log" --daemonize no \
    >"$d/stdout.log" 2>&1 &
  PIDS+=($!)
  REDIS_PID=$!
  for _ in $(seq 100); do
    [ "$(redis_cli ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  die "Redis on 127.0.0.1:$REDIS_PORT does not answer PING (logs in $d)"
}

start_config() { # $1 = configuration name
  local c=$1 d=$WORK/$1 state="" limit=""
  mkdir -p "$d"
  uses_redis "$c" &&
    state="state: { redis: \"redis://127.0.0.1:$REDIS_PORT\", prefix: \"bench-$c:\" }"
  case $c in
    limit-*) limit="rate_limit: [ { key: route, rate: $LIMIT_RATE/s, burst: $LIMIT_BURST } ]" ;;
    local-nolimit | redis-nolimit) limit="rate_limit: [ { key: route, rate: $NOLIMIT_RATE/s } ]" ;;
  esac
  cat >"$d/parapet.yaml" <<EOF
# Written by bench/ratelimit.sh ($c). The policies of run.sh's Parapet, plus the rate limit.
listen:
  - addr: "127.0.0.1:${PORT[$c]}"
admin: { addr: "127.0.0.1:${ADMIN_PORT[$c]}" }
log: { access: "off", events: /dev/null }
${state}
upstreams:
  up: { targets: ["http://127.0.0.1:${PORT[upstream]}"] }
apis:
  - name: bench
    upstream: up
    defaults:
      authn: public
      ip_access: { deny: [203.0.113.0/24] }
      limits: { max_body: 1MiB, max_url_length: 4KiB, max_query_params: 50, max_headers: 64, content_types: [application/json], methods: [GET, POST] }
      ${limit}
EOF
  "$PARAPET_BIN" check --config "$d/parapet.yaml" >"$d/check.log" 2>&1 || { cat "$d/check.log" >&2; die "parapet check ($c)"; }
  "${NICE[@]}" taskset -c "$PROXY_CPU" "$PARAPET_BIN" run --config "$d/parapet.yaml" --workers 1 \
    >"$d/stdout.log" 2>"$d/stderr.log" &
  PIDS+=($!)
}

metric() { # $1 = configuration, $2 = metric name: the sum of its samples on /metrics
  curl -s -m 5 "http://127.0.0.1:${ADMIN_PORT[$1]}/metrics" |
    awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%.0f\n", s }'
}

# ---------------------------------------------------------------- checks

# Sends N GETs in one curl (one keep-alive connection, back to back: far above 1000/s), keeps
# the response heads in $WORK/$1/sanity-heads.txt and prints "n200 n429 n_policy n_retry_after".
burst_probe() { # $1 = target, $2 = N
  local url="http://127.0.0.1:${PORT[$1]}${PATH_OF[get]}" urls=() heads=$WORK/$1/sanity-heads.txt
  mkdir -p "$WORK/$1"
  for _ in $(seq "$2"); do urls+=("$url"); done
  curl -s -m 20 -D "$heads" "${urls[@]}" >/dev/null || true
  awk 'tolower($0) ~ /^http\/1\.1 200/ { a++ } tolower($0) ~ /^http\/1\.1 429/ { b++ }
       tolower($0) ~ /^ratelimit-policy:/ { p++ } tolower($0) ~ /^retry-after:/ { r++ }
       END { print a + 0, b + 0, p + 0, r + 0 }' "$heads"
}

sanity() { # $1 = target: the limit is in force where there is one, and refuses nothing where not
  local n=300 ok refused policy retry keys cmds=0
  uses_redis "$1" && cmds=$(redis_cmds)
  read -r ok refused policy retry < <(burst_probe "$1" "$n")
  uses_redis "$1" && cmds=$(($(redis_cmds) - cmds))
  log "  sanity $1: $n back-to-back GETs -> $ok x 200, $refused x 429, $policy with RateLimit-Policy, $retry with Retry-After"
  case $1 in
    limit-*)
      [ "$refused" -gt 0 ] || die "$1: no 429 among $n back-to-back requests (is the rate limit on?)"
      [ "$ok" -ge "$LIMIT_BURST" ] || die "$1: only $ok of $n admitted, fewer than the burst $LIMIT_BURST"
      [ "$policy" = "$n" ] || die "$1: RateLimit-Policy on $policy of $n responses, not all"
      [ "$retry" = "$refused" ] || die "$1: Retry-After on $retry of $refused 429s"
      grep -m1 -i '^ratelimit-policy:' "$WORK/$1/sanity-heads.txt" | tr -d '\r' | sed 's/^/[bench]     /' >&2
      ;;
    *-nolimit)
      [ "$ok" = "$n" ] || die "$1: $ok of $n answered 200 (the 'nolimit' limit must refuse nothing)"
      [ "$policy" = "$n" ] || die "$1: RateLimit-Policy on $policy of $n responses, not all"
      ;;
    *)
      [ "$ok" = "$n" ] || die "$1: $ok of $n answered 200"
      [ "$policy" = 0 ] || die "$1: RateLimit-Policy present without a rate limit"
      ;;
  esac
  if uses_redis "$1"; then # the counters really live in Redis, and Parapet reaches it
    [ "$cmds" -ge "$n" ] || die "$1: Redis ran $cmds scripts for $n requests (is state: redis in force?)"
    keys=$(redis_cli --scan --pattern "bench-$1:*" | wc -l)
    [ "$(metric "$1" parapet_state_reachable)" = 1 ] || die "$1: parapet_state_reachable is not 1"
    [ "$(metric "$1" parapet_state_unavailable_total)" = 0 ] || die "$1: the Redis fallback was used during the sanity check"
    log "  sanity $1: Redis ran $cmds scripts (EVALSHA) for the $n requests; $keys key(s) bench-$1:* left" \
      "(a GCRA key expires with its theoretical arrival time); state reachable, fallback never used"
  fi
}

# ---------------------------------------------------------------- main

install_tools redis-server:redis-server redis-cli:redis-tools
check_cpus
build_parapet
WORK=${BENCH_TMP:-$(mktemp -d /tmp/parapet-ratelimit.XXXXXX)}
mkdir -p "$WORK/runs"
read -ra CASE <<<"$CASES"
declare -A CONNS_OF=() TARGET_OF=()
need_redis=0
for k in "${CASE[@]}"; do
  t=${k%@*}
  is_config "$t" || [ "$t" = nginx ] || die "unknown case $k (configurations: ${CONFIGS[*]} nginx, optionally @connections)"
  if [[ "$k" == *@* ]]; then CONNS_OF[$k]=${k#*@}; else CONNS_OF[$k]=$CONNECTIONS; fi
  [[ "${CONNS_OF[$k]}" =~ ^[1-9][0-9]*$ ]] || die "bad connection count in case $k"
  TARGET_OF[$k]=$t
  uses_redis "$t" && need_redis=1
done
[ "$need_redis" = 1 ] && start_redis
for t in upstream $(printf '%s\n' "${CASE[@]%@*}" | awk '!s[$0]++'); do
  port_free "${PORT[$t]}" || die "port ${PORT[$t]} (${LABEL[$t]}) is already in use on 127.0.0.1"
  if is_config "$t"; then
    port_free "${ADMIN_PORT[$t]}" || die "port ${ADMIN_PORT[$t]} (admin of ${LABEL[$t]}) is already in use on 127.0.0.1"
  fi
  log "starting ${LABEL[$t]} on 127.0.0.1:${PORT[$t]}"
  if is_config "$t"; then start_config "$t"; else "start_$t"; fi
  PID_OF[$t]=${PIDS[-1]}
  wait_ready "$t"
  [ "$t" = upstream ] || sanity "$t"
done

log "warm-up: $WARMUP per case"
for k in "${CASE[@]}"; do
  CONNECTIONS=${CONNS_OF[$k]} run_wrk "${TARGET_OF[$k]}" get "$WARMUP" "$WORK/runs/warmup-$k.txt"
  sleep 1
done

other_load=$(pgrep -fa 'fuzz|libfuzzer' | grep -vc pgrep || true)
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
log "measuring: $ROUNDS rounds x ${#CASE[@]} cases, $DURATION each, $THREADS wrk thread(s);" \
  "limit $LIMIT_RATE/s burst $LIMIT_BURST"
echo "round,case,target,connections,requests,duration_s,rps,status_errors,socket_errors,admitted,admitted_rate,admitted_per_s,error_pct,p50_us,p99_us,proxyproc,upproc,redisproc,fallbacks,log_dropped,loadavg,cpu_load,cpu_proxy,redis_scripts_per_req,fuzz_procs" >"$WORK/raw.csv"
n=${#CASE[@]}
for ((round = 1; round <= ROUNDS; round++)); do
  for ((i = 0; i < n; i++)); do
    k=${CASE[$(((i + round - 1) % n))]}
    t=${TARGET_OF[$k]}
    f=$WORK/runs/r$round-$k.txt
    la=$(cut -d' ' -f1 /proc/loadavg)
    fz=$(pgrep -f 'fuzz|libfuzzer' | wc -l || true)
    fb0=0 ld0=0 fb1=0 ld1=0 rc0=0 rc1=0
    if is_config "$t"; then fb0=$(metric "$t" parapet_state_unavailable_total); ld0=$(metric "$t" parapet_log_dropped_total); fi
    [ -n "$REDIS_PID" ] && rc0=$(redis_cmds)
    extra=()
    uses_redis "$t" && extra=("$REDIS_PID")
    CONNECTIONS=${CONNS_OF[$k]} run_wrk "$t" get "$DURATION" "$f" "${extra[@]}"
    [ -n "$REDIS_PID" ] && rc1=$(redis_cmds)
    if is_config "$t"; then fb1=$(metric "$t" parapet_state_unavailable_total); ld1=$(metric "$t" parapet_log_dropped_total); fi
    req=$(field "$f" requests); st=$(field "$f" status)
    sock=0
    for e in connect read write timeout; do sock=$((sock + $(field "$f" "$e"))); done
    line=$(awk -v req="$req" -v st="$st" -v us="$(field "$f" duration_us)" -v burst="$LIMIT_BURST" \
      -v rate="$LIMIT_RATE" -v lim="$(is_limit "$t" && echo 1 || echo 0)" 'BEGIN {
        d = us / 1e6; adm = req - st
        if (lim) { ar = (adm - burst) / d; printf "%.3f,%d,%.2f,%.2f,%.3f", d, adm, ar, adm / d, 100 * (ar / rate - 1) }
        else printf "%.3f,%d,,%.2f,", d, adm, adm / d }')
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$round" "$k" "$t" "${CONNS_OF[$k]}" "$req" \
      "${line%%,*}" "$(field "$f" rps)" "$st" "$sock" "${line#*,}" "$(field "$f" p50_us)" "$(field "$f" p99_us)" \
      "$(field "$f" proxyproc)" "$(field "$f" upproc)" "$(field "$f" extraproc)" $((fb1 - fb0)) $((ld1 - ld0)) "$la" \
      "$(field "$f" load)" "$(field "$f" proxy)" \
      "$(awk -v c=$((rc1 - rc0)) -v r="$req" 'BEGIN { printf "%.3f", (r > 0 ? c / r : 0) }')" "$fz" >>"$WORK/raw.csv"
    if is_limit "$t"; then
      log "round $round/$ROUNDS  $(printf '%-18s' "$k")  $(printf '%8.0f req/s offered  %7.1f admitted/s  error %+6.2f%%  socket errors %s  fallbacks %s' \
        "$(field "$f" rps)" "$(tail -1 "$WORK/raw.csv" | cut -d, -f11)" "$(tail -1 "$WORK/raw.csv" | cut -d, -f13)" "$sock" $((fb1 - fb0)))"
    else
      log "round $round/$ROUNDS  $(printf '%-18s' "$k")  $(printf '%8.0f req/s  p50 %7.0f us  p99 %7.0f us  errors %s  fallbacks %s' \
        "$(field "$f" rps)" "$(field "$f" p50_us)" "$(field "$f" p99_us)" $((st + sock)) $((fb1 - fb0)))"
    fi
    sleep 1
  done
done

# ---------------------------------------------------------------- report

# Columns are numbers in raw.csv, or "cpu": the target's CPU time per request in µs
# (target CPU % / req/s), what a request costs the proxy's core whatever the queueing.
VAL='function val(c) { return c == "cpu" ? ($7 > 0 ? 1e4 * $16 / $7 : 0) : $c }'
col() { # $1 = case, $2 = column -> median over the rounds
  awk -F, -v k="$1" -v c="$2" "$VAL"' $2 == k { print val(c) }' "$WORK/raw.csv" | median
}
colrange() { # $1 = case, $2 = column, $3 = printf format -> "min–max"
  awk -F, -v k="$1" -v c="$2" -v f="$3" '$2 == k { if (!n++ || $c < lo) lo = $c; if (n == 1 || $c > hi) hi = $c }
    END { printf f "–" f, lo, hi }' "$WORK/raw.csv"
}
colsum() { awk -F, -v k="$1" -v c="$2" '$2 == k { s += $c } END { print s + 0 }' "$WORK/raw.csv"; }
diffs() { # $1 = case, $2 = base case, $3 = column: per-round paired differences, one a line
  awk -F, -v a="$1" -v b="$2" -v c="$3" "$VAL"' $2 == a { x[$1] = val(c) } $2 == b { y[$1] = val(c) }
    END { for (r in x) if (r in y) print x[r] - y[r] }' "$WORK/raw.csv"
}
has_case() { [[ " ${CASE[*]} " == *" $1 "* ]]; }

{
  echo "Parapet: $PARAPET_REV;" \
    "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), kernel $(uname -r)"
  echo "$(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -1 | awk '{print "wrk " $2}')$([ "$need_redis" = 1 ] &&
    redis-server --version | awk '{ print ", Redis " $3 }' | sed 's/v=//')"
  echo "wrk -t$THREADS -d$DURATION --latency, $ROUNDS rounds (medians), warm-up $WARMUP per case;" \
    "proxy on CPU $PROXY_CPU, upstream + wrk + Redis on CPU $LOAD_CPU${BENCH_NICE:+; bench processes at nice $BENCH_NICE}"
  echo "other load when measuring began: load average $start_load, $other_load fuzz process(es) (pgrep -f 'fuzz|libfuzzer');" \
    "runs with a fuzz process alive: $(awk -F, 'NR > 1 && $25 > 0 { n++ } END { print n + 0 }' "$WORK/raw.csv") of $(($(wc -l <"$WORK/raw.csv") - 1))"
  first=1
  for k in "${CASE[@]}"; do
    is_limit "${TARGET_OF[$k]}" || continue
    if [ "$first" = 1 ]; then
      first=0
      echo
      echo "Limit held: rate_limit { key: route, rate: $LIMIT_RATE/s, burst: $LIMIT_BURST } under overload"
      echo "(admitted rate = (admitted - burst) / duration; error = admitted rate / $LIMIT_RATE - 1; targets: error within +-5%, overload >= 20x)"
      echo
      echo "| case | connections | offered req/s | overload | admitted | admitted rate (/s) | admitted / duration | error | error range | socket errors | Redis fallbacks | p50 (ms) | p99 (ms) | Parapet CPU | Redis CPU | Redis scripts / req | +-5% | >= 20x |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    fi
    err=$(col "$k" 13); over=$(awk -v o="$(col "$k" 7)" -v r="$LIMIT_RATE" 'BEGIN { printf "%.1f", o / r }')
    worst=$(awk -F, -v k="$k" '$2 == k { e = $13 < 0 ? -$13 : $13; if (e > m) m = e } END { print m + 0 }' "$WORK/raw.csv")
    minover=$(awk -F, -v k="$k" -v r="$LIMIT_RATE" '$2 == k { o = $7 / r; if (!n++ || o < m) m = o } END { print m + 0 }' "$WORK/raw.csv")
    printf '| %s | %s | %.0f | %s× | %.0f | %.1f | %.1f | %+.2f%% | %s%% | %s | %s | %s | %s | %.0f%% | %s | %s | %s | %s |\n' \
      "$k" "${CONNS_OF[$k]}" "$(col "$k" 7)" "$over" "$(col "$k" 10)" "$(col "$k" 11)" "$(col "$k" 12)" "$err" \
      "$(colrange "$k" 13 '%+.2f')" "$(colsum "$k" 9)" "$(colsum "$k" 19)" "$(ms "$(col "$k" 14)")" "$(ms "$(col "$k" 15)")" \
      "$(col "$k" 16)" "$(uses_redis "$k" && printf '%.0f%%' "$(col "$k" 18)" || echo -)" \
      "$(uses_redis "$k" && printf '%.2f' "$(col "$k" 24)" || echo -)" \
      "$(awk -v e="$err" -v w="$worst" 'BEGIN { e = e < 0 ? -e : e; printf "%s%s", (e <= 5 ? "MEETS" : "MISSES"), (w <= 5 ? " (every round)" : " (not every round)") }')" \
      "$(awk -v o="$over" -v m="$minover" 'BEGIN { printf "%s%s", (o >= 20 ? "MEETS" : "MISSES"), (m >= 20 ? " (every round)" : " (not every round)") }')"
  done
  for conns in $(for k in "${CASE[@]}"; do is_limit "${TARGET_OF[$k]}" || echo "${CONNS_OF[$k]}"; done | sort -n -r | uniq); do
    echo
    echo "Overhead, $conns connection(s), nothing refused (added = per-round paired difference vs nolimit at the same connections, median and range over the rounds)"
    echo
    echo "| case | req/s | p50 (µs) | p99 (µs) | p50 added (µs) | p99 added (µs) | p99 added range (µs) | req/s vs nolimit | req/s vs nginx | proxy CPU | proxy CPU per req (µs) | CPU added per req (µs) | errors | Redis fallbacks | Redis CPU | Redis scripts / req |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    base=""; ngx=""
    for k in "${CASE[@]}"; do
      [ "${CONNS_OF[$k]}" = "$conns" ] || continue
      [ "${TARGET_OF[$k]}" = nolimit ] && base=$k
      [ "${TARGET_OF[$k]}" = nginx ] && ngx=$k
    done
    for k in "${CASE[@]}"; do
      t=${TARGET_OF[$k]}
      [ "${CONNS_OF[$k]}" = "$conns" ] && ! is_limit "$t" || continue
      d50=-; d99=-; r99=-; vb=-; vn=-; dcpu=-
      if [ -n "$base" ] && [ "$t" != nginx ] && [ "$k" != "$base" ]; then
        d50=$(diffs "$k" "$base" 14 | median); d99=$(diffs "$k" "$base" 15 | median)
        r99=$(diffs "$k" "$base" 15 | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%+.0f–%+.0f", lo, hi }')
        d50=$(printf '%+.0f' "$d50"); d99=$(printf '%+.0f' "$d99")
        dcpu=$(printf '%+.2f' "$(diffs "$k" "$base" cpu | median)")
      fi
      [ -n "$base" ] && [ "$t" != nginx ] && vb=$(awk -v a="$(col "$k" 7)" -v b="$(col "$base" 7)" 'BEGIN { printf "%.2f×", a / b }')
      [ -n "$ngx" ] && vn=$(awk -v a="$(col "$k" 7)" -v b="$(col "$ngx" 7)" 'BEGIN { printf "%.2f×", a / b }')
      printf '| %s | %.0f | %.0f | %.0f | %s | %s | %s | %s | %s | %.0f%% | %.2f | %s | %s | %s | %s | %s |\n' "$k" "$(col "$k" 7)" \
        "$(col "$k" 14)" "$(col "$k" 15)" "$d50" "$d99" "$r99" "$vb" "$vn" "$(col "$k" 16)" "$(col "$k" cpu)" "$dcpu" \
        $(($(colsum "$k" 8) + $(colsum "$k" 9))) "$( [ "$t" = nginx ] && echo - || colsum "$k" 19)" \
        "$(uses_redis "$t" && printf '%.0f%%' "$(col "$k" 18)" || echo -)" \
        "$(uses_redis "$t" && printf '%.2f' "$(col "$k" 24)" || echo -)"
    done
    if [ -n "$base" ]; then
      for pair in "local-nolimit:5" "redis-nolimit:1000"; do
        t=${pair%%:*}; budget=${pair#*:}
        for k in "${CASE[@]}"; do
          [ "${TARGET_OF[$k]}" = "$t" ] && [ "${CONNS_OF[$k]}" = "$conns" ] || continue
          diffs "$k" "$base" 15 | sort -g | awk -v k="$k" -v d="$(diffs "$k" "$base" 15 | median)" -v b="$budget" '
            NR == 1 { lo = $1 } { hi = $1 }
            END {
              printf "  %-20s p99 added %+.0f us, budget < %d us: %s", k, d, b, (d < b ? "MEETS" : "MISSES")
              if (hi - lo > b) printf " (inconclusive: the per-round differences span %+.0f..%+.0f us, wider than the budget)", lo, hi
              printf "\n" }'
        done
      done
    fi
  done
  [ "$(awk -F, 'NR > 1 { s += $9 } END { print s + 0 }' "$WORK/raw.csv")" = 0 ] ||
    echo "WARNING: some runs had socket errors (connect/read/write/timeout); their figures are suspect."
  [ "$(awk -F, 'NR > 1 && $11 == "" { s += $8 } END { print s + 0 }' "$WORK/raw.csv")" = 0 ] ||
    echo "WARNING: an overhead case had non-2xx answers (errors column): something was refused."
  [ "$(awk -F, 'NR > 1 { s += $19 } END { print s + 0 }' "$WORK/raw.csv")" = 0 ] ||
    echo "WARNING: Parapet used its Redis fallback (local counting) during some runs (Redis fallbacks column)."
  [ "$(awk -F, 'NR > 1 { s += $20 } END { print s + 0 }' "$WORK/raw.csv")" = 0 ] ||
    echo "note: Parapet dropped security-event lines (queue full) during some runs (raw.csv, log_dropped)."
  echo
  echo "offered: requests answered per second (wrk is closed-loop: each connection sends its next request"
  echo "on the previous answer, so this is the load Parapet was made to decide on). Parapet / proxy / Redis CPU:"
  echo "CPU time of the process during the run, in % of one core. Redis scripts / req: EVAL/EVALSHA calls"
  echo "Redis served during the run per request answered (1 = one round trip per decision). proxy CPU per req:"
  echo "the proxy process's CPU time per request answered (its CPU % / req/s); CPU added: the per-round paired"
  echo "difference vs nolimit, i.e. what the limiter costs the proxy's core per request, queueing aside."
} | tee "$WORK/results.md"
