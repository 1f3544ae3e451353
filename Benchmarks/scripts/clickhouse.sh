#!/usr/bin/env bash
# ClickHouse benchmark, everything on one throwaway server (under .ci/clickhouse-servers):
#
# - `flowlog export clickhouse` (Native, then RowBinary) of a store into a single node, every
#   field, beside the server ingesting the same rows from `clickhouse-client` (TSV, the issue's
#   reference, and Native, the server's own fastest path) in the same run: if the server cannot
#   take the rows faster from its own client, that is the ceiling for any exporter here;
# - the exporter's own CPU per flow (user + system time: what load distorts least);
# - `flowlog query --clickhouse` top-N beside the local store's query on the same flows.
#
# Sizes: CLICKHOUSE_FLOWS (export, default 200 k) and CLICKHOUSE_TOPN_FLOWS (top-N,
# default 10 M); CLICKHOUSE_QUICK=1 makes the top-N 1 M (a re-run in about a minute).
# CLICKHOUSE_BATCH_ROWS sets the exporter's --batch-rows (default its own, 100 k).
# BENCH_LOCK (a lock file) makes the measuring steps wait for, and hold, a flock on it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if ! command -v clickhouse-server >/dev/null 2>&1; then
    echo "clickhouse: clickhouse-server not found; install it with: apt-get install -y clickhouse-server clickhouse-client" >&2
    exit 0
fi
if [ -z "${FLOWLOG_CLICKHOUSE_URL:-}" ]; then
    exec "$BENCH_ROOT/.ci/clickhouse-servers" bash "$0" "$@"
fi

work="$BENCH_WORK/clickhouse"
rm -rf "$work"; mkdir -p "$work"
storegen="$(dirname "$FLOWLOG")/storegen"
url=$FLOWLOG_CLICKHOUSE_URL
flows=${CLICKHOUSE_FLOWS:-200000}
topn_flows=${CLICKHOUSE_TOPN_FLOWS:-10000000}
if [ "${CLICKHOUSE_QUICK:-}" = 1 ]; then flows=${CLICKHOUSE_FLOWS:-200000}; topn_flows=${CLICKHOUSE_TOPN_FLOWS:-1000000}; fi
batch=()
[ -n "${CLICKHOUSE_BATCH_ROWS:-}" ] && batch=(--batch-rows "$CLICKHOUSE_BATCH_ROWS")
# The references insert in blocks of the exporter's batch size (its default 100 k): the server
# then makes parts of the same size from both, and a 1 M-row block of every field exceeds
# 18.16's per-query memory limit.
block_rows=${CLICKHOUSE_BATCH_ROWS:-100000}
client=(clickhouse-client --port "$FLOWLOG_CLICKHOUSE_TCP_PORT")
sql() { curl -sf "$url/" --data-binary "$1"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.01) s = 0.01; printf "%.0f", n / s }'; }
best() { awk -v a="${1:-1e9}" -v b="$2" 'BEGIN { print (b < a) ? b : a }'; }
# timed OUT CMD…: elapsed seconds and user + system CPU seconds of CMD into OUT.
timed() { local out=$1; shift; /usr/bin/time -f '%e %U %S' -o "$out" "$@" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; return 1; }; }
elapsed() { cut -d' ' -f1 "$1"; }
cpu() { awk '{ print $2 + $3 }' "$1"; }

# Inputs first, outside the lock: the export store, the top-N store, and the rows the
# references insert (the server's own export of the exported table, in each format).
"$storegen" "$work/store" --flows "$flows" --fsync seal >&2
"$storegen" "$work/topn" --flows "$topn_flows" --fsync seal >&2
"$FLOWLOG" export clickhouse --data "$work/store" --url "$url" --database bench --checkpoint "$work/bench.checkpoint" >&2
[ "$(sql "SELECT count() FROM bench.flows")" = "$flows" ] || { echo "clickhouse: export incomplete" >&2; exit 1; }
cols=$(sql "SELECT arrayStringConcat(groupArray(name), ', ') FROM (SELECT name FROM system.columns WHERE database = 'bench' AND table = 'flows' AND default_kind != 'MATERIALIZED')")
# Read back in parts of at most 200 k rows: one SELECT of 1 M rows of every field exceeds
# ClickHouse 18.16's default per-query memory limit. Each format's parts concatenate into one
# valid input (TSV and RowBinary carry no header; Native is a sequence of blocks).
parts=$(( (flows + 199999) / 200000 ))
for format in TabSeparated Native RowBinary; do
    : >"$work/rows.$format"
    for ((part = 0; part < parts; part++)); do
        sql "SELECT $cols FROM bench.flows WHERE cityHash64(start_ns) % $parts = $part FORMAT $format" >>"$work/rows.$format"
    done
done
fresh() {  # fresh DB: an empty database with the flows table, made before timing
    sql "DROP DATABASE IF EXISTS $1" >/dev/null
    "$FLOWLOG" clickhouse schema --database "$1" | "${client[@]}" --multiquery
}

bench_lock
load_before=$(bench_load)
# Every measurement twice, interleaved (best of two: a shared machine's load comes and goes),
# each into a fresh table so every run does the same work.
declare -A took exporter_cpu
for run in 1 2; do
    for format in native rowbinary; do
        db="bench_${format}_$run"
        fresh "$db"
        timed "$work/t" "$FLOWLOG" export clickhouse --data "$work/store" --url "$url" --database "$db" --format "$format" \
            --checkpoint "$work/$db.checkpoint" --no-reports "${batch[@]}"
        [ "$(sql "SELECT count() FROM $db.flows")" = "$flows" ] || { echo "clickhouse: $format export incomplete" >&2; exit 1; }
        took[$format]=$(best "${took[$format]:-}" "$(elapsed "$work/t")")
        exporter_cpu[$format]=$(best "${exporter_cpu[$format]:-}" "$(cpu "$work/t")")
    done
    for format in TabSeparated Native; do
        db="bench_client_${format}_$run"
        fresh "$db"
        timed "$work/t" "${client[@]}" --max_insert_block_size "$block_rows" --query "INSERT INTO $db.flows ($cols) FORMAT $format" <"$work/rows.$format"
        took[client_$format]=$(best "${took[client_$format]:-}" "$(elapsed "$work/t")")
    done
    for format in Native RowBinary; do
        db="bench_http_${format}_$run"
        fresh "$db"
        query=$(printf 'INSERT INTO %s.flows (%s) FORMAT %s' "$db" "$cols" "$format" | sed 's/ /%20/g; s/,/%2C/g; s/(/%28/g; s/)/%29/g')
        timed "$work/t" curl -sf "$url/?max_insert_block_size=$block_rows&query=$query" --data-binary "@$work/rows.$format"
        took[http_$format]=$(best "${took[http_$format]:-}" "$(elapsed "$work/t")")
    done
done
load_after=$(bench_load)
bench_unlock
rm -f "$work"/rows.*
tsv=$(rate "$flows" "${took[client_TabSeparated]}")
native_client=$(rate "$flows" "${took[client_Native]}")
bench_row "clickhouse export, Native, all fields (flows/s)" "$(rate "$flows" "${took[native]}")" flows/s "clickhouse-client TSV insert" "$tsv"
bench_row "clickhouse export, Native, all fields (flows/s)" "$(rate "$flows" "${took[native]}")" flows/s "clickhouse-client Native insert" "$native_client"
bench_row "clickhouse export, RowBinary, all fields (flows/s)" "$(rate "$flows" "${took[rowbinary]}")" flows/s "clickhouse-client TSV insert" "$tsv"
bench_row "clickhouse-client Native insert (server ceiling)" "$native_client" rows/s "clickhouse-client TSV insert" "$tsv"
bench_row "server ingest, Native over HTTP (curl)" "$(rate "$flows" "${took[http_Native]}")" rows/s "RowBinary over HTTP (curl)" "$(rate "$flows" "${took[http_RowBinary]}")"
bench_row "exporter CPU, Native (flows per CPU-second)" "$(rate "$flows" "${exporter_cpu[native]}")" flows/cpu-s "goal 300,000 flows/s" 300000
bench_row "exporter CPU, RowBinary (flows per CPU-second)" "$(rate "$flows" "${exporter_cpu[rowbinary]}")" flows/cpu-s "goal 300,000 flows/s" 300000
bench_row "load average before export runs (1/5/15 min)" "${load_before// //}" load - -
bench_row "load average after export runs (1/5/15 min)" "${load_after// //}" load - -

# Top-N over many flows: ClickHouse beside the local store, same flows, best of three each.
"$FLOWLOG" export clickhouse --data "$work/topn" --url "$url" --database topn --no-reports >&2
[ "$(sql "SELECT count() FROM topn.flows")" = "$topn_flows" ] || { echo "clickhouse: top-N export incomplete" >&2; exit 1; }
local_out=$("$FLOWLOG" query --data "$work/topn" --group-by dst.port --top 10 --order bytes -o csv)
remote_out=$("$FLOWLOG" query --clickhouse "$url" --database topn --group-by dst.port --top 10 --order bytes -o csv)
[ "$local_out" = "$remote_out" ] || { echo "clickhouse: top-N answers differ" >&2; diff <(echo "$local_out") <(echo "$remote_out") >&2; exit 1; }
bench_lock
load_before=$(bench_load)
for _ in 1 2 3; do
    timed "$work/t" "$FLOWLOG" query --data "$work/topn" --group-by dst.port --top 10 --order bytes -o csv
    took[local]=$(best "${took[local]:-}" "$(elapsed "$work/t")")
    timed "$work/t" "$FLOWLOG" query --clickhouse "$url" --database topn --group-by dst.port --top 10 --order bytes -o csv
    took[remote]=$(best "${took[remote]:-}" "$(elapsed "$work/t")")
done
bench_unlock
bench_row "query --clickhouse top-10 dst.port by bytes, $topn_flows flows" "$(rate "$topn_flows" "${took[remote]}")" flows/s "local store, same query" "$(rate "$topn_flows" "${took[local]}")"
bench_row "  seconds: ClickHouse / local store" "${took[remote]}" s "local store" "${took[local]}"
bench_row "load average before the queries (1/5/15 min)" "${load_before// //}" load - -
rm -rf "$work"
