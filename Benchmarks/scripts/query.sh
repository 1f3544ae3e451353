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
# nfdump answers a 2 M-packet capture in 20–40 ms, where a process's start is a large share, so
# every shape but CSV runs on the capture read QUERY_SCALE times (default 10): nfdump reads
# that many copies of its file (`-R DIR`), we read a store of the capture replayed that many
# times. CSV prints every flow (nfdump takes seconds for one copy), so it runs on one copy.
#
# Shapes (the issue's list), each a wall-clock row and a CPU-time row (user + system, all
# threads), process start included, output to /dev/null on both sides: filtered scans printing
# rows (CSV, in stored order): `proto tcp and bytes > 100000`, an IP/CIDR filter (`ip CIDR` /
# nfdump `net CIDR`), a namespace filter (cluster capture: `namespace NS` / nfdump `ip in
# [every address of the namespace's pods]`); top-10 destination ports by bytes (`--group-by
# dst.port --top 10` / `nfdump -s dstport/bytes`); CSV of every flow; the full scan decoding
# every field without printing (`store-bench --scan`, every field of every flow read from the
# block's columns and dictionaries and folded into a checksum / `nfdump -q -o null`). Plus the
# share of blocks a one-hour query over a day of data reads (goal ≤ 1/20).
#
# Both sides use the machine's cores as they do by default: nfdump its reader and worker
# threads, flowlog (and store-bench) a worker per processor online decoding and filtering
# blocks (`--threads`; rows still print in the one-thread order). The CPU rows count every
# thread, so they show what the parallelism costs.
#
# Before anything is timed, the answers are checked (query-rows.py, on one copy): both sides'
# CSV of every flow holds the same conversations with the same packets and bytes; the IP and
# namespace filters give both sides the same conversations and totals; each side's answer to
# `proto tcp and bytes > 100000` is exactly the rows of its own full CSV the filter admits
# (flowlog's bytes count both directions, nfdump's one, so the rows differ by meaning); each
# side's top 10 is what its own full CSV sums to; the full scan's checksum of every field
# equals the one of a scan building a whole record per flow (`store-bench --scan-records`), and
# it visits every stored flow. A failed check stops the benchmark.
#
# Timing: QUERY_RUNS rounds (default 3), flowlog and nfdump alternating in each round, the
# smallest wall and CPU time of each side kept. With BENCH_LOCK set, the timed steps hold that
# lock (inputs and checks are made before taking it), and the load average is printed beside
# the figures. Quick: QUERY_SCALE=2 QUERY_RUNS=1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work="$BENCH_WORK/query"
mkdir -p "$work"
scale=${QUERY_SCALE:-10}
runs=${QUERY_RUNS:-3}
rowcheck=(python3 "$here/query-rows.py")

# time_once OUT CMD...: runs CMD once, output discarded; writes "<wall s> <cpu s>" to OUT
# (cpu = user + system, all threads, from the kernel's accounting of the child). Not
# `/usr/bin/time`: it prints 10 ms steps, and a timed shape here takes 40-200 ms, so its
# rounding alone moved a ratio by up to 15 %. A CMD that fails stops the benchmark.
time_once() {
    local out=$1; shift
    python3 -c '
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
null = os.open(os.devnull, os.O_WRONLY)
start = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ,
                      file_actions=[(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(out, "w") as f:
    f.write("%.4f %.4f\n" % (wall, usage.ru_utime + usage.ru_stime))
sys.exit(os.waitstatus_to_exitcode(status) and 1)
' "$out" "$@"
}

# least A B: the smaller number (A when B is empty).
least() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || a + 0 < b + 0) print a; else print b }'; }

# rate COUNT SECONDS (a floor of 0.1 ms keeps a too-quick run finite).
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.0001) s = 0.0001; printf "%.0f", n / s }'; }

# compare NAME REFERENCE PACKETS OURS_CMD -- THEIRS_CMD: a wall-clock row and a CPU-time row,
# both as packets of capture answered per second; the two commands alternate, QUERY_RUNS
# rounds, the best of each kept.
compare() {
    local name=$1 ref=$2 packets=$3; shift 3
    local ours=() theirs=()
    while [ "$1" != "--" ]; do ours+=("$1"); shift; done
    shift
    theirs=("$@")
    local ow="" oc="" tw="" tc="" t="$work/time.$$" w c
    for ((round = 0; round < runs; round++)); do
        time_once "$t" "${ours[@]}"; read -r w c <"$t"; ow=$(least "$w" "$ow"); oc=$(least "$c" "$oc")
        time_once "$t" "${theirs[@]}"; read -r w c <"$t"; tw=$(least "$w" "$tw"); tc=$(least "$c" "$tc")
    done
    rm -f "$t"
    echo "query: $name: flowlog ${ow}s wall ${oc}s CPU; nfdump ${tw}s wall ${tc}s CPU (load $(bench_load))" >&2
    bench_row "$name, wall" "$(rate "$packets" "$ow")" pkts/s "$ref" "$(rate "$packets" "$tw")"
    bench_row "$name, CPU" "$(rate "$packets" "$oc")" pkts/cpu-s "$ref" "$(rate "$packets" "$tc")"
}

# check WHAT CMD...: runs a query-rows.py check; a difference stops the benchmark.
check() {
    local what=$1; shift
    local said
    if ! said=$("${rowcheck[@]}" "$@"); then
        echo "query: $what: the answers differ, nothing is timed:" >&2
        echo "$said" >&2
        exit 1
    fi
    echo "query: $what: $said" >&2
}

# current_store DIR STAMP VERSION: whether DIR is a store made with STAMP (DIR.stamp) whose
# first segment is in format VERSION (the u16 at byte 4 of its header).
current_store() {
    local seg
    [ -d "$1" ] && [ "$(cat "$1.stamp" 2>/dev/null)" = "$2" ] || return 1
    seg=$(find "$1" -maxdepth 1 -name '*.seg' | sort | head -n 1)
    [ -n "$seg" ] && [ "$(od -An -tu2 -j4 -N2 "$seg" | tr -d ' ')" = "$3" ]
}

# inputs NAME CAPTURE [REPLAY OPTIONS…]: nfdump's file and copies, our store of one copy and
# of `scale` copies; sets nfone (nfdump's files of one copy), nfdir, store1, storeN, packets.
inputs() {
    local name=$1 capture=$2; shift 2
    local dir="$work/$name"
    mkdir -p "$dir"
    # Inputs made earlier are reused only when they were made from this capture with these
    # options (a stamp beside each), and our stores only when they are in the segment format
    # this tree writes: a store kept from an older capture or format times another decoder on
    # other flows.
    local stamp version
    stamp="$(stat -c '%s %Y' "$capture") $capture $*"
    version=$(awk '/static let version: UInt16 =/ { print $NF }' "$BENCH_ROOT/Sources/SegmentStore/SegmentFormat.swift")
    if [ "$(cat "$dir/nf.stamp" 2>/dev/null)" != "$stamp" ]; then rm -rf "$dir/nf" "$dir/nf-x$scale"; fi
    if ! ls "$dir"/nf/nfcapd.* >/dev/null 2>&1; then
        rm -rf "$dir/nf"; mkdir -p "$dir/nf"
        nfpcapd -r "$capture" -w "$dir/nf" -y >&2
        echo "$stamp" >"$dir/nf.stamp"
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
    if ! current_store "$store1" "$stamp" "$version"; then
        rm -rf "$store1"
        "$FLOWLOG" replay "$capture" "$@" --data "$store1" >&2
        echo "$stamp" >"$store1.stamp"
    fi
    if ! current_store "$storeN" "$stamp" "$version"; then
        rm -rf "$storeN"
        local files=()
        for ((i = 0; i < scale; i++)); do files+=("$capture"); done
        "$FLOWLOG" replay "${files[@]}" "$@" --data "$storeN" >&2
        echo "$stamp" >"$storeN.stamp"
    fi
    packets=$(capinfos -Mc "$capture" 2>/dev/null | awk '/Number of packets/ { print $NF }' || true)
    [ -n "$packets" ] || { echo "query: capinfos (Debian package tshark) is needed to count the capture's packets" >&2; exit 1; }
    echo "query: $name: nfdump $(nfdump -R "$nfone" -I | awk '/^Flows:/ {print $2}') flows per copy," \
        "flowlog $("$FLOWLOG" query --data "$store1" --group-by proto -o csv | awk -F, 'NR > 1 { n += $2 } END { print n + 0 }') per copy," \
        "$packets packets per copy" >&2
}

# namespace_addresses NAMESPACE: every address of the namespace's pods in the cluster.
namespace_addresses() {
    awk -v ns="$1" '/^kind:/ { pod = ($2 == "Pod") } pod && /^  namespace:/ { cur = $2 }
        pod && cur == ns && /^  - ip:/ { gsub(/'"'"'/, "", $3); print $3 }' "$cluster/20-pods.yaml" | sort -u | tr '\n' ' '
}

# answers NAME CIDR [NAMESPACE]: checks both sides' answers of every shape on one copy.
answers() {
    local name=$1 cidr=$2 namespace=${3:-}
    local d="$work/$name/answers"
    mkdir -p "$d"
    local ours=("$FLOWLOG" query --data "$store1" -o csv --order stored)
    local theirs=(nfdump -R "$nfone" -q -o csv)
    "${ours[@]}" >"$d/ours-all.csv"
    "${theirs[@]}" >"$d/theirs-all.csv"
    check "$name: CSV of every flow, flowlog vs nfdump" same "$d/ours-all.csv" "$d/theirs-all.csv"
    "${ours[@]}" 'proto tcp and bytes > 100000' >"$d/ours-tcp.csv"
    "${theirs[@]}" 'proto tcp and bytes > 100000' >"$d/theirs-tcp.csv"
    check "$name: 'proto tcp and bytes > 100000', flowlog" subset "$d/ours-all.csv" "$d/ours-tcp.csv" tcp-bytes 100000
    check "$name: 'proto tcp and bytes > 100000', nfdump" subset "$d/theirs-all.csv" "$d/theirs-tcp.csv" tcp-bytes 100000
    "${ours[@]}" "ip $cidr" >"$d/ours-ip.csv"
    "${theirs[@]}" "net $cidr" >"$d/theirs-ip.csv"
    check "$name: 'ip $cidr', flowlog" subset "$d/ours-all.csv" "$d/ours-ip.csv" cidr "$cidr"
    check "$name: 'ip $cidr' / 'net $cidr', flowlog vs nfdump" same "$d/ours-ip.csv" "$d/theirs-ip.csv"
    if [ -n "$namespace" ]; then
        "${ours[@]}" "namespace $namespace" >"$d/ours-ns.csv"
        "${theirs[@]}" "ip in [ $(namespace_addresses "$namespace")]" >"$d/theirs-ns.csv"
        check "$name: 'namespace $namespace' / 'ip in [its pods]', flowlog vs nfdump" same "$d/ours-ns.csv" "$d/theirs-ns.csv"
    fi
    "$FLOWLOG" query --data "$store1" -o csv --group-by dst.port --top 10 --order bytes >"$d/ours-top.csv"
    nfdump -R "$nfone" -s dstport/bytes -n 10 -o csv >"$d/theirs-top.csv"
    check "$name: top-10 destination ports by bytes, flowlog" top "$d/ours-all.csv" "$d/ours-top.csv" 10
    check "$name: top-10 destination ports by bytes, nfdump" top "$d/theirs-all.csv" "$d/theirs-top.csv" 10
    # The full scan: every stored flow visited (store-bench counts them) with every field folded
    # into a checksum, which must equal the one of the plain path that builds a whole record
    # per flow (--scan-records); every nfdump flow read.
    local flows stored fast plain
    fast=$("$BENCH_BIN/store-bench" --scan "$store1" | awk '{ print $4, $6 }')
    plain=$("$BENCH_BIN/store-bench" --scan-records "$store1" | awk '{ print $4, $6 }')
    [ "$fast" = "$plain" ] || { echo "query: $name: the full scan's checksum and count ($fast) differ from the whole-record scan's ($plain)" >&2; exit 1; }
    flows=${fast#* }
    stored=$(($(wc -l <"$d/ours-all.csv") - 1))
    [ "$flows" = "$stored" ] || { echo "query: $name: the full scan visited $flows flows, the store holds $stored" >&2; exit 1; }
    echo "query: $name: full scan: $flows flows visited, as many as the CSV of every flow; every field's checksum equals the whole-record scan's" >&2
}

# shapes NAME CIDR [NAMESPACE]: times every shape on the inputs last made.
shapes() {
    local name=$1 cidr=$2 namespace=${3:-}
    local n=$((packets * scale))
    local ours=("$FLOWLOG" query --data "$storeN" -o csv --order stored)
    local theirs=(nfdump -R "$nfdir" -q -o csv)
    compare "query: filter proto tcp and bytes > 100000, x$scale ($name)" "nfdump -o csv FILTER" "$n" \
        "${ours[@]}" 'proto tcp and bytes > 100000' -- "${theirs[@]}" 'proto tcp and bytes > 100000'
    compare "query: filter ip CIDR, x$scale ($name)" "nfdump -o csv 'net CIDR'" "$n" \
        "${ours[@]}" "ip $cidr" -- "${theirs[@]}" "net $cidr"
    if [ -n "$namespace" ]; then
        # nfdump knows no namespaces: the same flows are those to or from the namespace's pods.
        compare "query: filter namespace, x$scale ($name)" "nfdump 'ip in [pod IPs]'" "$n" \
            "${ours[@]}" "namespace $namespace" -- "${theirs[@]}" "ip in [ $(namespace_addresses "$namespace")]"
    fi
    compare "query: top-10 dst port by bytes, x$scale ($name)" "nfdump -s dstport/bytes" "$n" \
        "$FLOWLOG" query --data "$storeN" -o csv --group-by dst.port --top 10 --order bytes -- \
        nfdump -R "$nfdir" -s dstport/bytes -n 10
    compare "query: full scan, every field decoded, x$scale ($name)" "nfdump -q -o null" "$n" \
        "$BENCH_BIN/store-bench" --scan "$storeN" -- nfdump -R "$nfdir" -q -o null
    compare "query: CSV, all fields, x1 ($name)" "nfdump -o csv" "$packets" \
        "$FLOWLOG" query --data "$store1" -o csv --order stored -- nfdump -R "$nfone" -o csv
}

# Inputs, and every answer checked, before anything is timed.
# The pcapgen capture: flows without identities.
inputs replay "$(bench_large_capture)"
replay_store1=$store1 replay_storeN=$storeN replay_nfone=$nfone replay_nfdir=$nfdir replay_packets=$packets
answers replay 10.244.16.0/24

# The large cluster's capture with its cluster (lib.sh's shared input; skipped without it).
# The namespace filter takes the namespace with the most pods.
have_cluster=0
if cluster_input=$(bench_large_cluster) && [ -s "$cluster_input/capture.pcap" ]; then
    have_cluster=1
    cluster="$cluster_input/cluster"
    inputs cluster "$cluster_input/capture.pcap" --cluster "$cluster"
    namespace=$(awk '/^  namespace:/ { print $2 }' "$cluster/20-pods.yaml" | grep -v -e '^kube-system$' -e '^monitoring$' \
        | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    cluster_store1=$store1 cluster_storeN=$storeN cluster_nfone=$nfone cluster_nfdir=$nfdir cluster_packets=$packets
    answers cluster 10.244.16.0/24 "$namespace"
else
    echo "query: no large-cluster input; the cluster rows are skipped" >&2
fi

# One hour out of a day: 200 flows/s for 24 h (17.3 M flows, about 300 MB), default store
# configuration; the share is of all the store's blocks (`flowlog store info`), since segments
# outside the hour are skipped unopened.
day="$work/day"
if [ ! -d "$day" ]; then "$BENCH_BIN/query-bench" day "$day" 200 >&2; fi

bench_lock
echo "query: timing (load $(bench_load))" >&2
store1=$replay_store1 storeN=$replay_storeN nfone=$replay_nfone nfdir=$replay_nfdir packets=$replay_packets
shapes replay 10.244.16.0/24
if [ "$have_cluster" = 1 ]; then
    store1=$cluster_store1 storeN=$cluster_storeN nfone=$cluster_nfone nfdir=$cluster_nfdir packets=$cluster_packets
    shapes cluster 10.244.16.0/24 "$namespace"
fi
bench_unlock
echo "ROW|query: load average (1, 5, 15 min) after timing|$(bench_load | tr ' ' '/')|-|-|-|-"

stats=$("$FLOWLOG" query --data "$day" -o csv --stats --since 2026-11-23T12:00:00Z --until 2026-11-23T13:00:00Z 2>&1 >/dev/null)
echo "$stats" >&2
read_blocks=$(echo "$stats" | awk '/^blocks:/ { print $2 }')
total_blocks=$("$FLOWLOG" store info "$day" | awk '/^total:/ { print $4 }')
echo "query: one hour of a day read $read_blocks of $total_blocks blocks" >&2
bench_row "query: 1 h of 24 h, share of blocks read" "$(awk -v r="$read_blocks" -v t="$total_blocks" 'BEGIN { printf "%.4f", r / t }')" "of blocks" "goal" "0.05"
