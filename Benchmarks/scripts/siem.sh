#!/usr/bin/env bash
# SIEM export benchmark: `flowlog export siem` (read the store, filter, render, spool, send) of
# every flow of a synthetic store, beside a raw writer sending the very bytes flowlog sent,
# pre-rendered, to the same receiver in the same run:
#   - syslog over TCP (octet-counted RFC 5424) to a plain counting receiver and to rsyslog
#     (when installed), reference: those frames from a file on one connection (siem-peers.py);
#   - Splunk HEC to a local HTTP/1.1 receiver, reference: the same request bodies POSTed in
#     order on one keep-alive connection.
# Target: at least 100,000 flow records/s to syslog TCP and to HEC.
# Size: SIEM_FLOWS (default 1 M; `SIEM_FLOWS=200000 Benchmarks/run.sh siem` is a quick run).
# Each row's name carries the 1-minute load average read just before it was measured: on a
# shared machine the absolute figures follow it, the ratios much less.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "siem: python3 not found (the receivers); apt-get install -y python3" >&2; exit 0; }

work="$BENCH_WORK/siem"
rm -rf "$work"; mkdir -p "$work"
storegen="$(dirname "$FLOWLOG")/storegen"
flows=${SIEM_FLOWS:-1000000}
peers="$here/siem-peers.py"
pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap stop EXIT
load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s < 0.01) s = 0.01; printf "%.0f", n / s }'; }
# seconds CMD…: wall seconds of CMD; its CPU seconds (user + system) are left in $work/cpu.
seconds() {
    /usr/bin/time -f '%e %U %S' -o "$work/t" "$@" >/dev/null 2>>"$work/log"
    awk '{ printf "%.2f", $2 + $3 }' "$work/t" >"$work/cpu"
    cut -d' ' -f1 "$work/t"
}
# cpu_row NAME: flowlog's records per CPU second (user + system) of the run just measured; on
# a loaded machine this follows the code more than the wall-clock figure does.
cpu_row() { bench_row "$1, flowlog CPU only" "$(rate "$flows" "$(cat "$work/cpu")")" records/CPU-s - -; }
await_port() { for _ in $(seq 100); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done; echo "siem: receiver did not start" >&2; exit 1; }

"$storegen" "$work/store" --flows "$flows" --fsync seal >&2

syslog_config() {  # PORT NAME
    printf 'spool-directory: %s/spool\nsinks:\n  - name: %s\n    type: syslog\n    address: 127.0.0.1:%s\n    transport: tcp\n    batch: {count: 5000, bytes: 8MiB}\n' \
        "$work" "$2" "$1" >"$work/$2.yaml"
    echo "$work/$2.yaml"
}

# Syslog to the counting receiver; it keeps the bytes, which become the reference's input.
python3 "$peers" tcp-receiver "$work/tcp.port" "$work/frames" 2>"$work/tcp.log" & pids+=($!)
port=$(await_port "$work/tcp.port")
l=$(load)
flowlog_s=$(seconds "$FLOWLOG" export siem --config "$(syslog_config "$port" tcp)" --data "$work/store")
cpu_row "siem syslog TCP, counting receiver (load $l)"
sleep 0.5
python3 "$peers" tcp-receiver "$work/tcp2.port" - 2>"$work/tcp2.log" & pids+=($!)
port2=$(await_port "$work/tcp2.port")
raw_s=$(seconds python3 "$peers" tcp-send "$port2" "$work/frames")
echo "siem: $(wc -c <"$work/frames") bytes of syslog frames" >&2
bench_row "siem syslog TCP, counting receiver (load $l)" "$(rate "$flows" "$flowlog_s")" records/s "raw writer, same frames" "$(rate "$flows" "$raw_s")"

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
    l=$(load)
    flowlog_s=$(seconds "$FLOWLOG" export siem --config "$(syslog_config "$rport" rsyslog)" --data "$work/store")
    raw_s=$(seconds python3 "$peers" tcp-send "$rport" "$work/frames")
    bench_row "siem syslog TCP, rsyslog (load $l)" "$(rate "$flows" "$flowlog_s")" records/s "raw writer, same frames" "$(rate "$flows" "$raw_s")"
else
    echo "siem: rsyslogd not found; the rsyslog row is left out (apt-get install -y rsyslog)" >&2
fi

# Splunk HEC to a local receiver that keeps the bodies, then the same bodies again.
mkdir -p "$work/bodies"
printf 'bench-token\n' >"$work/token"
python3 "$peers" hec-receiver "$work/hec.port" "$work/bodies" 2>"$work/hec.log" & pids+=($!)
hport=$(await_port "$work/hec.port")
printf 'spool-directory: %s/spool\nsinks:\n  - name: hec\n    type: splunk-hec\n    url: http://127.0.0.1:%s\n    token-file: %s/token\n    batch: {count: 2000, bytes: 8MiB}\n' \
    "$work" "$hport" "$work" >"$work/hec.yaml"
l=$(load)
flowlog_s=$(seconds "$FLOWLOG" export siem --config "$work/hec.yaml" --data "$work/store")
cpu_row "siem Splunk HEC, local receiver (load $l)"
python3 "$peers" hec-receiver "$work/hec2.port" - 2>"$work/hec2.log" & pids+=($!)
hport2=$(await_port "$work/hec2.port")
raw_s=$(seconds python3 "$peers" http-send "$hport2" /services/collector/event "$work/bodies")
bench_row "siem Splunk HEC, local receiver (load $l)" "$(rate "$flows" "$flowlog_s")" records/s "raw POSTs, same bodies" "$(rate "$flows" "$raw_s")"
rm -rf "$work/store" "$work/frames" "$work/bodies" "$work/spool"
