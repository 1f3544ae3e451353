# Shared helpers for Benchmarks/scripts/<area>.sh (sourced, not run).
# Requires BENCH_WORK (and SHARED for the C reference tools), as exported by Benchmarks/run.sh.

# bench_tool NAME: compiles $SHARED/tools-style NAME.c (pcapgen, pcaplimit) once into $BENCH_WORK
# and prints the binary's path; prints nothing (status 1) when the reference sources are absent.
bench_tool() {
    local name=$1 src="${SHARED:-}/$1.c" bin="$BENCH_WORK/$1"
    [ -n "${SHARED:-}" ] && [ -f "$src" ] || return 1
    if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
        cc -O2 -o "$bin" "$src" -lpcap -lm >&2 || return 1
    fi
    echo "$bin"
}

# bench_large_capture: the issue's large synthetic capture (≈355 MB, 2 M packets, 200 k flows),
# made once with pcapgen and reused; prints its path.
bench_large_capture() {
    local out="$BENCH_WORK/large.pcap" gen
    if [ ! -s "$out" ]; then
        gen=$(bench_tool pcapgen) || { echo "pcapgen.c not found (set SHARED)" >&2; return 1; }
        "$gen" -n 2000000 -f 200000 -c 10000 -r 100000 -o "$out" >&2
    fi
    echo "$out"
}

# bench_time OUT CMD...: runs CMD, writes "<elapsed seconds> <peak RSS KiB> <user CPU seconds>
# <system CPU seconds>" to OUT; CMD's own
# output goes to stderr so result rows stay clean. With BENCH_LOCK set to a file, CMD runs under
# `flock BENCH_LOCK` (so benchmarks sharing a machine take turns measuring, while preparing
# inputs stays outside the lock); the 1-minute load average as the run starts is kept in
# $BENCH_WORK/load.log (see bench_load_row).
bench_time() {
    local out=$1; shift
    local lock=()
    # Not when bench_lock already holds it: a second flock of the same file would wait forever.
    [ -n "${BENCH_LOCK:-}" ] && [ -z "${BENCH_LOCK_HELD:-}" ] && lock=(flock "$BENCH_LOCK")
    "${lock[@]+"${lock[@]}"}" sh -c 'cut -d" " -f1 /proc/loadavg >>"$0" 2>/dev/null; exec "$@"' "$BENCH_WORK/load.log" \
        /usr/bin/time -f '%e %M %U %S' -o "$out" "$@" >&2
}

# bench_load_row NAME: a row with the lowest and highest 1-minute load average seen as the timed
# runs since the last call started (figures from a loaded machine are worth less; ratios to a
# reference run in the same conditions much less so).
bench_load_row() {
    local log="$BENCH_WORK/load.log" range
    range=$(sort -n "$log" 2>/dev/null | sed -n '1p;$p' | paste -sd- -)
    rm -f "$log"
    echo "ROW|$1: load average (1 min) as runs started|${range:--}|-|-|-|-"
}

# bench_row NAME FIGURE UNIT REF REF_FIGURE: prints a result row with RATIO = FIGURE / REF_FIGURE.
bench_row() {
    local ratio="-"
    if [ -n "${5:-}" ] && [ "${5:-}" != "-" ]; then
        ratio=$(awk -v a="$2" -v b="$5" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2fx", a / b }')
    fi
    echo "ROW|$1|$2|$3|$4|${5:--}|$ratio"
}

# The issue's large cluster: 4,096 pods in 128 namespaces, 1,000 policies in 6 tiers (Pass tiers,
# a default deny, staged policies, namespaced and global network sets, named ports), and a
# samplegen capture of its traffic (≈2 M packets, 200 k connections). Every area that needs a
# cluster uses this one input.
BENCH_LARGE_CLUSTER_ARGS="--pods 4096 --namespaces 128 --policies 1000 --tiers 6 --flows 200000 --packets-per-flow 10 --external 2000 --seed 1"

# bench_samplegen_input DIR ARGS: makes DIR/capture.pcap and DIR/cluster with samplegen ARGS once
# (again when the arguments or the samplegen binary change); DIR/samplegen.log keeps its report.
bench_samplegen_input() {
    local input=$1 args=$2
    if [ ! -s "$input/capture.pcap" ] || [ "$(cat "$input/args" 2>/dev/null)" != "$args" ] \
        || [ "${BENCH_BIN:-}/samplegen" -nt "$input/args" ]; then
        [ -x "${BENCH_BIN:-}/samplegen" ] || { echo "samplegen not built (BENCH_BIN: ${BENCH_BIN:-unset}; Benchmarks/run.sh builds it)" >&2; return 1; }
        rm -rf "$input"
        mkdir -p "$(dirname "$input")"
        echo "generating $input: samplegen $args" >&2
        # shellcheck disable=SC2086  # word splitting of the argument list is intended
        "$BENCH_BIN/samplegen" --out "$input" $args 2>"$input.log" || { cat "$input.log" >&2; return 1; }
        mv "$input.log" "$input/samplegen.log"
        cat "$input/samplegen.log" >&2
        echo "$args" >"$input/args"
    fi
}

# bench_large_cluster: the large cluster's input directory (made once); prints its path.
bench_large_cluster() {
    bench_samplegen_input "$BENCH_WORK/large-cluster" "$BENCH_LARGE_CLUSTER_ARGS" || return 1
    echo "$BENCH_WORK/large-cluster"
}

# bench_load: the 1-, 5- and 15-minute load averages, to print beside absolute figures (on a
# shared machine the load is what distorts them).
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_lock / bench_unlock: around the steps that measure an absolute figure, hold the lock
# file named by BENCH_LOCK (when set) with flock, so that benchmarks sharing a machine measure
# one at a time. Build and generate inputs before taking it.
bench_lock() {
    [ -n "${BENCH_LOCK:-}" ] || return 0
    exec 9>>"$BENCH_LOCK"
    echo "waiting for $BENCH_LOCK…" >&2
    flock 9
    BENCH_LOCK_HELD=1
}
bench_unlock() { BENCH_LOCK_HELD=; [ -n "${BENCH_LOCK:-}" ] && flock -u 9 || true; }
