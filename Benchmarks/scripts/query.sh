#!/usr/bin/env bash
# Query benchmark: `flowlog query` beside nfdump on the same flows (the same capture), same run.
#
# Two captures, each read by both sides: the issue's pcapgen capture (`large.pcap`, no
# cluster, so our flows carry no identities, like nfdump's) and the large cluster's samplegen
# capture with its cluster (`flowlog replay --cluster`, every flow annotated). nfdump's files
# come from `nfpcapd -r CAPTURE -w DIR -y` (LZ4); our stores from `flowlog replay CAPTURE
# --data DIR`. nfpcapd writes a flow per direction where we write one per conversation, so
# flows/s would compare different units: every rate here is packets of capture answered per
# second (both sides answer for the same packets).
#
# nfdump answers a 2 M-packet capture in 20–40 ms, near the 10 ms resolution of `time`, so
# every shape but CSV runs on the capture read QUERY_SCALE times (default 10): nfdump reads
# that many copies of its file (`-R DIR`), we read a store of the capture replayed that many
# times. CSV prints every flow (nfdump takes seconds for one copy), so it runs on one copy.
#
# Shapes (the issue's list), each a wall-clock row and a CPU-time row (user + system, all
# threads), best of three runs, process start included, output to /dev/null on both sides:
#   filtered scans printing rows (CSV, in stored order): `proto tcp and bytes > 100000`,
#   an IP/CIDR filter (`ip CIDR` / nfdump `net CIDR`), a namespace filter (cluster capture:
#   `namespace NS` / nfdump `ip in [every address of the namespace's pods]`); top-10
#   destination ports by bytes (`--group-by dst.port --top 10` / `nfdump -s dstport/bytes`);
#   CSV of every flow. The full scan decoding every field is the store's row (store.sh).
# Plus the share of blocks a one-hour query over a day of data reads (goal ≤ 1/20).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work="$BENCH_WORK/query"
mkdir -p "$work"
scale=${QUERY_SCALE:-10}

# measure CMD...: runs CMD three times, output discarded; prints "<wall s> <cpu s>", the
# smallest of each (cpu = user + system, all threads).
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

# rate COUNT SECONDS (a floor of 10 ms keeps a too-quick run finite).
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.01) s = 0.01; printf "%.0f", n / s }'; }

# compare NAME REFERENCE PACKETS OURS_CMD -- THEIRS_CMD: a wall-clock row and a CPU-time row,
# both as packets of capture answered per second. Matching rows of each side go to stderr.
compare() {
    local name=$1 ref=$2 packets=$3; shift 3
    local ours=() theirs=()
    while [ "$1" != "--" ]; do ours+=("$1"); shift; done
    shift
    theirs=("$@")
    read -r ow oc < <(measure "${ours[@]}")
    read -r tw tc < <(measure "${theirs[@]}")
    echo "query: $name: flowlog ${ow}s wall ${oc}s CPU; nfdump ${tw}s wall ${tc}s CPU" >&2
    bench_row "$name, wall" "$(rate "$packets" "$ow")" pkts/s "$ref" "$(rate "$packets" "$tw")"
    bench_row "$name, CPU" "$(rate "$packets" "$oc")" pkts/cpu-s "$ref" "$(rate "$packets" "$tc")"
}

# rows CMD...: how many lines CMD prints (for the stderr notes on what each side matched).
rows() { "$@" 2>/dev/null | wc -l; }

# inputs NAME CAPTURE [REPLAY OPTIONS…]: nfdump's file and copies, our store of one copy and
# of `scale` copies; sets nfone (nfdump's files of one copy), nfdir, store1, storeN, packets.
inputs() {
    local name=$1 capture=$2; shift 2
    local dir="$work/$name"
    mkdir -p "$dir"
    if ! ls "$dir"/nf/nfcapd.* >/dev/null 2>&1; then
        rm -rf "$dir/nf"; mkdir -p "$dir/nf"
        nfpcapd -r "$capture" -w "$dir/nf" -y >&2
    fi
    # nfpcapd rotates files every 5 minutes of capture time: a longer capture gives several,
    # and every one of them holds part of its flows.
    local nffiles=("$dir"/nf/nfcapd.*)
    nfone="$dir/nf"
    nfdir="$dir/nf-x$scale"
    if [ "$(ls "$nfdir" 2>/dev/null | wc -l)" != "$((scale * ${#nffiles[@]}))" ]; then
        rm -rf "$nfdir"; mkdir -p "$nfdir"
        for ((i = 0; i < scale; i++)); do
            for ((j = 0; j < ${#nffiles[@]}; j++)); do cp "${nffiles[$j]}" "$nfdir/nfcapd.2024010100$(printf %02d%02d "$i" "$j")"; done
        done
    fi
    store1="$dir/store"
    storeN="$dir/store-x$scale"
    if [ ! -d "$store1" ]; then "$FLOWLOG" replay "$capture" "$@" --data "$store1" >&2; fi
    if [ ! -d "$storeN" ]; then
        local files=()
        for ((i = 0; i < scale; i++)); do files+=("$capture"); done
        "$FLOWLOG" replay "${files[@]}" "$@" --data "$storeN" >&2
    fi
    packets=$(capinfos -Mc "$capture" 2>/dev/null | awk '/Number of packets/ { print $NF }' || true)
    [ -n "$packets" ] || { echo "query: capinfos (Debian package tshark) is needed to count the capture's packets" >&2; exit 1; }
    echo "query: $name: nfdump $(nfdump -R "$nfone" -I | awk '/^Flows:/ {print $2}') flows per copy," \
        "flowlog $("$FLOWLOG" query --data "$store1" --group-by proto -o csv | awk -F, 'NR > 1 { n += $2 } END { print n + 0 }') per copy," \
        "$packets packets per copy" >&2
}

# shapes NAME CIDR [NAMESPACE]: every shape on the inputs last made.
shapes() {
    local name=$1 cidr=$2 namespace=${3:-}
    local n=$((packets * scale))
    local ours=("$FLOWLOG" query --data "$storeN" -o csv --order stored)
    local theirs=(nfdump -R "$nfdir" -q -o csv)
    echo "query: $name: 'proto tcp and bytes > 100000' matches $(rows "${ours[@]}" 'proto tcp and bytes > 100000') rows (header included) / nfdump $(rows "${theirs[@]}" 'proto tcp and bytes > 100000')" >&2
    compare "query: filter proto tcp and bytes > 100000, x$scale ($name)" "nfdump -o csv FILTER" "$n" \
        "${ours[@]}" 'proto tcp and bytes > 100000' -- "${theirs[@]}" 'proto tcp and bytes > 100000'
    echo "query: $name: 'ip $cidr' matches $(rows "${ours[@]}" "ip $cidr") / nfdump 'net $cidr' $(rows "${theirs[@]}" "net $cidr")" >&2
    compare "query: filter ip CIDR, x$scale ($name)" "nfdump -o csv 'net CIDR'" "$n" \
        "${ours[@]}" "ip $cidr" -- "${theirs[@]}" "net $cidr"
    if [ -n "$namespace" ]; then
        # nfdump knows no namespaces: the same flows are those to or from the namespace's pods.
        local list
        list=$(awk -v ns="$namespace" '/^kind:/ { pod = ($2 == "Pod") } pod && /^  namespace:/ { cur = $2 }
            pod && cur == ns && /^  - ip:/ { gsub(/'"'"'/, "", $3); print $3 }' "$cluster/20-pods.yaml" | sort -u | tr '\n' ' ')
        echo "query: $name: 'namespace $namespace' matches $(rows "${ours[@]}" "namespace $namespace") / nfdump 'ip in [$(echo "$list" | wc -w) addresses]' $(rows "${theirs[@]}" "ip in [ $list]")" >&2
        compare "query: filter namespace, x$scale ($name)" "nfdump 'ip in [pod IPs]'" "$n" \
            "${ours[@]}" "namespace $namespace" -- "${theirs[@]}" "ip in [ $list]"
    fi
    compare "query: top-10 dst port by bytes, x$scale ($name)" "nfdump -s dstport/bytes" "$n" \
        "$FLOWLOG" query --data "$storeN" -o csv --group-by dst.port --top 10 --order bytes -- \
        nfdump -R "$nfdir" -s dstport/bytes -n 10
    compare "query: CSV, all fields, x1 ($name)" "nfdump -o csv" "$packets" \
        "$FLOWLOG" query --data "$store1" -o csv --order stored -- nfdump -R "$nfone" -o csv
}

# The pcapgen capture: flows without identities.
inputs replay "$(bench_large_capture)"
shapes replay 10.244.16.0/24

# The large cluster's capture with its cluster (lib.sh's shared input; skipped without it).
# The namespace filter takes the namespace with the most pods.
if cluster_input=$(bench_large_cluster) && [ -s "$cluster_input/capture.pcap" ]; then
    cluster="$cluster_input/cluster"
    inputs cluster "$cluster_input/capture.pcap" --cluster "$cluster"
    namespace=$(awk '/^  namespace:/ { print $2 }' "$cluster/20-pods.yaml" | grep -v -e '^kube-system$' -e '^monitoring$' \
        | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    shapes cluster 10.244.16.0/24 "$namespace"
else
    echo "query: no large-cluster input; the cluster rows are skipped" >&2
fi

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
