#!/usr/bin/env bash
# Side-by-side throughput, CPU and latency of COLO comparators on this machine, in one run:
#   null      colo-loadgen null-forwarder (primary copied to outdev, secondary discarded: the socket limit)
#   qemu      QEMU colo-compare (qemu-system-x86_64 -M none, one iothread, max_queue_size raised)
#   cp-1w     colo-proxy serve --workers 1
#   cp-Nw     colo-proxy serve --workers $(nproc)
# All four are driven by the same load generator (bench/Colo.LoadGen) over unix sockets with QEMU's framing,
# each cell against a freshly started comparator. Prints one Markdown table (also saved with the raw JSON lines).
#
# Usage: bench/compare.sh [--quick | --lag] [--seconds S] [--repeat N] [--out DIR] [--targets "null qemu cp-1w cp-Nw"]
#                         [--scenarios REGEX] [--no-build]
#   --scenarios REGEX runs only the scenarios of the chosen set whose names match (grep -E).
#   --repeat N runs every cell N times (targets interleaved) and reports the median run (frames/s; p99 when paced).
#   --lag runs the replicas apart instead of in lock-step: free-running (--skew none) and with the secondary held
#     10 ms, 100 ms, 1 s or 10, 100, 200 MB behind, next to the same loads in lock-step; 13 s cells (the first 3 s
#     excluded, so a 10 s measured window), targets "null qemu cp-1w" unless --targets says otherwise. Prints the
#     lock-step table and the lag table (ratios to QEMU and to lock-step, lead, bytes held, memory_cap checkpoints,
#     bytes allocated per frame and GCs per generation of ColoProxy).
# COLO_SERVE_ARGS adds options to every colo-proxy serve (e.g. COLO_SERVE_ARGS="--record-per-flow 0").
# Needs: the .NET SDK (global.json) and qemu-system-x86 (installed here with apt-get when running as root).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
LAG=0
SECONDS_PER_CELL=""
OUT=""
TARGETS=""
ONLY=""
BUILD=1
REPEAT=1
QUEUE=262144

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --lag) LAG=1 ;;
        --seconds) SECONDS_PER_CELL=$2; shift ;;
        --out) OUT=$2; shift ;;
        --repeat) REPEAT=$2; shift ;;
        --targets) TARGETS=$2; shift ;;
        --scenarios) ONLY=$2; shift ;;
        --no-build) BUILD=0 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ] && [ "$LAG" = 1 ]; then
    echo "compare.sh: --quick and --lag are separate sets; give one" >&2
    exit 2
fi
if [ -z "$SECONDS_PER_CELL" ]; then
    if [ "$QUICK" = 1 ]; then SECONDS_PER_CELL=3; elif [ "$LAG" = 1 ]; then SECONDS_PER_CELL=13; else SECONDS_PER_CELL=6; fi
fi
if [ -z "$TARGETS" ]; then
    if [ "$LAG" = 1 ]; then TARGETS="null qemu cp-1w"; else TARGETS="null qemu cp-1w cp-Nw"; fi
fi
# Lagged runs need longer to build their backlog (up to 200 MB) before the measured window starts.
if [ "$LAG" = 1 ]; then MAX_WARMUP=3; else MAX_WARMUP=1.5; fi
WARMUP=$(awk -v s="$SECONDS_PER_CELL" -v m="$MAX_WARMUP" 'BEGIN { w = s / 4; if (w > m) w = m; printf "%.2f", w }')
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$ROOT/bench/artifacts/compare-$STAMP}
ART=$ROOT/bench/artifacts/build
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
LOG=$OUT/compare.log
: > "$RESULTS"
: > "$LOG"

say() { echo "$*" | tee -a "$LOG" >&2; }

# ---- prerequisites ---------------------------------------------------------------------------------------------
if ! command -v dotnet >/dev/null 2>&1; then
    echo "compare.sh: the .NET SDK is required (see README.md: install dotnet-sdk-10.0 from Microsoft's Debian feed)." >&2
    exit 2
fi

QEMU_BIN=$(command -v qemu-system-x86_64 || true)
if [ -z "$QEMU_BIN" ] && [[ " $TARGETS " == *" qemu "* ]]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing qemu-system-x86 (the reference comparator) with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LOG" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 >>"$LOG" 2>&1 || true
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        say "installing qemu-system-x86 (the reference comparator) with sudo apt-get"
        sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LOG" 2>&1 || true
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 >>"$LOG" 2>&1 || true
    fi
    QEMU_BIN=$(command -v qemu-system-x86_64 || true)
    [ -n "$QEMU_BIN" ] || say "qemu-system-x86_64 not found: run 'sudo apt-get install qemu-system-x86'; QEMU rows are skipped"
fi

# ---- build (Release, private artifacts path) ---------------------------------------------------------------------
LOADGEN=$ART/bin/Colo.LoadGen/release/colo-loadgen
COLO=$ART/bin/colo-proxy/release/colo-proxy
COLO_STATE=""
if [ "$BUILD" = 1 ]; then
    say "building bench/Colo.LoadGen and src/colo-proxy (Release) into $ART"
    dotnet build "$ROOT/bench/Colo.LoadGen" -c Release --artifacts-path "$ART" -nologo -v q >>"$LOG" 2>&1 \
        || { echo "compare.sh: building the load generator failed (see $LOG)" >&2; exit 2; }
    if ! dotnet build "$ROOT/src/colo-proxy" -c Release --artifacts-path "$ART" -nologo -v q >>"$LOG" 2>&1; then
        COLO_STATE="colo-proxy did not build"
    fi
fi
[ -x "$LOADGEN" ] || { echo "compare.sh: $LOADGEN missing (run without --no-build)" >&2; exit 2; }
if [ -z "$COLO_STATE" ]; then
    if [ ! -x "$COLO" ]; then
        COLO_STATE="colo-proxy not built"
    elif ! "$COLO" serve --help >/dev/null 2>&1; then
        COLO_STATE="colo-proxy serve not available in this build"
    fi
fi
[ -z "$COLO_STATE" ] || say "ColoProxy rows will be marked pending: $COLO_STATE"

NPROC=$(nproc)

# ---- comparators -------------------------------------------------------------------------------------------------
# start_<target> DIR: starts the comparator listening on DIR/{p,s,o,n}.sock in the background; sets PID.
start_null() {
    "$LOADGEN" null-forwarder --primary-in "unix:$1/p.sock" --secondary-in "unix:$1/s.sock" \
        --outdev "unix:$1/o.sock" --notify-dev "unix:$1/n.sock" --max-seconds 600 >>"$1/target.log" 2>&1 &
    PID=$!
}

start_qemu() {
    "$QEMU_BIN" -M none -nodefaults -nographic -monitor none \
        -chardev "socket,id=pin,path=$1/p.sock,server=on,wait=off" \
        -chardev "socket,id=sin,path=$1/s.sock,server=on,wait=off" \
        -chardev "socket,id=out,path=$1/o.sock,server=on,wait=off" \
        -chardev "socket,id=ntf,path=$1/n.sock,server=on,wait=off" \
        -object iothread,id=io1 \
        -object "colo-compare,id=cmp0,primary_in=pin,secondary_in=sin,outdev=out,notify_dev=ntf,iothread=io1,max_queue_size=$QUEUE" \
        >>"$1/target.log" 2>&1 &
    PID=$!
}

start_coloproxy() { # DIR WORKERS
    "$COLO" serve --primary-in "unix:$1/p.sock,server" --secondary-in "unix:$1/s.sock,server" \
        --outdev "unix:$1/o.sock,server" --notify-dev "unix:$1/n.sock,server" --control "unix:$1/c.sock" \
        --max-queue-size "$QUEUE" --workers "$2" --log-level warning ${COLO_SERVE_ARGS:-} >>"$1/target.log" 2>&1 &
    PID=$!
}

stop_target() {
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
}

pending() { # LABEL SCENARIO WHY
    printf '{"label":"%s","scenario":"%s","pending":"%s"}\n' "$1" "$2" "$3" >>"$RESULTS"
}

# run_cell LABEL SCENARIO LOADGEN-ARGS...
run_cell() {
    local label=$1 scenario=$2
    shift 2
    case "$label" in
        qemu) [ -n "$QEMU_BIN" ] || { pending "$label" "$scenario" "qemu-system-x86_64 not installed"; return; } ;;
        cp-*) [ -z "$COLO_STATE" ] || { pending "$label" "$scenario" "$COLO_STATE"; return; } ;;
    esac
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/colo-compare.XXXXXX")
    case "$label" in
        null) start_null "$dir" ;;
        qemu) start_qemu "$dir" ;;
        cp-1w) start_coloproxy "$dir" 1 ;;
        cp-Nw) start_coloproxy "$dir" "$NPROC" ;;
    esac
    for _ in $(seq 1 100); do
        [ -S "$dir/p.sock" ] && [ -S "$dir/s.sock" ] && [ -S "$dir/o.sock" ] && [ -S "$dir/n.sock" ] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    local rc=0 line control=""
    case "$label" in cp-*) control="--control unix:$dir/c.sock" ;; esac
    line=$(timeout $((SECONDS_PER_CELL * 3 + 40)) "$LOADGEN" run \
        --primary-in "unix:$dir/p.sock" --secondary-in "unix:$dir/s.sock" \
        --outdev "unix:$dir/o.sock" --notify-dev "unix:$dir/n.sock" \
        --pid "$PID" --label "$label" --scenario "$scenario" $control \
        --duration "$SECONDS_PER_CELL" --warmup "$WARMUP" --connect-timeout 10 "$@" 2>"$dir/loadgen.err") || rc=$?
    stop_target
    cat "$dir/loadgen.err" >>"$LOG"
    sed 's/^/  /' "$dir/loadgen.err" >&2
    if [ -n "$line" ] && [ "$rc" -le 1 ]; then
        echo "$line" >>"$RESULTS"
    else
        pending "$label" "$scenario" "run failed (exit $rc), see compare.log"
        say "  $label / $scenario: run failed (exit $rc); comparator log:"
        sed 's/^/    /' "$dir/target.log" | tail -n 5 | tee -a "$LOG" >&2
    fi
    rm -rf "$dir"
}

# ---- scenarios ---------------------------------------------------------------------------------------------------
# name|load generator arguments
SCENARIOS_FULL=(
    "1514B 1 flow|--flows 1 --frame-size 1514"
    "1514B 1 flow reseg|--flows 1 --frame-size 1514 --resegment 0.5"
    "1514B 1000 flows|--flows 1000 --frame-size 1514"
    "1514B 1000 flows reseg|--flows 1000 --frame-size 1514 --resegment 0.5"
    "64B 1 flow|--flows 1 --frame-size 64"
    "64B 1 flow reseg|--flows 1 --frame-size 64 --resegment 0.5"
    "64B 1000 flows|--flows 1000 --frame-size 64"
    "64B 1000 flows reseg|--flows 1000 --frame-size 64 --resegment 0.5"
    "latency 20k fps 1514B 1 flow|--flows 1 --frame-size 1514 --rate 20000"
    "latency 20k fps 1514B 100 flows|--flows 100 --frame-size 1514 --rate 20000"
)
SCENARIOS_QUICK=(
    "1514B 1 flow|--flows 1 --frame-size 1514"
    "1514B 1000 flows reseg|--flows 1000 --frame-size 1514 --resegment 0.5"
    "64B 1000 flows|--flows 1000 --frame-size 64"
    "latency 20k fps 1514B 1 flow|--flows 1 --frame-size 1514 --rate 20000"
)
# Replicas apart. Lock-step rows of the same loads come first (the "fps / lock-step" column). A time lag's backlog
# is the frame rate times the lag, so those runs cap what is in flight at 131,072 frames (198 MB of 1514 B frames);
# a byte lag holds the secondary that far behind and the primary at most 1024 frames further.
SCENARIOS_LAG=(
    "1514B 1 flow lock-step|--flows 1 --frame-size 1514"
    "1514B 1000 flows lock-step|--flows 1000 --frame-size 1514"
    "1514B 1000 flows reseg lock-step|--flows 1000 --frame-size 1514 --resegment 0.5"
    "64B 1 flow lock-step|--flows 1 --frame-size 64"
    "64B 1000 flows lock-step|--flows 1000 --frame-size 64"
    "1514B 1 flow free|--flows 1 --frame-size 1514 --skew none"
    "1514B 1000 flows free|--flows 1000 --frame-size 1514 --skew none"
    "1514B 1000 flows reseg free|--flows 1000 --frame-size 1514 --resegment 0.5 --skew none"
    "64B 1 flow free|--flows 1 --frame-size 64 --skew none"
    "64B 1000 flows free|--flows 1000 --frame-size 64 --skew none"
    "1514B 1 flow lag 10ms|--flows 1 --frame-size 1514 --skew time:10ms --window 131072"
    "1514B 1 flow lag 100ms|--flows 1 --frame-size 1514 --skew time:100ms --window 131072"
    "1514B 1 flow lag 1s|--flows 1 --frame-size 1514 --skew time:1s --window 131072"
    "1514B 1000 flows lag 10ms|--flows 1000 --frame-size 1514 --skew time:10ms --window 131072"
    "1514B 1000 flows lag 100ms|--flows 1000 --frame-size 1514 --skew time:100ms --window 131072"
    "1514B 1000 flows lag 1s|--flows 1000 --frame-size 1514 --skew time:1s --window 131072"
    "1514B 1 flow lag 10MB|--flows 1 --frame-size 1514 --skew bytes:10MB"
    "1514B 1 flow lag 100MB|--flows 1 --frame-size 1514 --skew bytes:100MB"
    "1514B 1 flow lag 200MB|--flows 1 --frame-size 1514 --skew bytes:200MB"
    "1514B 1000 flows lag 10MB|--flows 1000 --frame-size 1514 --skew bytes:10MB"
    "1514B 1000 flows lag 100MB|--flows 1000 --frame-size 1514 --skew bytes:100MB"
    "1514B 1000 flows lag 200MB|--flows 1000 --frame-size 1514 --skew bytes:200MB"
    "64B 1 flow lag 10ms|--flows 1 --frame-size 64 --skew time:10ms --window 131072"
    "64B 1 flow lag 10MB|--flows 1 --frame-size 64 --skew bytes:10MB"
)
if [ "$QUICK" = 1 ]; then
    SCENARIOS=("${SCENARIOS_QUICK[@]}")
elif [ "$LAG" = 1 ]; then
    SCENARIOS=("${SCENARIOS_LAG[@]}")
else
    SCENARIOS=("${SCENARIOS_FULL[@]}")
fi

{
    echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
        "$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
    echo "kernel: $(uname -r); dotnet $(dotnet --version 2>/dev/null); ${QEMU_BIN:+$("$QEMU_BIN" --version | head -n 1)}"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cells: ${SECONDS_PER_CELL}s each (first ${WARMUP}s excluded), $REPEAT run(s) each (median reported), targets: $TARGETS, max_queue_size $QUEUE"
} | tee "$OUT/machine.txt" >&2

for entry in "${SCENARIOS[@]}"; do
    scenario=${entry%%|*}
    if [ -n "$ONLY" ] && ! grep -Eq -- "$ONLY" <<<"$scenario"; then continue; fi
    read -r -a args <<<"${entry#*|}"
    for rep in $(seq 1 "$REPEAT"); do
        for target in $TARGETS; do
            say "== $scenario: $target (run $rep of $REPEAT)"
            run_cell "$target" "$scenario" "${args[@]}"
        done
    done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt" >&2
"$LOADGEN" report "$RESULTS" | tee "$OUT/table.md"
echo >&2
echo "results: $OUT (results.jsonl, table.md, machine.txt, compare.log)" >&2
