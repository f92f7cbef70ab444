# shellcheck shell=bash
# Shared parts of the bench scripts (run.sh, ratelimit.sh). Source it; it defines functions and
# the process bookkeeping (PIDS, PID_OF, WRK_PID) and does nothing else until called.
#
# The sourcing script sets, before calling anything here:
#   BENCH_SRC, REPO            the bench/ directory and the repository root
#   PROXY_CPU, LOAD_CPU        cores for the proxy under test / for the upstream, wrk (and helpers)
#   CONNECTIONS, THREADS       wrk's -c and -t (run_wrk reads them at each call)
#   SKIP_BUILD, BENCH_NICE     see run.sh's header
#   PORT[name], LABEL[name]    associative arrays: port and label of every target ("upstream" too)
#   PATH_OF[req]               associative array: the URL path of every request type
#   WORK                       the work directory (set before start_* and run_wrk)
# Then, in this order: bench_nice "$@" (re-runs the main script in a session of its own when
# BENCH_NICE is set, and sets NICE), bench_traps (cleanup of every started process on exit).
#
# Every long-running process a script starts is appended to PIDS; PID_OF[target] names the one
# run_wrk measures the CPU of (and PID_OF[upstream] the upstream's).

PIDS=()      # every long-running process this script started
declare -A PID_OF=()
WRK_PID=""
NICE=()

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] setup failed: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- nice, cleanup

bench_nice() { # "$@" = the main script's arguments
  [ -n "${BENCH_NICE:-}" ] || return 0
  NICE=(nice -n "$BENCH_NICE")
  # With the kernel's autogroup scheduling (sched_autogroup_enabled=1), nice only weighs against
  # processes of the same session: another session's compile still gets an equal share. So run
  # in a session of our own and give its autogroup the nice value too.
  if [ -z "${BENCH_IN_SESSION:-}" ] && [ -w /proc/self/autogroup ] && command -v setsid >/dev/null; then
    BENCH_IN_SESSION=1 setsid bash "${BASH_SOURCE[-1]}" "$@" &
    child=$!
    trap 'kill -TERM "$child" 2>/dev/null' INT TERM
    while :; do
      rc=0; wait "$child" || rc=$?
      kill -0 "$child" 2>/dev/null || exit "$rc"
    done
  fi
  [ -w /proc/self/autogroup ] && { echo "$BENCH_NICE" >/proc/self/autogroup; } 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$WRK_PID" ] && kill -TERM "$WRK_PID" 2>/dev/null || true
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${WORK:-}" ] && log "logs and raw figures kept in $WORK"
  exit "$rc"
}

bench_traps() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM
}

# ---------------------------------------------------------------- prerequisites

install_tools() { # extra "command:debian-package" pairs beyond nginx, wrk, curl, taskset
  local missing=() pair
  command -v nginx >/dev/null || missing+=(nginx)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
  command -v taskset >/dev/null || missing+=(util-linux)
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}"); done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root (or apt-get install them)"
  log "installing ${missing[*]} from Debian"
  apt-get update -qq || die "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]}"
}

check_cpus() {
  local online
  online=$(nproc --all)
  for c in "$PROXY_CPU" "$LOAD_CPU"; do
    [[ "$c" =~ ^[0-9]+$ ]] && [ "$c" -lt "$online" ] || die "CPU $c does not exist (nproc --all = $online)"
  done
  [ "$PROXY_CPU" != "$LOAD_CPU" ] || log "warning: PROXY_CPU = LOAD_CPU = $PROXY_CPU, the proxy shares its core with the load"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

git_rev() { # short HEAD, "+ local changes" when the sources differ from it
  local rev
  rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) || { echo "unknown revision"; return; }
  git -C "$REPO" diff --quiet HEAD -- crates Cargo.toml Cargo.lock 2>/dev/null || rev="$rev + local changes"
  echo "$rev"
}

# shellcheck disable=SC2034 # PARAPET_REV is read by the sourcing script
build_parapet() { # sets PARAPET_BIN and PARAPET_REV
  if [ -n "${PARAPET_BIN:-}" ]; then
    [ -x "$PARAPET_BIN" ] || die "PARAPET_BIN=$PARAPET_BIN is not executable"
    PARAPET_REV="prebuilt $PARAPET_BIN ($(date -r "$PARAPET_BIN" '+%F %T'))"
    return
  fi
  PARAPET_BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/parapet
  if [ "$SKIP_BUILD" != 1 ]; then
    command -v cargo >/dev/null || die "cargo not found (install Rust, or set PARAPET_BIN)"
    log "cargo build --release -p parapet"
    PARAPET_REV=$(git_rev)
    (cd "$REPO" && cargo build --release -p parapet -q) || die "cargo build failed"
  else
    PARAPET_REV="prebuilt $PARAPET_BIN ($(date -r "$PARAPET_BIN" '+%F %T'), tree now at $(git_rev))"
  fi
  [ -x "$PARAPET_BIN" ] || die "$PARAPET_BIN not found"
}

# ---------------------------------------------------------------- nginx: upstream and proxy

nginx_common() { # $1 = prefix dir
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  cat <<EOF
worker_processes 1; $user
pid $1/nginx.pid; error_log $1/error.log warn;
events { worker_connections 4096; }
EOF
}

nginx_http_common() { # $1 = prefix dir
  cat <<EOF
  access_log off;
  client_body_temp_path $1/tmp/body; proxy_temp_path $1/tmp/proxy; fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi; scgi_temp_path $1/tmp/scgi;
  keepalive_requests 1000000; keepalive_timeout 65; client_max_body_size 20m; client_body_buffer_size 256k;
EOF
}

start_nginx_conf() { # $1 = dir, $2 = cpu
  nginx -q -t -e "$1/error.log" -p "$1/" -c "$1/nginx.conf" || die "nginx config $1/nginx.conf"
  "${NICE[@]}" taskset -c "$2" nginx -e "$1/error.log" -p "$1/" -c "$1/nginx.conf" -g 'daemon off;' \
    >>"$1/stdout.log" 2>&1 &
  PIDS+=($!)
}

# The "fast upstream": nginx, 1 worker, 200 + small JSON for any request, on LOAD_CPU.
start_upstream() {
  local d=$WORK/upstream
  mkdir -p "$d/tmp"
  { nginx_common "$d"; cat <<EOF
http {
$(nginx_http_common "$d")
  server { listen 127.0.0.1:${PORT[upstream]} default_server backlog=4096; default_type application/json;
           location / { return 200 '{"ok":true,"service":"upstream"}\n'; } }
}
EOF
  } >"$d/nginx.conf"
  start_nginx_conf "$d" "$LOAD_CPU"
}

# nginx as a reverse proxy to the upstream, 1 worker, HTTP/1.1 keepalive pool, on PROXY_CPU.
start_nginx() {
  local d=$WORK/nginx
  mkdir -p "$d/tmp"
  { nginx_common "$d"; cat <<EOF
http {
$(nginx_http_common "$d")
  upstream backend { server 127.0.0.1:${PORT[upstream]}; keepalive 128; keepalive_requests 1000000; }
  proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host;
  server { listen 127.0.0.1:${PORT[nginx]} default_server backlog=4096; location / { proxy_pass http://backend; } }
}
EOF
  } >"$d/nginx.conf"
  start_nginx_conf "$d" "$PROXY_CPU"
}

# ---------------------------------------------------------------- checks

status_of() { # $1 = target, $2 = request type, extra curl args...
  local url="http://127.0.0.1:${PORT[$1]}${PATH_OF[$2]}"; shift 2
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url" || true
}

wait_ready() { # $1 = target
  for _ in $(seq 100); do
    [ "$(status_of "$1" get)" = 200 ] && return 0
    sleep 0.1
  done
  die "${LABEL[$1]} on 127.0.0.1:${PORT[$1]} does not answer 200 (logs in $WORK/$1)"
}

# ---------------------------------------------------------------- measuring

cpu_sample() { # prints "busy0 total0 busy1 total1" for LOAD_CPU and PROXY_CPU (whole machine, /proc/stat)
  awk -v a="cpu$LOAD_CPU" -v b="cpu$PROXY_CPU" '
    $1 == a || $1 == b { t = 0; for (i = 2; i <= NF; i++) t += $i; busy = t - $5 - $6; v[$1] = busy " " t }
    END { print v[a], v[b] }' /proc/stat
}

proc_ticks() { # $1 = pid: CPU ticks (user + system, all threads) of it and its children
  local p sum=0
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] || continue
    sum=$((sum + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  echo "$sum"
}

# run_wrk TARGET REQ DURATION OUTFILE [EXTRA_PID] -> wrk output in OUTFILE, then one CPU line: the
# busy share of the load and proxy CPUs (whole machine), and the CPU used by the proxy and upstream
# processes themselves, in % of one core (plus extraproc= for EXTRA_PID, e.g. a Redis server).
run_wrk() {
  local url="http://127.0.0.1:${PORT[$1]}${PATH_OF[$2]}" before after pb pa ub ua t0 t1 xb=0 xa=0
  before=$(cpu_sample); pb=$(proc_ticks "${PID_OF[$1]}"); ub=$(proc_ticks "${PID_OF[upstream]}"); t0=$(date +%s%N)
  [ -n "${5:-}" ] && xb=$(proc_ticks "$5")
  BENCH_REQ=$2 "${NICE[@]}" taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3" --latency \
    -s "$BENCH_SRC/wrk.lua" "$url" >"$4" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || die "wrk failed against ${LABEL[$1]} ($4)"
  WRK_PID=""
  after=$(cpu_sample); pa=$(proc_ticks "${PID_OF[$1]}"); ua=$(proc_ticks "${PID_OF[upstream]}"); t1=$(date +%s%N)
  [ -n "${5:-}" ] && xa=$(proc_ticks "$5")
  echo "$before $after" | awk -v pt=$((pa - pb)) -v ut=$((ua - ub)) -v xt=$((xa - xb)) -v x="${5:-}" \
    -v hz="$(getconf CLK_TCK)" -v ns=$((t1 - t0)) \
    '{ printf "CPU load=%.0f proxy=%.0f proxyproc=%.0f upproc=%.0f", 100 * ($5 - $1) / ($6 - $2),
       100 * ($7 - $3) / ($8 - $4), 100 * pt / hz / (ns / 1e9), 100 * ut / hz / (ns / 1e9)
       if (x != "") printf " extraproc=%.0f", 100 * xt / hz / (ns / 1e9)
       printf "\n" }' >>"$4"
  grep -q '^RESULT ' "$4" || die "no RESULT line from wrk ($4)"
}

field() { # $1 = file, $2 = key  (from the RESULT / CPU lines)
  grep -hoE "(^| )$2=[0-9.]+" "$1" | head -1 | cut -d= -f2
}

ms() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }   # microseconds -> "1.23"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
