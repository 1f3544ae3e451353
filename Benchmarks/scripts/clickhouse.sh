#!/usr/bin/env bash
# ClickHouse benchmark: `flowlog export clickhouse` into a local single node beside
# `clickhouse-client` inserting the same rows from a TSV file, in the same run; the server's
# ingest of the same rows as RowBinary and as Native over HTTP; and `flowlog query
# --clickhouse` top-N beside the local store's query on the same flows.
#
# Runs under .ci/clickhouse-servers (one throwaway server on loopback, stopped by PID after).
# Sizes: CLICKHOUSE_FLOWS (export, default 1 M) and CLICKHOUSE_TOPN_FLOWS (top-N, default 10 M).
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
sql() { curl -sf "$url/" --data-binary "$1"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.01) s = 0.01; printf "%.0f", n / s }'; }
seconds() { /usr/bin/time -f '%e' -o "$work/t" "$@" >/dev/null 2>&1; cat "$work/t"; }

# Export: every field of every flow, RowBinary over HTTP, batches of 100 k.
"$storegen" "$work/store" --flows "$flows" --fsync seal >&2
export_s=$(seconds "$FLOWLOG" export clickhouse --data "$work/store" --url "$url" --database bench)
[ "$(sql "SELECT count() FROM bench.flows")" = "$flows" ] || { echo "clickhouse: export incomplete" >&2; exit 1; }

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
bench_row "clickhouse export, all fields (flows/s)" "$(rate "$flows" "$export_s")" flows/s "clickhouse-client TSV insert" "$(rate "$flows" "${took[TabSeparated]}")"
bench_row "server ingest, RowBinary over HTTP" "$(rate "$flows" "${took[RowBinary]}")" rows/s "Native over HTTP" "$(rate "$flows" "${took[Native]}")"

# Top-N over many flows: ClickHouse beside the local store, same flows.
"$storegen" "$work/topn" --flows "$topn_flows" --fsync seal >&2
"$FLOWLOG" export clickhouse --data "$work/topn" --url "$url" --database topn >&2
local_s=$(seconds "$FLOWLOG" query --data "$work/topn" --group-by dst.port --top 10 --order bytes -o csv)
remote_s=$(seconds "$FLOWLOG" query --clickhouse "$url" --database topn --group-by dst.port --top 10 --order bytes -o csv)
bench_row "query --clickhouse top-10 dst.port by bytes" "$(rate "$topn_flows" "$remote_s")" flows/s "local store, same query" "$(rate "$topn_flows" "$local_s")"
rm -rf "$work"
