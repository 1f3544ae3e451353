#!/usr/bin/env bash
# End to end: `flowlog replay` (capture → ring → policy → store, annotated and stored) on a
# large samplegen capture with its cluster, beside nfpcapd and argus reading the same file.
# Prints packets/s, peak RSS and bytes stored; ratios are flowlog / reference.
# Goal (issue 5): ≥ 5× nfpcapd's packets/s, peak RSS no higher than nfpcapd's. A last row
# measures the ceiling: pcaplimit (the bare C libpcap loop) on the same file.
#
# Environment (from Benchmarks/run.sh): BENCH_WORK, BENCH_BIN, FLOWLOG. Optional:
#   E2E_RUNS   timed runs per tool, the fastest counts (default 1)
#   E2E_PROFILE=1  also profile one replay with perf and print its CPU split per stage
#   BENCH_LOCK a lock file: each timed run holds a flock on it (benchmarks sharing a machine
#              take turns); the load average as runs start is printed as a row
#   E2E_ARGS   samplegen arguments for another input (default: the large cluster, lib.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runs=${E2E_RUNS:-1}
work="$BENCH_WORK/e2e"
mkdir -p "$work"
# The input: the large cluster shared with the policy and live areas, unless E2E_ARGS asks for
# another samplegen input (made once per argument set and reused).
if [ -n "${E2E_ARGS:-}" ]; then
    input="$work/input"
    bench_samplegen_input "$input" "$E2E_ARGS" || exit 1
else
    input=$(bench_large_cluster) || exit 1
fi
capture="$input/capture.pcap"
cluster="$input/cluster"
packets=$(sed -n 's/.*capture: \([0-9]*\) packets.*/\1/p' "$input/samplegen.log")
[ -n "$packets" ] || { echo "e2e: cannot read the packet count from $input/samplegen.log" >&2; exit 1; }
echo "e2e: input $capture: $packets packets, $(du -h "$capture" | cut -f1)" >&2

# measure NAME OUTDIR CMD...: runs CMD $runs times into a fresh OUTDIR; sets best_s, best_kib
# (the fastest run's time and peak RSS) and stored (bytes in OUTDIR after the last run).
measure() {
    local name=$1 out=$2; shift 2
    local i t rss user system
    best_s="" best_kib="" best_cpu=""
    for ((i = 1; i <= runs; i++)); do
        rm -rf "$out" && mkdir -p "$out"
        # Under BENCH_LOCK (when set) the timed run takes its turn with other benchmarks.
        if ! bench_time "$work/$name.time" "$@" 2>"$work/$name.log"; then
            cat "$work/$name.log" >&2
            echo "e2e: $name failed: $*" >&2
            return 1
        fi
        cat "$work/$name.log" >&2
        read -r t rss user system <"$work/$name.time"
        echo "e2e: $name run $i: ${t}s, ${rss} KiB, CPU ${user}s user + ${system}s system" >&2
        if [ -z "$best_s" ] || awk -v a="$t" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
            best_s=$t best_kib=$rss best_cpu=$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }')
        fi
    done
    stored=$(du -sb "$out" | cut -f1)
}

rate() { awk -v p="$packets" -v s="$1" 'BEGIN { if (s <= 0) s = 0.01; printf "%.0f", p / s }'; }

declare -A pps kib bytes
for peer in nfpcapd argus; do
    if ! command -v "$peer" >/dev/null; then
        case $peer in
            nfpcapd) echo "e2e: nfpcapd not found; install it with: apt-get install -y nfdump" >&2 ;;
            argus) echo "e2e: argus not found; install it with: apt-get install -y argus-server" >&2 ;;
        esac
        continue
    fi
    case $peer in
        nfpcapd) measure nfpcapd "$work/nfpcapd" nfpcapd -r "$capture" -w "$work/nfpcapd" -y || continue ;;
        argus) measure argus "$work/argus" argus -r "$capture" -w "$work/argus/argus.out" || continue ;;
    esac
    pps[$peer]=$(rate "$best_s") kib[$peer]=$best_kib bytes[$peer]=$stored
    bench_row "e2e $peer packets/s" "${pps[$peer]}" packets/s - -
    bench_row "e2e $peer peak RSS" "${kib[$peer]}" KiB - -
done

# flowlog: annotated (with the cluster) and stored, as `flowlog replay` does.
if ! "$FLOWLOG" replay --help 2>/dev/null | grep -q -- '--cluster'; then
    echo "e2e: '$FLOWLOG replay … --cluster … --data …' is not available in this build: no end-to-end row" >&2
    exit 1
fi
measure flowlog "$work/flowlog" "$FLOWLOG" replay "$capture" --cluster "$cluster" --data "$work/flowlog"
if [ "$stored" -eq 0 ]; then
    echo "e2e: flowlog replay stored nothing in $work/flowlog" >&2
    exit 1
fi
flow_pps=$(rate "$best_s") flow_kib=$best_kib flow_cpu=$best_cpu
# E2E_PROFILE=1: one more replay under `perf record`, and its CPU split per stage (thread).
if [ -n "${E2E_PROFILE:-}" ]; then
    if command -v perf >/dev/null && command -v python3 >/dev/null; then
        rm -rf "$work/flowlog-profile"
        if perf record -q -g -o "$work/perf.data" -- "$FLOWLOG" replay "$capture" --cluster "$cluster" --data "$work/flowlog-profile" \
                >/dev/null 2>&1 && perf script -i "$work/perf.data" -F tid,ip,sym,dso >"$work/perf.txt" 2>/dev/null; then
            echo "e2e: CPU split of one replay (perf samples by stage):" >&2
            python3 "$BENCH_ROOT/Benchmarks/tools/perf-stages.py" "$work/perf.txt" >&2
        fi
        rm -rf "$work/flowlog-profile"
    else
        echo "e2e: E2E_PROFILE needs perf (apt-get install -y linux-perf) and python3" >&2
    fi
fi
# The capture's denied connections are known: a replay that counts otherwise is not measuring
# the same work (a flow merged or split by the cache shifts the count by one or two).
expected_denied=$(sed -n 's/.*flows (\([0-9]*\) denied.*/\1/p' "$input/samplegen.log")
replay_denied=$(grep -o 'deny [0-9]*' "$work/flowlog.log" | head -1 | cut -d' ' -f2 || true)
if [ -n "$expected_denied" ] && [ -n "$replay_denied" ]; then
    echo "e2e: verdicts: flowlog denied $replay_denied flows; the capture has $expected_denied denied connections" >&2
fi
for peer in nfpcapd argus; do
    [ -n "${pps[$peer]:-}" ] || continue
    bench_row "e2e replay packets/s (vs $peer)" "$flow_pps" packets/s "$peer" "${pps[$peer]}"
    bench_row "e2e replay peak RSS (vs $peer)" "$flow_kib" KiB "$peer" "${kib[$peer]}"
    bench_row "e2e replay bytes stored (vs $peer)" "$stored" bytes "$peer" "${bytes[$peer]}"
done
# The ceiling: the bare C libpcap loop and flow table (no policy, no store) on the same file.
# Its ratio to nfpcapd bounds what any replay reading through libpcap can reach on this input.
if limit=$(bench_tool pcaplimit); then
    if measure pcaplimit "$work/pcaplimit" "$limit" -f -b "$capture"; then
        limit_pps=$(rate "$best_s")
        bench_row "e2e ceiling: pcaplimit -f -b packets/s" "$limit_pps" packets/s "nfpcapd" "${pps[nfpcapd]:-}"
        bench_row "e2e replay packets/s (vs the ceiling)" "$flow_pps" packets/s "pcaplimit -f -b" "$limit_pps"
        # CPU time is what load on a shared machine distorts least: packets per CPU-second, and
        # the same on two cores (a replay may use both; pcaplimit has one thread).
        cpu_rate() { awk -v p="$packets" -v s="$1" 'BEGIN { if (s <= 0) s = 0.01; printf "%.0f", p / s }'; }
        bench_row "e2e replay packets per CPU-second (vs the ceiling)" "$(cpu_rate "$flow_cpu")" packets/cpu-s "pcaplimit -f -b" "$(cpu_rate "$best_cpu")"
        bench_row "e2e replay packets/s if its CPU spread over 2 cores" "$(cpu_rate "$(awk -v c="$flow_cpu" 'BEGIN { print c / 2 }')")" packets/s "pcaplimit -f -b, CPU" "$(cpu_rate "$best_cpu")"
    fi
else
    echo "e2e: pcaplimit.c not found (set SHARED): no ceiling row" >&2
fi
if [ -z "${pps[nfpcapd]:-}" ] && [ -z "${pps[argus]:-}" ]; then
    bench_row "e2e replay packets/s" "$flow_pps" packets/s - -
    bench_row "e2e replay peak RSS" "$flow_kib" KiB - -
fi
bench_load_row "e2e"
