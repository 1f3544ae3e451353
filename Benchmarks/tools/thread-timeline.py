"""Runs a command and shows when each of its threads was on a CPU: total CPU per thread and a
timeline of busy shares in fixed slices of wall time.

    python3 Benchmarks/tools/thread-timeline.py [--slice MS] [--interval MS] -- CMD ARG...

Every thread's on-CPU time is read from /proc/PID/task/TID/schedstat (nanoseconds, exact, not
sampled) every --interval milliseconds (default 1); the timeline gives, per slice of --slice
milliseconds (default 20), the share of the slice each thread ran (100 = one full core), and a
last column for the whole process (200 = both cores of a 2-core machine). A thread is named by
its comm (`pthread_setname_np`) and its number of creation. A thread that ends between two
reads loses what it ran since the last one; the process total comes from the kernel's own
accounting of the exited process (wait4) and is exact.
"""
import argparse
import os
import resource
import subprocess
import sys
import time


def read_tasks(pid):
    tasks = {}
    try:
        names = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return tasks
    for tid in names:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
        except (OSError, ValueError, IndexError):
            continue
        tasks[int(tid)] = (comm, ns)
    return tasks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slice", type=float, default=20.0, help="timeline slice, ms")
    parser.add_argument("--interval", type=float, default=1.0, help="polling interval, ms")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    readings = []  # (seconds since start, {tid: (comm, ns)})
    while True:
        now = time.monotonic() - started
        tasks = read_tasks(child.pid)
        if tasks:
            readings.append((now, tasks))
        if child.poll() is not None:
            break
        time.sleep(args.interval / 1000)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)

    order = []  # tids in order of first sight (creation order, within the polling interval)
    latest = {}
    for _, tasks in readings:
        for tid, (comm, ns) in tasks.items():
            if tid not in latest:
                order.append(tid)
            latest[tid] = (comm, ns)
    label = {tid: f"{n}:{latest[tid][0]}"[:15] for n, tid in enumerate(order)}

    print(f"wall {wall:.3f} s; process CPU {usage.ru_utime:.3f} s user + {usage.ru_stime:.3f} s system"
          f" = {usage.ru_utime + usage.ru_stime:.3f} s; exit {child.returncode}")
    seen_total = sum(ns for _, ns in latest.values()) / 1e9
    print(f"threads seen: {len(order)}, their CPU {seen_total:.3f} s (the rest ran in threads that ended between reads)")
    for tid in order:
        first = next(t for t, tasks in readings if tid in tasks)
        last = max(t for t, tasks in readings if tid in tasks)
        print(f"  {label[tid]:15s} CPU {latest[tid][1] / 1e9:7.3f} s  seen {first:6.3f}–{last:6.3f} s")

    slice_s = args.slice / 1000
    slices = int(wall / slice_s) + 1
    busy = {tid: [0.0] * slices for tid in order}
    previous = {}
    previous_time = 0.0
    for t, tasks in readings:
        for tid, (_, ns) in tasks.items():
            before = previous.get(tid, 0)
            # Spread the reading's increment over the polling interval it covers.
            delta = (ns - before) / 1e9
            start = previous_time if tid in previous else max(0.0, t - args.interval / 1000)
            span = max(t - start, 1e-9)
            a = start
            while a < t and delta > 0:
                index = min(int(a / slice_s), slices - 1)
                b = min(t, (index + 1) * slice_s)
                busy[tid][index] += delta * (b - a) / span
                a = b if b > a else t
            previous[tid] = ns
        previous_time = t
    shown = [tid for tid in order if latest[tid][1] >= 0.005e9]
    header = "   ms  " + " ".join(f"{label[tid]:>15s}" for tid in shown) + "    all"
    print(header)
    for i in range(slices):
        shares = [100 * busy[tid][i] / slice_s for tid in shown]
        total = sum(100 * busy[tid][i] / slice_s for tid in order)
        print(f"{i * args.slice:5.0f}  " + " ".join(f"{s:15.0f}" for s in shares) + f" {total:6.0f}")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
