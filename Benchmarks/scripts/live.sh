#!/usr/bin/env bash
# Live capture: `tcpreplay --topspeed` sends the large cluster's capture into one end of a veth
# pair inside a network namespace this script creates; `flowlog agent` captures on the other end
# (with the cluster, storing), then `nfpcapd -i` does the same with the same traffic. Rows: what
# each tool lost (kernel drops, and for flowlog ring drops), and the capture process's CPU
# seconds per million packets sent, flowlog's as a ratio to nfpcapd's (goal ≤ 0.5×). Then the
# same again with both sent at one pinned rate (`tcpreplay --pps`), so the two ratios do not
# depend on how fast tcpreplay happened to be in each tool's run. Each pair of rows is
# LIVE_RUNS rounds of both tools (the order alternating), summarised by medians: a single
# run of either moves by more than the goal's margin on a shared machine.
#
# Traffic stays inside the namespace (nothing routes out of it) and is bounded by LIVE_PACKETS.
# Needs root (ip netns), tcpreplay and nfpcapd; without them the area prints why and no rows.
#
# Environment (from Benchmarks/run.sh): BENCH_WORK, FLOWLOG, and BENCH_BIN when the large
# cluster's input is still to be made (alone: BENCH_WORK=DIR FLOWLOG=BINARY live.sh). Optional:
#   LIVE_PACKETS  packets sent per tool (default: the whole capture, ≈2 M; 200000 is a quick run)
#   LIVE_BUFFER   flowlog's kernel capture buffer (default 64MiB); nfpcapd gets the same (-b)
#   LIVE_PPS      the pinned rate of the second pair of rows (tcpreplay --pps; default 200000,
#                 which both keep up with on an idle or a loaded 2-core machine); 0 skips them
#   LIVE_RUNS     rounds per pair of rows (default 3): each tool runs this many times, agent and
#                 nfpcapd alternating which goes first; rows give the median CPU per packet with
#                 its min–max, the ratio of the medians, and drops summed over every run
#   LIVE_BASELINE another flowlog binary (e.g. main's) run the same way in the same run, for
#                 before/after figures beside the same nfpcapd run
#   LIVE_PERF     a directory: `perf record -g` follows each flowlog agent while the traffic
#                 is sent and leaves NAME-ROUND.perf.data there (`perf report -i`), then from
#                 the end of the traffic to the agent's exit: NAME-ROUND.flush.perf.data (the
#                 whole machine's; the agent's process id is in NAME-ROUND.pid, for --pid)
#   LIVE_STAT     set (to anything): `perf stat` counts each flowlog agent's page faults and
#                 context switches from the first packet to its exit (software events, which a
#                 machine without hardware counters has too); rows give their medians, beside
#                 the baseline's when LIVE_BASELINE is given
#   BENCH_LOCK    a lock file: the timed runs hold it (flock), so benchmarks take turns
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for tool in tcpreplay nfpcapd ip; do
    command -v "$tool" >/dev/null || {
        echo "live: $tool not found; install it with: apt-get install -y $([ $tool = ip ] && echo iproute2 || ([ $tool = nfpcapd ] && echo nfdump || echo $tool))" >&2
        exit 0
    }
done
[ "$(id -u)" -eq 0 ] || { echo "live: needs root to create a network namespace; skipped" >&2; exit 0; }

input=$(bench_large_cluster) || exit 1
capture="$input/capture.pcap"
cluster="$input/cluster"
work="$BENCH_WORK/live"
rm -rf "$work" && mkdir -p "$work"
limit=${LIVE_PACKETS:-0}
buffer=${LIVE_BUFFER:-64MiB}
pps=${LIVE_PPS:-200000}
runs=${LIVE_RUNS:-3}
[ "$runs" -ge 1 ] || { echo "live: LIVE_RUNS must be at least 1" >&2; exit 1; }
buffer_mb=$(awk -v b="$buffer" 'BEGIN { n = b + 0; if (b ~ /GiB$/) n *= 1024; print int(n) }')

ns="flowlog-bench-$$"
started_pids=()
cleanup() {
    local pid
    for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT

# One namespace holds both ends: the sender's (send0) and the capture's (capture0). Jumbo MTU so that no
# frame of the capture is refused; no addresses, so nothing is routed or answered.
ip netns add "$ns"
ip -n "$ns" link add name send0 type veth peer name capture0
ip -n "$ns" link set send0 mtu 9000 up
ip -n "$ns" link set capture0 mtu 9000 up
ip -n "$ns" link set lo up

# cpu_seconds PID: user+system CPU seconds of a running process.
cpu_seconds() {
    awk -v tck="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / tck }' "/proc/$1/stat"
}

# send NAME: replays the capture into tx; sets sent (packets tcpreplay reports sent).
send() {
    local args=("${rate_args[@]}" -i send0)
    [ "$limit" -gt 0 ] && args+=(--limit="$limit")
    ip netns exec "$ns" tcpreplay "${args[@]}" "$capture" >"$work/$1.tcpreplay" 2>&1 || { cat "$work/$1.tcpreplay" >&2; return 1; }
    sent=$(sed -n 's/^[[:space:]]*Successful packets:[[:space:]]*\([0-9]*\).*/\1/p' "$work/$1.tcpreplay")
    local rate
    rate=$(sed -n 's/^[[:space:]]*Rated:.*, \([0-9.]*\) pps.*/\1/p' "$work/$1.tcpreplay")
    echo "live: $1: tcpreplay sent $sent packets ($rate packets/s)" >&2
    sent_rate=${rate%.*}
}

# run_tool NAME STOPWAIT CMD...: starts CMD in the namespace, waits until it captures, sends the
# traffic, waits STOPWAIT seconds for it to drain, stops it with SIGTERM; sets cpu (CPU seconds
# from the first packet until stopped: the steady cost a node pays) and cpu_exit (to its exit,
# the final flush of its files included), and leaves its log in $work/NAME.log.
run_tool() {
    local name=$1 settle=$2; shift 2
    ip netns exec "$ns" /usr/bin/time -f '%U %S %M' -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1 &
    local timer=$! pid="" i
    started_pids+=("$timer")
    for ((i = 0; i < 100; i++)); do
        pid=$(ps -o pid= --ppid "$timer" | tr -d ' ' | head -1)
        [ -n "$pid" ] && break
        sleep 0.1
    done
    [ -n "$pid" ] || { echo "live: $name did not start" >&2; cat "$work/$name.log" >&2; return 1; }
    started_pids+=("$pid")
    # Ready when the handle is open: the agent says so; nfpcapd has no such line, so it gets time.
    for ((i = 0; i < 300; i++)); do
        grep -q 'capturing' "$work/$name.log" 2>/dev/null && break
        [[ "$name" == nfpcapd* ]] && [ "$i" -ge 20 ] && break
        kill -0 "$pid" 2>/dev/null || { echo "live: $name exited early" >&2; cat "$work/$name.log" >&2; return 1; }
        sleep 0.1
    done
    local before perf=""
    if [ -n "${LIVE_PERF:-}" ] && [[ "$name" != nfpcapd* ]] && command -v perf >/dev/null; then
        mkdir -p "$LIVE_PERF"
        perf record -q -g -p "$pid" -o "$LIVE_PERF/$name.perf.data" 2>"$work/$name.perf.log" &
        perf=$!
        started_pids+=("$perf")
        sleep 0.5
    fi
    local stat=""
    faults="" switches=""
    if [ -n "${LIVE_STAT:-}" ] && [[ "$name" != nfpcapd* ]] && command -v perf >/dev/null; then
        perf stat -x, -e page-faults,context-switches -p "$pid" -o "$work/$name.stat" 2>/dev/null &
        stat=$!
        started_pids+=("$stat")
        sleep 0.2
    fi
    before=$(cpu_seconds "$pid")
    send "$name" || return 1
    sleep "$settle"
    local running
    running=$(cpu_seconds "$pid")
    if [ -n "$perf" ]; then
        kill -INT "$perf" 2>/dev/null; wait "$perf" 2>/dev/null || true
        # A second profile from here to the exit: the final flush on its own. System-wide,
        # since attaching to a process (-p) fails when one of its threads ends while perf
        # attaches, which the stop makes likely; NAME.pid says whose samples to read
        # (`perf report --pid`, `perf script --pid`).
        echo "$pid" >"$LIVE_PERF/$name.pid"
        perf record -a -g -o "$LIVE_PERF/$name.flush.perf.data" 2>>"$work/$name.perf.log" &
        perf=$!
        started_pids+=("$perf")
        sleep 0.5
    fi
    local stop_started
    stop_started=$(date +%s.%N)
    kill -TERM "$pid"
    wait "$timer" || true
    if [ -n "$perf" ]; then
        # Stopped by SIGINT (status 130) once the agent is gone; anything else is a failure.
        kill -INT "$perf" 2>/dev/null || true
        local status=0
        wait "$perf" 2>/dev/null || status=$?
        [ "$status" -eq 0 ] || [ "$status" -eq 130 ] || echo "live: $name: perf ended with status $status" >&2
    fi
    if [ -n "$stat" ]; then
        kill -INT "$stat" 2>/dev/null || true
        wait "$stat" 2>/dev/null || true
        faults=$(awk -F, '$3 == "page-faults" { print $1 }' "$work/$name.stat")
        switches=$(awk -F, '$3 == "context-switches" { print $1 }' "$work/$name.stat")
        echo "live: $name: ${faults:-?} page faults, ${switches:-?} context switches from the first packet to the exit" >&2
    fi
    stop_seconds=$(awk -v a="$(date +%s.%N)" -v b="$stop_started" 'BEGIN { printf "%.2f", a - b }')
    local user system rss
    read -r user system rss <"$work/$name.time"
    cpu=$(awk -v r="$running" -v b="$before" 'BEGIN { printf "%.3f", r - b }')
    cpu_exit=$(awk -v u="$user" -v s="$system" -v b="$before" 'BEGIN { printf "%.3f", u + s - b }')
    echo "live: $name: ${cpu} CPU s from the first packet until stopped, ${cpu_exit} s to exit (final flush; ${stop_seconds} s from SIGTERM to exit), peak RSS ${rss} KiB" >&2
}

per_million() { awk -v c="$1" -v p="$2" 'BEGIN { if (p <= 0) print 0; else printf "%.3f", c * 1e6 / p }'; }

# The timed runs take turns with other benchmarks on a shared machine; the load is printed beside.
bench_lock
load_before=$(bench_load)

# flowlog agent: the large cluster, storing, promiscuous (the frames are not addressed to rx).
# run_agent NAME BINARY: sets NAME's sent, rate, CPU and capture counters (agent_*).
run_agent() {
    local name=$1 binary=$2
    rm -rf "$work/$name-data"
    run_tool "$name" 2 "$binary" agent --interface capture0 --promiscuous --buffer-size "$buffer" --cluster "$cluster" \
        --data "$work/$name-data" --node bench --metrics off --log-format json || exit 1
    field() { grep -o "\"$1\":\"[0-9]*\"" "$work/$name.log" | head -1 | grep -o '[0-9]*' || echo 0; }
    agent_packets=$(field packets) agent_kernel=$(field kernel_dropped) agent_ring=$(field ring_dropped) agent_flows=$(field flows)
    echo "live: $name captured $agent_packets packets, $agent_flows flows; kernel drops $agent_kernel, ring drops $agent_ring" >&2
}

# median VALUES... / range VALUES...: the middle value (the mean of the two middle ones for an
# even count) and "min–max" of a list of figures.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd' ' - | awk '{ printf "%.3f–%.3f", $1, ($2 == "" ? $1 : $2) }'; }
median_rate() { median "$@" | awk '{ printf "%.0f", $1 }'; }
sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { print s + 0 }'; }

# run_nfpcapd NAME: nfpcapd on the same traffic with the same buffer, flows to LZ4 files; sets
# nf_sent, nf_rate, nf_cpu, nf_cpu_exit, nf_packets and nf_dropped. It logs its counters at exit.
run_nfpcapd() {
    local name=$1
    rm -rf "$work/$name-data" && mkdir -p "$work/$name-data"
    run_tool "$name" 3 nfpcapd -i capture0 -w "$work/$name-data" -y -b "$buffer_mb" -v || exit 1
    nf_sent=$sent nf_rate=$sent_rate nf_cpu=$cpu nf_cpu_exit=$cpu_exit
    # Its "Stat:" lines come at every file rotation and at exit, each counting since the one
    # before (Linux resets the socket's counters when they are read), so the drops are their
    # sum; the packets it handled are the exit's "Total: Processed" (in one --topspeed run its
    # two Stat lines added up to 1.1 M of the 2.0 M packets it processed).
    nf_packets=$(sed -n 's/.*Total: Processed: \([0-9]*\).*/\1/p' "$work/$name.log" | tail -1)
    nf_dropped=$(sed -n 's/.*dropped by OS\/Buffer: \([0-9]*\).*/\1/p' "$work/$name.log" | awk '{ s += $1 } END { if (NR) print s }')
    echo "live: $name received ${nf_packets:-?} packets, dropped ${nf_dropped:-?} (its log: $work/$name.log)" >&2
}

# measure LABEL SUFFIX: LIVE_RUNS rounds of the agent (and the baseline) and nfpcapd at the rate
# `send` is set to, their order alternating from round to round (agent first, then nfpcapd
# first), so that a drift of the machine's load during the run weighs on both tools alike.
# Prints the median of each tool's CPU per packet with its min–max, the ratio of the medians,
# and drops summed over every run. SUFFIX tells the rows of a pinned rate apart.
measure() {
    local label=$1 suffix=$2 round
    local flow_per=() flow_exit=() flow_rates=() flow_sent=() flow_packets=() flow_kernel=() flow_ring=()
    local base_per=() base_exit=() base_rates=() base_drops=()
    local flow_faults=() flow_switches=() base_faults=() base_switches=()
    local nf_per=() nf_exit=() nf_rates=() nf_sent_all=() nf_received=() nf_drops=()
    agents() {
        if [ -n "${LIVE_BASELINE:-}" ]; then
            run_agent "baseline$label-$round" "$LIVE_BASELINE"
            base_per+=("$(per_million "$cpu" "$sent")") base_exit+=("$(per_million "$cpu_exit" "$sent")")
            base_rates+=("$sent_rate") base_drops+=("$((agent_kernel + agent_ring))")
            [ -z "$faults" ] || base_faults+=("$faults") base_switches+=("$switches")
        fi
        run_agent "flowlog$label-$round" "$FLOWLOG"
        flow_per+=("$(per_million "$cpu" "$sent")") flow_exit+=("$(per_million "$cpu_exit" "$sent")")
        flow_rates+=("$sent_rate") flow_sent+=("$sent") flow_packets+=("$agent_packets")
        flow_kernel+=("$agent_kernel") flow_ring+=("$agent_ring")
        [ -z "$faults" ] || flow_faults+=("$faults") flow_switches+=("$switches")
    }
    nfpcapd_run() {
        run_nfpcapd "nfpcapd$label-$round"
        nf_per+=("$(per_million "$nf_cpu" "$nf_sent")") nf_exit+=("$(per_million "$nf_cpu_exit" "$nf_sent")")
        nf_rates+=("$nf_rate") nf_sent_all+=("$nf_sent")
        [ -z "$nf_packets" ] || nf_received+=("$nf_packets")
        [ -z "$nf_dropped" ] || nf_drops+=("$nf_dropped")
    }
    for ((round = 1; round <= runs; round++)); do
        if ((round % 2)); then agents; nfpcapd_run; else nfpcapd_run; agents; fi
    done

    local of="median of $runs"
    bench_row "live: tcpreplay rate into the veth, flowlog runs, $of$suffix" "$(median_rate "${flow_rates[@]}")" packets/s "nfpcapd runs" "$(median_rate "${nf_rates[@]}")"
    bench_row "live: flowlog agent packets captured, all runs$suffix" "$(sum "${flow_packets[@]}")" packets "tcpreplay sent" "$(sum "${flow_sent[@]}")"
    bench_row "live: flowlog agent kernel drops, all runs$suffix" "$(sum "${flow_kernel[@]}")" packets - -
    bench_row "live: flowlog agent ring drops, all runs$suffix" "$(sum "${flow_ring[@]}")" packets - -
    [ ${#nf_received[@]} -gt 0 ] && bench_row "live: nfpcapd packets received, all runs$suffix" "$(sum "${nf_received[@]}")" packets "tcpreplay sent" "$(sum "${nf_sent_all[@]}")"
    [ ${#nf_drops[@]} -gt 0 ] && bench_row "live: nfpcapd kernel drops, all runs$suffix" "$(sum "${nf_drops[@]}")" packets - -
    bench_row "live: CPU s per M packets, flowlog agent, $of$suffix" "$(median "${flow_per[@]}")" cpu-s/Mpkt "nfpcapd -i, $of" "$(median "${nf_per[@]}")"
    echo "ROW|live: CPU s per M packets, flowlog agent, min–max$suffix|$(range "${flow_per[@]}")|cpu-s/Mpkt|nfpcapd -i, min–max|$(range "${nf_per[@]}")|-"
    bench_row "live: CPU s per M packets, final flush incl., $of$suffix" "$(median "${flow_exit[@]}")" cpu-s/Mpkt "nfpcapd -i, $of" "$(median "${nf_exit[@]}")"
    echo "ROW|live: CPU s per M packets, final flush incl., min–max$suffix|$(range "${flow_exit[@]}")|cpu-s/Mpkt|nfpcapd -i, min–max|$(range "${nf_exit[@]}")|-"
    if [ ${#flow_faults[@]} -gt 0 ]; then
        local ref_label=- ref_faults=- ref_switches=-
        if [ ${#base_faults[@]} -gt 0 ]; then
            ref_label="baseline, $of" ref_faults=$(median_rate "${base_faults[@]}") ref_switches=$(median_rate "${base_switches[@]}")
        fi
        bench_row "live: agent page faults, first packet to exit, $of$suffix" "$(median_rate "${flow_faults[@]}")" faults "$ref_label" "$ref_faults"
        bench_row "live: agent context switches, first packet to exit, $of$suffix" "$(median_rate "${flow_switches[@]}")" switches "$ref_label" "$ref_switches"
    fi
    if [ -n "${LIVE_BASELINE:-}" ]; then
        bench_row "live: baseline binary kernel + ring drops, all runs$suffix" "$(sum "${base_drops[@]}")" packets - -
        bench_row "live: CPU s per M packets, baseline binary, $of$suffix" "$(median "${base_per[@]}")" cpu-s/Mpkt "nfpcapd -i, $of" "$(median "${nf_per[@]}")"
        echo "ROW|live: CPU s per M packets, baseline binary, min–max$suffix|$(range "${base_per[@]}")|cpu-s/Mpkt|flowlog agent, min–max|$(range "${flow_per[@]}")|-"
        bench_row "live: CPU s per M packets, baseline, flush incl., $of$suffix" "$(median "${base_exit[@]}")" cpu-s/Mpkt "nfpcapd -i, $of" "$(median "${nf_exit[@]}")"
        bench_row "live: tcpreplay rate, baseline runs, $of$suffix" "$(median_rate "${base_rates[@]}")" packets/s "nfpcapd runs" "$(median_rate "${nf_rates[@]}")"
    fi
}

# The issue's row: as fast as tcpreplay sends. The tools are then sent at different rates (the
# machine's load changes between runs) and a capture process woken for fewer packets at a time
# spends more per packet, so a second row sends both at one pinned rate that both keep up with.
rate_args=(--topspeed)
measure "" ""
if [ "$pps" -gt 0 ]; then
    rate_args=(--pps="$pps")
    measure "-pinned" " (--pps $pps)"
fi
load_after=$(bench_load)
bench_unlock
echo "ROW|live: load average (1, 5, 15 min) before / after|${load_before// /,} / ${load_after// /,}|-|-|-|-"
