"""Splits a replay's or agent's CPU by pipeline stage from a perf profile.

    perf record -g -o perf.data -- flowlog replay CAPTURE --cluster DIR --data OUT
    perf script -i perf.data -F tid,ip,sym,dso > perf.txt
    python3 Benchmarks/tools/perf-stages.py perf.txt

Every sample goes to the first stage whose pattern appears anywhere in its call stack (the
rules are in priority order); samples no rule claims are counted per thread as "other"
(start-up, the allocator and kernel work whose stacks perf could not unwind).
"""
import collections
import re
import sys

rules = [
 ('processing: manifest loading', r'ClusterLoader'),
 ('processing: engine build', r'Policy0A6EngineC7cluster7options'),
 ('processing: DNS name lookups', r'DNSNameCacheC6lookup'),
 ('processing: DNS answers applied', r'DNSNameCacheC6record'),
 ('processing: policy annotation', r'Policy0A6EngineC8annotate'),
 ('processing: writer append (rows to the block)', r'SegmentStore0A6WriterC6append'),
 ('processing: teardown (freeing)', r'FlowProcessorCfd|Policy0A6EngineCfd'),
 ('processing: handing on (ring pop, batch, verdict counts)', r'FlowProcessorC7process|SPSCRing.*pop|FlowChannelC7tryTake|ReplayA0O3run_6output8progress.*FZ$'),
 ('agent: scheduled reports pass (a dispatch worker, not the encoder)', r'ScheduledReports'),
 ('agent: manifest watcher', r'ManifestWatcher'),
 ('compressing: LZ4-HC, checksums (liblz4 frames cannot be unwound: by library)', r'BlockCompressor|BlockEncodingQueueC8compress|liblz4'),
 ('encoder thread: block building, digest', r'BlockEncodingQueue|_dispatch_worker_thread'),
 ('capture: DNS answers', r'DNSObserver'),
 ('capture: flow cache', r'FlowCacheV6update|FlowCacheV6expire|FlowCacheV5flush'),
 ('capture: decoding', r'PacketDecoder'),
 ('capture: ring push', r'RingFlowSink|SPSCRing.*push|deliver4into'),
 ('capture: file reads (libpcap, stdio, kernel)', r'pcap_next_ex|pcap_dispatch|libpcap|_IO_fread|__fread_chk|ksys_read|\bread \('),
 # A live interface read from the kernel's ring directly: its waits (poll) and block hand-overs.
 ('capture: ring reads (poll, blocks)', r'PacketRing|waitForRing|breakRequested10wait'),
 ('capture: loop', r'FlowA0V7readAll|readDispatching|takeDispatched|readRing'),
]
path = sys.argv[1]
samples=[]; cur=None
for line in open(path, errors='replace'):
    if not line.strip():
        if cur: samples.append(cur); cur=None
        continue
    if not line.startswith('\t'):
        cur=(line.split()[0], []); continue
    parts=line.strip().split(' ',1)
    if cur: cur[1].append(parts[1] if len(parts)>1 else '?')
if cur: samples.append(cur)
total=len(samples)
def stage(stack):
    text = ' '.join(stack)
    for name, pattern in rules:
        if re.search(pattern, text):
            return name
    return None

# A thread's role is the stage prefix most of its claimed samples have.
claimed = collections.defaultdict(collections.Counter)
stages = []
for tid, stack in samples:
    name = stage(stack)
    stages.append((tid, name))
    if name:
        claimed[tid][name.split(':')[0].split(' ')[0]] += 1
role = {tid: (c.most_common(1)[0][0] if c else 'other') for tid, c in claimed.items()}
counts = collections.Counter()
threads = collections.Counter()
for tid, name in stages:
    who = role.get(tid, 'other')
    threads[who] += 1
    counts[name or who + ': other (start-up, allocator, kernel)'] += 1
print(f"{total} samples")
for who, n in threads.most_common():
    print(f"  thread {who}: {100 * n / total:.1f}%")
for name, n in sorted(counts.items()):
    print(f"  {100 * n / total:5.1f}%  {name}")
