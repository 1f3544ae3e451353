#!/usr/bin/env bash
# Audit ingest and tamper evidence (issue #12's targets), each figure beside a reference measured
# in the same run on the same input:
#   ingest ≥ 50,000 audit events/s from a file: `flowlog audit ingest` of an auditgen log (a busy
#     cluster's mix of reads, leases, events, pod status and policy writes), beside jq parsing
#     every line of the same file;
#   signing and verification add ≤ 3 % to replay time: the same replay with and without
#     --signing-key (runs interleaved, fastest of each), and `verify` of the signed result;
#   verify runs at disk read speed: `flowlog verify` MB/s beside sha256sum over the same segment
#     files, with a warm page cache (the ratio is the cost of verifying over bare hashing) and a
#     cold one (the store's files dropped from the cache before each run), beside `cat` of the
#     same files, the disk's read speed.
#
# Environment (from Benchmarks/run.sh): BENCH_WORK, BENCH_BIN, FLOWLOG. Sizes:
#   EVIDENCE_EVENTS   audit events in the ingest log (default 300000, about 430 MB)
#   EVIDENCE_FLOWS    flows in the verify store (default 16000000, about 250 MB at storegen's
#                     16 bytes a flow; 64000000 is about 1 GB, the issue's size)
#   EVIDENCE_CAPTURE  samplegen arguments for the replay input (default: 300 k connections,
#                     about 3 M packets)
#   EVIDENCE_RUNS     timed runs of each command; the fastest counts (default 3)
#   EVIDENCE_QUICK=1  small sizes throughout (a minute or two on a quiet machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ "${EVIDENCE_QUICK:-}" = 1 ]; then
    events=${EVIDENCE_EVENTS:-50000} flows=${EVIDENCE_FLOWS:-1000000} runs=${EVIDENCE_RUNS:-2}
    capture_args=${EVIDENCE_CAPTURE:---pods 300 --namespaces 10 --policies 60 --flows 40000 --packets-per-flow 10 --seed 3}
else
    events=${EVIDENCE_EVENTS:-300000} flows=${EVIDENCE_FLOWS:-16000000} runs=${EVIDENCE_RUNS:-3}
    capture_args=${EVIDENCE_CAPTURE:---pods 2000 --namespaces 20 --policies 300 --tiers 6 --flows 300000 --packets-per-flow 10 --external 2000 --seed 3}
fi
work="$BENCH_WORK/evidence"
mkdir -p "$work"
rm -f "$BENCH_WORK/load.log"
storegen="$(dirname "$FLOWLOG")/storegen"
for tool in "$FLOWLOG" "$storegen" "$BENCH_BIN/auditgen" "$BENCH_BIN/samplegen"; do
    [ -x "$tool" ] || { echo "evidence: $tool not built (Benchmarks/run.sh builds it)" >&2; exit 1; }
done

# fastest NAME CMD...: runs CMD $runs times, prints the fastest elapsed seconds. Before each run
# `prepare_NAME` (when defined) resets what the command writes. The least CPU time (user +
# system) of the runs goes to $work/NAME.cpu: on a loaded machine elapsed time counts the waits
# for a core, CPU time much less so.
fastest() {
    local name=$1; shift
    local best="" best_cpu="" t user system cpu _
    for ((i = 1; i <= runs; i++)); do
        if declare -F "prepare_$name" >/dev/null; then "prepare_$name"; fi
        bench_time "$work/$name.time" "$@" 2>"$work/$name.log" || { cat "$work/$name.log" >&2; echo "evidence: $name failed: $*" >&2; return 1; }
        read -r t _ user system <"$work/$name.time"
        cpu=$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }')
        echo "evidence: $name run $i: ${t}s (CPU ${cpu}s)" >&2
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
        if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$cpu; fi
    done
    echo "$best_cpu" >"$work/$name.cpu"
    echo "$best"
}
per_second() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.01; printf "%.0f", n / s }'; }

# 1. Ingest. The log is made once per size and reused.
log="$work/audit-$events.log"
if [ ! -s "$log" ] || [ "$BENCH_BIN/auditgen" -nt "$log" ]; then
    "$BENCH_BIN/auditgen" --out "$log" --events "$events" --seed 1 >&2
fi
megabytes=$(du -m "$log" | cut -f1)
prepare_ingest() { rm -rf "$work/audit"; }
ingest_s=$(fastest ingest "$FLOWLOG" audit ingest "$log" --audit "$work/audit" -o json)
versions=$(sed -n 's/^  "versions": *\([0-9]*\).*/\1/p' "$work/ingest.log" | head -1)
echo "evidence: ingest stored ${versions:-?} versions from $events events" >&2
ingest_rate=$(per_second "$events" "$ingest_s")
bench_row "audit ingest, events/s ($events events, $megabytes MB)" "$ingest_rate" events/s "goal" 50000
bench_row "audit ingest, events per CPU-second" "$(per_second "$events" "$(cat "$work/ingest.cpu")")" events/s "goal" 50000
if command -v jq >/dev/null; then
    jq_s=$(fastest jq jq -c . "$log")
    bench_row "audit ingest, events/s (vs jq)" "$ingest_rate" events/s "jq -c . (parse only)" "$(per_second "$events" "$jq_s")"
    bench_row "audit ingest, events per CPU-second (vs jq)" "$(per_second "$events" "$(cat "$work/ingest.cpu")")" events/s \
        "jq -c . (parse only)" "$(per_second "$events" "$(cat "$work/jq.cpu")")"
else
    echo "evidence: jq not found (apt-get install -y jq): no jq reference row" >&2
fi

# 2. Signing and verification overhead on replay: one samplegen capture, replayed with 1 MiB
#    segments (many seals, the most signing work per flow), with and without a key, interleaved
#    so that a change in the machine's load hits both alike.
input="$work/capture"
if [ ! -s "$input/capture.pcap" ] || [ "$(cat "$input/args" 2>/dev/null)" != "$capture_args" ]; then
    rm -rf "$input"
    # shellcheck disable=SC2086  # word splitting of the argument list is intended
    "$BENCH_BIN/samplegen" --out "$input" $capture_args >&2
    echo "$capture_args" >"$input/args"
fi
[ -f "$work/keys/signing.key" ] || "$FLOWLOG" keys generate "$work/keys" >&2
replay=(replay "$input/capture.pcap" --cluster "$input/cluster" --segment-size 1MiB)
plain_best="" signed_best="" plain_cpu="" signed_cpu=""
for ((round = 1; round <= runs; round++)); do
    for kind in plain signed; do
        rm -rf "$work/$kind"
        extra=()
        [ "$kind" = signed ] && extra=(--signing-key "$work/keys/signing.key")
        bench_time "$work/$kind.time" "$FLOWLOG" "${replay[@]}" --data "$work/$kind" "${extra[@]+"${extra[@]}"}" 2>"$work/$kind.log" \
            || { cat "$work/$kind.log" >&2; exit 1; }
        read -r t _ user system <"$work/$kind.time"
        cpu=$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }')
        echo "evidence: replay $kind run $round: ${t}s (CPU ${cpu}s)" >&2
        best_var=${kind}_best cpu_var=${kind}_cpu
        if [ -z "${!best_var}" ] || awk -v a="$t" -v b="${!best_var}" 'BEGIN { exit !(a < b) }'; then printf -v "$best_var" '%s' "$t"; fi
        if [ -z "${!cpu_var}" ] || awk -v a="$cpu" -v b="${!cpu_var}" 'BEGIN { exit !(a < b) }'; then printf -v "$cpu_var" '%s' "$cpu"; fi
    done
done
segments=$(find "$work/signed" -name '*.seg' | wc -l)
verify_replay_s=$(fastest verify_replay "$FLOWLOG" verify --data "$work/signed" --public-key "$work/keys/signing.pub")
bench_row "replay, signed ($segments segments of 1 MiB)" "$signed_best" s "replay, unsigned" "$plain_best"
bench_row "signing overhead on replay" "$(awk -v a="$signed_best" -v b="$plain_best" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')" "%" "goal" 3
bench_row "signing overhead on replay, CPU time" "$(awk -v a="$signed_cpu" -v b="$plain_cpu" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')" "%" "goal" 3
bench_row "verify of that store, share of replay time" "$(awk -v v="$verify_replay_s" -v b="$plain_best" 'BEGIN { printf "%.1f", v / b * 100 }')" "%" "goal" 3

# 3. Verify beside sha256sum over the same files.
store="$work/store-$flows"
if [ ! -f "$store.done" ] || [ "$work/keys/signing.key" -nt "$store.done" ]; then
    rm -rf "$store" "$store.done"
    "$storegen" "$store" --flows "$flows" --batch 20000 --signing-key "$work/keys/signing.key" --fsync seal >&2
    touch "$store.done"
fi
bytes=$(cat "$store"/*.seg | wc -c)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
#    Warm: both read from the page cache, so the ratio is verify's cost over bare hashing.
cat "$store"/*.seg >/dev/null
verify_s=$(fastest verify "$FLOWLOG" verify --data "$store" --public-key "$work/keys/signing.pub")
sha_s=$(fastest sha256sum sh -c "sha256sum '$store'/*.seg >/dev/null")
bench_row "verify, MB/s ($mb MB signed store, warm cache)" "$(per_second "$mb" "$verify_s")" MB/s "sha256sum, same files" "$(per_second "$mb" "$sha_s")"
#    Cold: before every run the store's files (only they) are dropped from the page cache (dd's
#    nocache flag), so each run reads the disk; `cat` of the same files is the disk read speed.
evict_store() {
    local f
    for f in "$store"/*.seg "$store"/evidence/*; do dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true; done
}
prepare_cold_cat() { evict_store; }
prepare_cold_verify() { evict_store; }
prepare_cold_sha256sum() { evict_store; }
cat_cold_s=$(fastest cold_cat sh -c "cat '$store'/*.seg >/dev/null")
verify_cold_s=$(fastest cold_verify "$FLOWLOG" verify --data "$store" --public-key "$work/keys/signing.pub")
sha_cold_s=$(fastest cold_sha256sum sh -c "sha256sum '$store'/*.seg >/dev/null")
cat_rate=$(per_second "$mb" "$cat_cold_s")
bench_row "verify, MB/s ($mb MB, cold cache)" "$(per_second "$mb" "$verify_cold_s")" MB/s "cat, same files (disk read)" "$cat_rate"
bench_row "sha256sum, MB/s ($mb MB, cold cache)" "$(per_second "$mb" "$sha_cold_s")" MB/s "cat, same files (disk read)" "$cat_rate"
bench_load_row "evidence"
