#!/usr/bin/env bash
# Query benchmark: `flowlog query` beside nfdump on the same capture, same run.
#
# nfdump's file comes from `nfpcapd -r large.pcap -w DIR -y` (LZ4); our store from
# `flowlog replay large.pcap --data DIR`, and a second one from the store's synthetic
# Kubernetes generator with as many flows as nfdump's file (each row names its store). Figures
# are flows/s over the flows in each side's input, best of three runs, process start included.
#
# Rows: a full scan with a filter the index cannot prune, a top-10 destination-port-by-bytes
# group-by (nfdump -s dstport/bytes), CSV output of every flow (nfdump -o csv), and the
# fraction of blocks a one-hour query over a day of data reads (goal ≤ 1/20, from --stats).
#
# The top-N goal (≥ 1.5× nfdump) is measured again on ten times the data (QUERY_SCALE), where
# both sides run for a few hundred milliseconds, so process start and the 10 ms resolution of
# `time` no longer decide the ratio: nfdump reads ten copies of its file (`-R DIR`), we read
# the capture replayed ten times, and a synthetic store with ten times nfdump's flow count. The
# replay row counts packets of capture answered per second, because nfpcapd writes a flow per
# direction where we write one per conversation (about 2.9 of its flows per one of ours on this
# capture), so flows/s would compare different units; the synthetic row has equal flow counts.
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

# Our inputs: the same capture through `flowlog replay` (no cluster, so the flows carry no
# identities, like nfdump's), and as many synthetic Kubernetes flows with identities, labels
# and policy traces (the store's generator), which show the cost of the annotation.
stores=()
if "$FLOWLOG" --help 2>/dev/null | grep -Eq "^  replay( |$)"; then
    if [ ! -d "$work/store-replay" ]; then "$FLOWLOG" replay "$pcap" --data "$work/store-replay" >&2; fi
    stores+=("replay:$work/store-replay")
else
    echo "query: 'flowlog replay' is not available; only the synthetic store is measured" >&2
fi
if [ ! -d "$work/store-synthetic" ]; then "$BENCH_BIN/query-bench" fill "$work/store-synthetic" "$nf_flows" >&2; fi
stores+=("synthetic:$work/store-synthetic")

# measure CMD...: runs CMD three times, output discarded; prints "<wall s> <cpu s>", the
# smallest of each (cpu = user + system, all threads). On a loaded machine the CPU figure is
# the steadier one; on an idle one wall time credits nfdump's worker threads.
measure() {
    local t="$work/time.$$" wall="" cpu=""
    for _ in 1 2 3; do
        /usr/bin/time -f '%e %U %S' -o "$t" "$@" >/dev/null 2>/dev/null
        read -r w u s <"$t"
        c=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
        if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$w; fi
        if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
    done
    rm -f "$t"
    echo "$wall $cpu"
}

# rate FLOWS SECONDS: flows per second (a floor of 10 ms keeps a too-quick run finite).
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.01) s = 0.01; printf "%.0f", n / s }'; }

# compare NAME REFERENCE OURS_CMD -- THEIRS_CMD: a wall-clock row and a CPU-time row.
compare() {
    local name=$1 ref=$2; shift 2
    local ours=() theirs=()
    while [ "$1" != "--" ]; do ours+=("$1"); shift; done
    shift
    theirs=("$@")
    read -r ow oc < <(measure "${ours[@]}")
    read -r tw tc < <(measure "${theirs[@]}")
    bench_row "$name, wall ($kind)" "$(rate "$our_flows" "$ow")" flows/s "$ref" "$(rate "$nf_flows" "$tw")"
    bench_row "$name, CPU ($kind)" "$(rate "$our_flows" "$oc")" flows/cpu-s "$ref" "$(rate "$nf_flows" "$tc")"
}

for entry in "${stores[@]}"; do
    kind=${entry%%:*}
    store=${entry#*:}
    our_flows=$("$FLOWLOG" query --data "$store" --group-by proto -o csv | awk -F, 'NR > 1 { n += $2 } END { print n + 0 }')
    echo "query: nfdump file $nf_flows flows; our $kind store $our_flows flows" >&2
    # A filter no block digest can answer, so both sides scan and test every flow. nfdump prints
    # in file order: flowlog's `--order stored` streams the same way (its default sorts by time).
    compare "query: scan with filter" "nfdump -o csv FILTER" \
        "$FLOWLOG" query --data "$store" -o csv --order stored 'proto tcp and bytes > 100000' -- \
        nfdump -r "$nffile" -q -o csv 'proto tcp and bytes > 100000'
    compare "query: top-10 dst port by bytes" "nfdump -s dstport/bytes" \
        "$FLOWLOG" query --data "$store" -o csv --group-by dst.port --top 10 --order bytes -- \
        nfdump -r "$nffile" -s dstport/bytes -n 10
    compare "query: CSV, all fields" "nfdump -o csv" \
        "$FLOWLOG" query --data "$store" -o csv --order stored -- \
        nfdump -r "$nffile" -o csv
done

# Top-N at scale (see the header).
scale=${QUERY_SCALE:-10}
if [ "$(ls "$work/nf-x$scale" 2>/dev/null | wc -l)" != "$scale" ]; then
    rm -rf "$work/nf-x$scale"; mkdir -p "$work/nf-x$scale"
    for ((i = 0; i < scale; i++)); do cp "$nffile" "$work/nf-x$scale/nfcapd.2024010100$(printf %02d "$i")"; done
fi
capture_packets=$(capinfos -Mc "$pcap" 2>/dev/null | awk '/Number of packets/ { print $NF }' || true)
[ -n "$capture_packets" ] || { echo "query: capinfos (Debian package tshark) is needed to count the capture's packets" >&2; exit 1; }
scaled_packets=$((capture_packets * scale))
scaled_nf_flows=$((nf_flows * scale))
top_ours=("$FLOWLOG" query -o csv --group-by dst.port --top 10 --order bytes --data)
top_theirs=(nfdump -R "$work/nf-x$scale" -s dstport/bytes -n 10)
read -r tw tc < <(measure "${top_theirs[@]}")
if "$FLOWLOG" --help 2>/dev/null | grep -Eq "^  replay( |$)"; then
    if [ ! -d "$work/store-replay-x$scale" ]; then
        files=(); for ((i = 0; i < scale; i++)); do files+=("$pcap"); done
        "$FLOWLOG" replay "${files[@]}" --data "$work/store-replay-x$scale" >&2
    fi
    read -r ow oc < <(measure "${top_ours[@]}" "$work/store-replay-x$scale")
    echo "query: x$scale: nfdump $tw s wall $tc s CPU ($scaled_nf_flows flows); replay store $ow s wall $oc s CPU" >&2
    bench_row "query: top-10 dst port by bytes, x$scale, wall (replay)" "$(rate "$scaled_packets" "$ow")" pkts/s "nfdump -R x$scale -s dstport/bytes" "$(rate "$scaled_packets" "$tw")"
    bench_row "query: top-10 dst port by bytes, x$scale, CPU (replay)" "$(rate "$scaled_packets" "$oc")" pkts/cpu-s "nfdump -R x$scale -s dstport/bytes" "$(rate "$scaled_packets" "$tc")"
fi
if [ ! -d "$work/store-synthetic-x$scale" ]; then "$BENCH_BIN/query-bench" fill "$work/store-synthetic-x$scale" "$scaled_nf_flows" >&2; fi
read -r ow oc < <(measure "${top_ours[@]}" "$work/store-synthetic-x$scale")
echo "query: x$scale: synthetic store ($scaled_nf_flows flows) $ow s wall $oc s CPU" >&2
bench_row "query: top-10 dst port by bytes, x$scale, wall (synthetic)" "$(rate "$scaled_nf_flows" "$ow")" flows/s "nfdump -R x$scale -s dstport/bytes" "$(rate "$scaled_nf_flows" "$tw")"
bench_row "query: top-10 dst port by bytes, x$scale, CPU (synthetic)" "$(rate "$scaled_nf_flows" "$oc")" flows/cpu-s "nfdump -R x$scale -s dstport/bytes" "$(rate "$scaled_nf_flows" "$tc")"

# One hour out of a day: 200 flows/s for 24 h (17.3 M flows, about 300 MB), default store
# configuration; the share is of all the store's blocks (`flowlog store info`), since segments
# outside the hour are skipped unopened.
day="$work/day"
if [ ! -d "$day" ]; then "$BENCH_BIN/query-bench" day "$day" 200 >&2; fi
stats=$("$FLOWLOG" query --data "$day" -o csv --stats --since 2026-11-23T12:00:00Z --until 2026-11-23T13:00:00Z 2>&1 >/dev/null)
echo "$stats" >&2
read_blocks=$(echo "$stats" | awk '/^blocks:/ { print $2 }')
total_blocks=$("$FLOWLOG" store info "$day" | awk '/^total:/ { print $4 }')
echo "query: one hour of a day read $read_blocks of $total_blocks blocks" >&2
bench_row "query: 1 h of 24 h, share of blocks read" "$(awk -v r="$read_blocks" -v t="$total_blocks" 'BEGIN { printf "%.4f", r / t }')" "of blocks" "goal" "0.05"
