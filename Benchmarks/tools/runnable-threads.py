"""How many of a command's threads could run, over time: the cores its schedule leaves idle.

    perf record -a -o sched.data -e sched:sched_switch -e sched:sched_waking \
        -e sched:sched_wakeup_new -e sched:sched_process_fork -e sched:sched_process_exec \
        -e sched:sched_process_exit -- CMD ARG...
    python3 Benchmarks/tools/runnable-threads.py sched.data [--cores 2] [--slice MS]

Record system-wide (-a): a wake-up is traced in the waker's context, often another task.
A thread counts as runnable from its wake-up until it sleeps (a switch away in any state but R),
whether or not a core was free to run it. So on a loaded machine the figures describe the
command's own schedule, not the load: wherever fewer threads than cores are runnable, the
command could not have used the rest on an idle machine either. Prints the share of the run
with 0, 1, ... runnable threads, the core-seconds left idle (cores minus runnable threads,
summed over time), and a timeline of the mean runnable count (capped at the cores) per slice,
with the threads that were runnable in it.
"""
import argparse
import re
import subprocess
import sys
from collections import defaultdict

FIELD = re.compile(r"(\w+)=(\S+)")
LINE = re.compile(r"\s*(\d+)\s+([\d.]+):\s+sched:(\w+):(.*)")


def events(path):
    """(time, tid, event, fields) from `perf script`, in order."""
    out = subprocess.run(["perf", "script", "-i", path, "-F", "tid,time,event,trace"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        # "  1234 36465.763277:       sched:sched_switch: prev_comm=... "
        match = LINE.match(line)
        if not match:
            continue
        tid, stamp, name, rest = int(match.group(1)), float(match.group(2)), match.group(3), match.group(4)
        # comm fields may hold spaces; every field this script reads is a number or a state.
        fields = dict(FIELD.findall(rest))
        yield stamp, tid, name.strip(), fields, rest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--slice", type=float, default=10.0, help="timeline slice, ms")
    args = parser.parse_args()

    ours = set()          # the command's threads
    main_tid = None
    names = {}            # tid -> comm as last seen
    runnable = set()
    start = end = None
    last = None
    at_count = defaultdict(float)          # runnable count (capped) -> seconds
    slices = defaultdict(lambda: defaultdict(float))  # slice -> tid -> runnable seconds
    slice_s = args.slice / 1000

    def account(now):
        nonlocal last
        if last is None or start is None:
            last = now
            return
        t = last
        while t < now:
            index = int((t - start) / slice_s)
            upto = min(now, start + (index + 1) * slice_s)
            if upto <= t:  # t on a slice's edge, rounded below it
                index += 1
                upto = min(now, start + (index + 1) * slice_s)
            at_count[min(len(runnable), args.cores)] += upto - t
            for tid in runnable:
                slices[index][tid] += upto - t
            t = upto
        last = now

    for stamp, tid, name, fields, rest in events(args.data):
        if name == "sched_process_exec" and start is None:
            main_tid = tid
            ours.add(tid)
            runnable.add(tid)
            start = last = stamp
            names[tid] = rest.split("filename=")[-1].split()[0].rsplit("/", 1)[-1]
            continue
        if start is None:
            continue
        account(stamp)
        if name == "sched_process_fork":
            parent, child = int(fields.get("pid", -1)), int(fields.get("child_pid", -1))
            if parent in ours or tid in ours:
                ours.add(child)
                names[child] = fields.get("child_comm", str(child))
        elif name in ("sched_wakeup", "sched_wakeup_new", "sched_waking"):
            target = int(fields.get("pid", -1))
            if target in ours:
                runnable.add(target)
        elif name == "sched_switch":
            prev, nxt = int(fields["prev_pid"]), int(fields["next_pid"])
            if prev in ours:
                names[prev] = re.search(r"prev_comm=(.*?) prev_pid=", rest).group(1)
                if not fields["prev_state"].startswith("R"):
                    runnable.discard(prev)
            if nxt in ours:
                runnable.add(nxt)
        elif name == "sched_process_exit":
            target = int(fields.get("pid", tid))
            if target in ours:
                runnable.discard(target)
                if target == main_tid:
                    end = stamp
                    break
    if start is None:
        sys.exit("no exec in the recording: record the command with the events shown in this script's help")
    end = end or last
    total = end - start
    idle = sum((args.cores - k) * s for k, s in at_count.items())
    print(f"run {total:.3f} s, {len(ours)} threads; core-seconds left idle by the schedule: {idle:.3f} "
          f"({idle / (args.cores * total) * 100:.1f} % of {args.cores} cores)")
    for k in range(args.cores + 1):
        label = f">= {k}" if k == args.cores else f"   {k}"
        print(f"  {label} runnable: {at_count[k]:.3f} s ({at_count[k] / total * 100:.1f} %)")
    print(f"{'ms':>6} {'mean':>5}  runnable threads (ms of the slice)")
    for index in sorted(slices):
        row = slices[index]
        mean = min(sum(row.values()), args.cores * slice_s) / slice_s
        who = ", ".join(f"{names.get(t, t)}:{row[t] * 1000:.0f}" for t in sorted(row, key=lambda t: -row[t]) if row[t] >= 0.0005)
        print(f"{index * args.slice:6.0f} {mean:5.2f}  {who}")


if __name__ == "__main__":
    main()
