#!/usr/bin/env bash
# SIEM export benchmark: `flowlog export siem` (read the store, filter, render, spool, send) of
# every flow of a synthetic store, beside a raw writer sending the very bytes flowlog sent,
# pre-rendered, to the same receiver in the same run:
#   - syslog over TCP (octet-counted RFC 5424) to a plain counting receiver and to rsyslog
#     (when installed), reference: those frames from a file on one connection;
#   - Splunk HEC to a local HTTP/1.1 receiver, reference: the same request bodies POSTed in
#     order on one keep-alive connection.
# The counting receivers and the reference writers are siem-peers.c, compiled here, so that
# they are not what limits the rows (the reference row shows what they take).
# Target: at least 100,000 flow records/s to syslog TCP and to HEC.
# Size: SIEM_FLOWS (default 1 M; `SIEM_FLOWS=200000 Benchmarks/run.sh siem` is a quick run).
# With BENCH_LOCK set to a file, each measured pair (flowlog, then its reference) holds
# `flock BENCH_LOCK`, so benchmarks sharing a machine take turns; each row's name carries the
# 1-minute load average read inside the lock: on a shared machine the absolute figures follow
# it, the ratios and the CPU rows much less. Before each measured flowlog run an unmeasured one
# sends the same records to a receiver that keeps them: the reference's input, and a warm
# page cache for the store.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work="$BENCH_WORK/siem"
rm -rf "$work"; mkdir -p "$work"
storegen="$(dirname "$FLOWLOG")/storegen"
flows=${SIEM_FLOWS:-1000000}
peers="$work/siem-peers"
cc -O2 -o "$peers" "$here/siem-peers.c" -lpthread >&2
pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap stop EXIT
load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.01) s = 0.01; printf "%.0f", n / s }'; }
# measured NAME REFNAME FLOWLOG-ARGS… -- REFERENCE-CMD…: flowlog, then the reference, back to
# back, holding the benchmark lock (when BENCH_LOCK is set) for both; `uptime` and the load
# average are read once the lock is held. Times go to $work/NAME.t and $work/REFNAME.t.
measured() {
    local name=$1 ref=$2 fd; shift 2
    local args=()
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    exec {fd}>>"${BENCH_LOCK:-/dev/null}"
    [ -n "${BENCH_LOCK:-}" ] && flock "$fd"
    uptime >&2
    load >"$work/$name.load"
    /usr/bin/time -f '%e %U %S' -o "$work/$name.t" "$FLOWLOG" "${args[@]}" >/dev/null 2>>"$work/log"
    /usr/bin/time -f '%e %U %S' -o "$work/$ref.t" "$@" >/dev/null 2>>"$work/log"
    exec {fd}>&-
}
wall() { cut -d' ' -f1 "$work/$1.t"; }
cpu() { awk '{ printf "%.2f", $2 + $3 }' "$work/$1.t"; }
# rows NAME REFNAME TITLE REFTITLE: flowlog's records/s beside the reference's, then flowlog's
# records per CPU second and CPU microseconds per record (user + system of the whole command).
rows() {
    local l; l=$(cat "$work/$1.load")
    bench_row "$3 (load $l)" "$(rate "$flows" "$(wall "$1")")" records/s "$4" "$(rate "$flows" "$(wall "$2")")"
    bench_row "$3, flowlog CPU" "$(rate "$flows" "$(cpu "$1")")" records/CPU-s - -
    bench_row "$3, flowlog CPU per record" "$(awk -v c="$(cpu "$1")" -v n="$flows" 'BEGIN { printf "%.2f", c * 1e6 / n }')" µs - -
}
await_port() { for _ in $(seq 100); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done; echo "siem: receiver did not start" >&2; exit 1; }

"$storegen" "$work/store" --flows "$flows" --fsync seal >&2

syslog_config() {  # PORT NAME
    printf 'spool-directory: %s/spool\nsinks:\n  - name: %s\n    type: syslog\n    address: 127.0.0.1:%s\n    transport: tcp\n    batch: {count: 5000, bytes: 8MiB}\n' \
        "$work" "$2" "$1" >"$work/$2.yaml"
    echo "$work/$2.yaml"
}

# Syslog to the counting receiver; a first run keeps the bytes, which become the reference's
# input; the measured run and the reference then go to a receiver that only counts.
"$peers" tcp "$work/keep.port" "$work/frames" 2>"$work/keep.log" & pids+=($!)
port=$(await_port "$work/keep.port")
"$FLOWLOG" export siem --config "$(syslog_config "$port" keep)" --data "$work/store" >/dev/null 2>>"$work/log"
sleep 0.5
echo "siem: $(wc -c <"$work/frames") bytes of syslog frames" >&2
"$peers" tcp "$work/tcp.port" - 2>"$work/tcp.log" & pids+=($!)
port=$(await_port "$work/tcp.port")
measured tcp tcp-ref export siem --config "$(syslog_config "$port" tcp)" --data "$work/store" -- "$peers" tcp-send "$port" "$work/frames"
rows tcp tcp-ref "siem syslog TCP, counting receiver" "raw writer, same frames"

# The same to rsyslog, when installed (its own TCP input; each message's MSGID to /dev/null,
# the least output rsyslog accepts).
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ -x "$rsyslogd" ]; then
    mkdir -p "$work/rsyslog"
    cat >"$work/rsyslog/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog" maxMessageSize="256k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="$work/rsyslog/port" ruleset="drop")
template(name="msgid" type="string" string="%msgid%\\n")
ruleset(name="drop") { action(type="omfile" file="/dev/null" template="msgid") }
CONF
    "$rsyslogd" -n -f "$work/rsyslog/rsyslog.conf" -i "$work/rsyslog/pid" >&2 & pids+=($!)
    rport=$(await_port "$work/rsyslog/port")
    measured rsyslog rsyslog-ref export siem --config "$(syslog_config "$rport" rsyslog)" --data "$work/store" -- "$peers" tcp-send "$rport" "$work/frames"
    rows rsyslog rsyslog-ref "siem syslog TCP, rsyslog" "raw writer, same frames"
else
    echo "siem: rsyslogd not found; the rsyslog row is left out (apt-get install -y rsyslog)" >&2
fi

# Splunk HEC: a first run to a receiver that keeps the bodies, then the measured run and the
# same bodies again to one that only counts.
mkdir -p "$work/bodies"
printf 'bench-token\n' >"$work/token"
hec_config() {  # PORT NAME
    printf 'spool-directory: %s/spool\nsinks:\n  - name: %s\n    type: splunk-hec\n    url: http://127.0.0.1:%s\n    token-file: %s/token\n    batch: {count: 2000, bytes: 8MiB}\n' \
        "$work" "$2" "$1" "$work" >"$work/$2.yaml"
    echo "$work/$2.yaml"
}
"$peers" hec "$work/keephec.port" "$work/bodies" 2>"$work/keephec.log" & pids+=($!)
hport=$(await_port "$work/keephec.port")
"$FLOWLOG" export siem --config "$(hec_config "$hport" keephec)" --data "$work/store" >/dev/null 2>>"$work/log"
"$peers" hec "$work/hec.port" - 2>"$work/hec.log" & pids+=($!)
hport=$(await_port "$work/hec.port")
measured hec hec-ref export siem --config "$(hec_config "$hport" hec)" --data "$work/store" -- "$peers" http-send "$hport" /services/collector/event "$work/bodies"
rows hec hec-ref "siem Splunk HEC, local receiver" "raw POSTs, same bodies"
rm -rf "$work/store" "$work/frames" "$work/bodies" "$work/spool"
