#!/usr/bin/env bash
# ClickHouse benchmark: `flowlog export clickhouse` (Native, then RowBinary) into a local
# single node beside `clickhouse-client` inserting the same rows from a TSV file, in the same
# run; the server's ingest of the same rows as RowBinary and as Native over HTTP (what the
# server alone costs); and `flowlog query --clickhouse` top-N beside the local store's query
# on the same flows.
#
# Runs under .ci/clickhouse-servers (one throwaway server on loopback, stopped by PID after).
# Sizes: CLICKHOUSE_FLOWS (export, default 1 M) and CLICKHOUSE_TOPN_FLOWS (top-N, default 10 M);
# CLICKHOUSE_QUICK=1 makes the defaults 200 k and 1 M (a re-run in about a minute).
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
flows=${CLICKHOUSE_FLOWS:-1000000}
topn_flows=${CLICKHOUSE_TOPN_FLOWS:-10000000}
if [ "${CLICKHOUSE_QUICK:-}" = 1 ]; then flows=${CLICKHOUSE_FLOWS:-200000}; topn_flows=${CLICKHOUSE_TOPN_FLOWS:-1000000}; fi
sql() { curl -sf "$url/" --data-binary "$1"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.01) s = 0.01; printf "%.0f", n / s }'; }
seconds() { /usr/bin/time -f '%e' -o "$work/t" "$@" >/dev/null 2>&1; cat "$work/t"; }

# Export: every field of every flow, batches of 100 k, in each format, twice and interleaved
# (best of two: a shared machine's load comes and goes), each into a fresh table created
# before timing so every run does the same work.
"$storegen" "$work/store" --flows "$flows" --fsync seal >&2
declare -A exported
for run in 1 2; do
    for format in rowbinary native; do
        db="bench_${format}_$run"
        "$FLOWLOG" clickhouse schema --database "$db" | clickhouse-client --port "$FLOWLOG_CLICKHOUSE_TCP_PORT" --multiquery
        s=$(seconds "$FLOWLOG" export clickhouse --data "$work/store" --url "$url" --database "$db" --format "$format" \
            --checkpoint "$work/$db.checkpoint")
        [ "$(sql "SELECT count() FROM $db.flows")" = "$flows" ] || { echo "clickhouse: $format export incomplete" >&2; exit 1; }
        exported[$format]=$(awk -v a="${exported[$format]:-1e9}" -v b="$s" 'BEGIN { print (b < a) ? b : a }')
    done
done
sql "CREATE DATABASE bench"
sql "RENAME TABLE bench_native_1.flows TO bench.flows"

# The same rows through clickhouse-client from TSV, and as RowBinary and Native over HTTP.
cols=$(sql "SELECT arrayStringConcat(groupArray(name), ', ') FROM (SELECT name FROM system.columns WHERE database = 'bench' AND table = 'flows' AND default_kind != 'MATERIALIZED')")
declare -A took
for format in TabSeparated RowBinary Native; do
    sql "SELECT $cols FROM bench.flows FORMAT $format" >"$work/rows.$format"
    sql "CREATE TABLE bench.t_$format AS bench.flows"
    if [ "$format" = TabSeparated ]; then
        took[$format]=$(seconds clickhouse-client --port "$FLOWLOG_CLICKHOUSE_TCP_PORT" --query "INSERT INTO bench.t_$format ($cols) FORMAT $format" <"$work/rows.$format")
    else
        query=$(printf 'INSERT INTO bench.t_%s (%s) FORMAT %s' "$format" "$cols" "$format" | sed 's/ /%20/g; s/,/%2C/g; s/(/%28/g; s/)/%29/g')
        took[$format]=$(seconds curl -sf "$url/?query=$query" --data-binary "@$work/rows.$format")
    fi
    rm -f "$work/rows.$format"
done
tsv=$(rate "$flows" "${took[TabSeparated]}")
bench_row "clickhouse export, Native, all fields (flows/s)" "$(rate "$flows" "${exported[native]}")" flows/s "clickhouse-client TSV insert" "$tsv"
bench_row "clickhouse export, RowBinary, all fields (flows/s)" "$(rate "$flows" "${exported[rowbinary]}")" flows/s "clickhouse-client TSV insert" "$tsv"
bench_row "server ingest alone, Native over HTTP" "$(rate "$flows" "${took[Native]}")" rows/s "RowBinary over HTTP" "$(rate "$flows" "${took[RowBinary]}")"

# Top-N over many flows: ClickHouse beside the local store, same flows.
"$storegen" "$work/topn" --flows "$topn_flows" --fsync seal >&2
"$FLOWLOG" export clickhouse --data "$work/topn" --url "$url" --database topn >&2
local_s=$(seconds "$FLOWLOG" query --data "$work/topn" --group-by dst.port --top 10 --order bytes -o csv)
remote_s=$(seconds "$FLOWLOG" query --clickhouse "$url" --database topn --group-by dst.port --top 10 --order bytes -o csv)
bench_row "query --clickhouse top-10 dst.port by bytes" "$(rate "$topn_flows" "$remote_s")" flows/s "local store, same query" "$(rate "$topn_flows" "$local_s")"
rm -rf "$work"
