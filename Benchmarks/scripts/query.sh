#!/usr/bin/env bash
# Query benchmark: `flowlog query` beside nfdump on the same capture, same run.
#
# nfdump's file comes from `nfpcapd -r large.pcap -w DIR -y` (LZ4); our store from
# `flowlog replay large.pcap --data DIR` when the replay command exists, otherwise from the
# store's synthetic Kubernetes generator with as many flows as nfdump's file (said on stderr
# and in the row's name). Figures are flows/s over the flows in each side's input, best of
# three wall-clock runs (process start included on both sides).
#
# Rows: a full scan with a filter the index cannot prune, a top-10 destination-port-by-bytes
# group-by (nfdump -s dstport/bytes), CSV output of every flow (nfdump -o csv), and the
# fraction of blocks a one-hour query over a day of data reads (goal ≤ 1/20, from --stats).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work="$BENCH_WORK/query"
mkdir -p "$work"
pcap=$(bench_large_capture)

# nfdump's input, made once.
if ! ls "$work"/nf/nfcapd.* >/dev/null 2>&1; then
    rm -rf "$work/nf"; mkdir -p "$work/nf"
    nfpcapd -r "$pcap" -w "$work/nf" -y >&2
fi
nffile=$(ls "$work"/nf/nfcapd.* | head -1)
nf_flows=$(nfdump -r "$nffile" -I | awk '/^Flows:/ {print $2}')

# Our input: the same capture through the pipeline when it can, else synthetic flows.
store="$work/store"
kind="replay"
if "$FLOWLOG" replay --help >/dev/null 2>&1; then
    if [ ! -d "$store" ]; then "$FLOWLOG" replay "$pcap" --data "$store" >&2; fi
else
    kind="synthetic"
    store="$work/store-synthetic"
    if [ ! -d "$store" ]; then "$BENCH_BIN/query-bench" fill "$store" "$nf_flows" >&2; fi
    echo "query: 'flowlog replay' is not available; measuring a store of $nf_flows synthetic flows" >&2
fi
our_flows=$("$FLOWLOG" query --data "$store" --group-by proto -o csv | awk -F, 'NR > 1 { n += $2 } END { print n + 0 }')
echo "query: nfdump file $nf_flows flows; our store ($kind) $our_flows flows" >&2

# best_seconds CMD...: the fastest of three runs' wall time, output discarded.
best_seconds() {
    local best="" s e t
    for _ in 1 2 3; do
        s=$(date +%s%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s%N)
        t=$(( e - s ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    awk -v ns="$best" 'BEGIN { printf "%.4f", ns / 1e9 }'
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

# A filter no block digest can answer, so both sides scan and test every flow.
ours=$(best_seconds "$FLOWLOG" query --data "$store" -o csv 'proto tcp and bytes > 100000')
theirs=$(best_seconds nfdump -r "$nffile" -q -o csv 'proto tcp and bytes > 100000')
bench_row "query: scan with filter ($kind)" "$(rate "$our_flows" "$ours")" flows/s "nfdump -o csv FILTER" "$(rate "$nf_flows" "$theirs")"

ours=$(best_seconds "$FLOWLOG" query --data "$store" -o csv --group-by dst.port --top 10 --order bytes)
theirs=$(best_seconds nfdump -r "$nffile" -s dstport/bytes -n 10)
bench_row "query: top-10 dst port by bytes ($kind)" "$(rate "$our_flows" "$ours")" flows/s "nfdump -s dstport/bytes" "$(rate "$nf_flows" "$theirs")"

ours=$(best_seconds "$FLOWLOG" query --data "$store" -o csv)
theirs=$(best_seconds nfdump -r "$nffile" -o csv)
bench_row "query: CSV, all fields ($kind)" "$(rate "$our_flows" "$ours")" flows/s "nfdump -o csv" "$(rate "$nf_flows" "$theirs")"

# One hour out of a day: 50 flows/s for 24 h (4.3 M flows), default store configuration.
day="$work/day"
if [ ! -d "$day" ]; then "$BENCH_BIN/query-bench" day "$day" 50 >&2; fi
stats=$("$FLOWLOG" query --data "$day" -o csv --stats --since 2026-11-23T12:00:00Z --until 2026-11-23T13:00:00Z 2>&1 >/dev/null)
echo "$stats" >&2
read -r read_blocks total_blocks < <(echo "$stats" | awk '/^blocks:/ { print $2, $7 }')
bench_row "query: 1 h of 24 h, share of blocks read" "$(awk -v r="$read_blocks" -v t="$total_blocks" 'BEGIN { printf "%.4f", r / t }')" "of blocks" "goal" "0.05"
