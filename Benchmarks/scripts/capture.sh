#!/usr/bin/env bash
# Capture stage: decode + flow cache on the issue's large synthetic capture, beside the C
# reference (pcaplimit -f -b: libpcap + its own decoder + a bidirectional 5-tuple table) and
# nfdump's nfpcapd (-r FILE -w DIR -y) on the same file in the same run. Best of 3 each,
# interleaved, after one warm-up read so every tool sees the file in the page cache.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

file=$(bench_large_capture)
pcaplimit=$(bench_tool pcaplimit) || { echo "pcaplimit.c not found (set SHARED)" >&2; exit 1; }
cat "$file" >/dev/null
packets=$("$pcaplimit" "$file" | sed -n 's/.*packets=\([0-9]*\).*/\1/p')
timing="$BENCH_WORK/capture.time"
nfdir="$BENCH_WORK/nfpcapd"

best() { sort -n | head -1; }
declare -a t_ref t_bench t_replay t_nf
rss_replay=0; rss_ref=0
for round in 1 2 3; do
    bench_time "$timing" "$pcaplimit" -f -b "$file"; t_ref+=("$(cut -d' ' -f1 "$timing")"); rss_ref=$(cut -d' ' -f2 "$timing")
    bench_time "$timing" "$BENCH_BIN/capture-bench" "$file"; t_bench+=("$(cut -d' ' -f1 "$timing")")
    bench_time "$timing" "$FLOWLOG" replay "$file"; t_replay+=("$(cut -d' ' -f1 "$timing")"); rss_replay=$(cut -d' ' -f2 "$timing")
    if command -v nfpcapd >/dev/null; then
        rm -rf "$nfdir"; mkdir -p "$nfdir"
        bench_time "$timing" nfpcapd -r "$file" -w "$nfdir" -y; t_nf+=("$(cut -d' ' -f1 "$timing")")
    fi
done
pps() { awk -v n="$packets" -v s="$1" 'BEGIN { if (s <= 0) s = 0.01; printf "%.0f", n / s }'; }
ref=$(pps "$(printf '%s\n' "${t_ref[@]}" | best)")
bench=$(pps "$(printf '%s\n' "${t_bench[@]}" | best)")
replay=$(pps "$(printf '%s\n' "${t_replay[@]}" | best)")
bench_row "capture: decode+flow cache (capture-bench)" "$bench" "packets/s" "pcaplimit -f -b" "$ref"
bench_row "capture: flowlog replay (whole command)" "$replay" "packets/s" "pcaplimit -f -b" "$ref"
if [ ${#t_nf[@]} -gt 0 ]; then
    nf=$(pps "$(printf '%s\n' "${t_nf[@]}" | best)")
    bench_row "capture: flowlog replay vs nfpcapd" "$replay" "packets/s" "nfpcapd -r -w -y" "$nf"
fi
bench_row "capture: flowlog replay peak RSS" "$rss_replay" "KiB" "pcaplimit -f -b RSS" "$rss_ref"
figures=$("$BENCH_BIN/capture-bench" "$file")
echo "capture-bench: $figures" >&2
entry=$(echo "$figures" | sed -n 's/.*entry_bytes=\([0-9]*\).*/\1/p')
index=$(echo "$figures" | sed -n 's/.*index_bytes=\([0-9-]*\).*/\1/p')
peak=$(echo "$figures" | sed -n 's/.*peak_flows=\([0-9]*\).*/\1/p')
bench_row "capture: memory per concurrent flow (entry+index ${entry}+${index})" "$((entry + ${index%-*}))" "bytes" "-" "-"
bench_row "capture: peak concurrent flows" "$peak" "flows" "-" "-"
