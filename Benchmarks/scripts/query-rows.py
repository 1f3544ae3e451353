#!/usr/bin/env python3
"""Checks the query benchmark's answers before they are timed (Benchmarks/scripts/query.sh).

flowlog stores one flow per conversation (both directions), nfdump one per direction, so rows
are compared per conversation: the key is (protocol, the two endpoints as an unordered pair)
with ports 0 for protocols without ports, and each side's rows are summed per key (packets,
bytes; nfdump's two directions add up to our one row).

  query-rows.py same OURS.csv NFDUMP.csv
      Both answers hold the same conversations with the same packet and byte totals (bytes:
      flowlog counts frames, nfdump IP packets: on Ethernet 14 bytes of header a packet, up to
      20 with a short frame's padding).
  query-rows.py subset FULL.csv ANSWER.csv PREDICATE
      ANSWER is exactly the rows of FULL (same side, header line first in both) that
      PREDICATE admits, as a multiset of lines: proves a filter picked every row it should
      and no other. PREDICATE: `tcp-bytes N` (TCP, the row's bytes > N: flowlog sums both
      directions, nfdump's row is one direction), `cidr PREFIX` (either address inside).
  query-rows.py top FULL.csv ANSWER N
      ANSWER (flowlog `--group-by dst.port --top N --order bytes -o csv`, or nfdump
      `-s dstport/bytes -n N -o csv`) lists the N destination ports with the most bytes in
      FULL, with their byte totals (ties at the cut may name either port).
Prints one line saying what was compared; exits 1 with the first differences otherwise.
"""
import csv
import ipaddress
import sys
from collections import Counter

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "ipv6-icmp": 58, "icmpv6": 58, "sctp": 132}
HAS_PORTS = {6, 17, 132}


def protocol(text):
    t = text.strip().lower()
    return PROTOCOLS[t] if t in PROTOCOLS else int(t)


class Side:
    """Field access for one tool's CSV (found from the header line)."""

    def __init__(self, header):
        self.nfdump = "sa" in header and "ibyt" in header
        ix = {name: i for i, name in enumerate(header)}
        if self.nfdump:
            self.src, self.dst, self.sport, self.dport, self.proto = ix["sa"], ix["da"], ix["sp"], ix["dp"], ix["pr"]
            self.packets, self.bytes = [ix["ipkt"]], [ix["ibyt"]]
        else:
            self.src, self.dst = ix["source_ip"], ix["dest_ip"]
            self.sport, self.dport, self.proto = ix["source_port"], ix["dest_port"], ix["proto"]
            self.packets = [ix["source_packets"], ix["dest_packets"]]
            self.bytes = [ix["source_bytes"], ix["dest_bytes"]]

    def key(self, row):
        p = protocol(row[self.proto])
        a = ipaddress.ip_address(row[self.src].strip())
        b = ipaddress.ip_address(row[self.dst].strip())
        sp = int(row[self.sport] or 0) if p in HAS_PORTS else 0
        dp = int(row[self.dport] or 0) if p in HAS_PORTS else 0
        ends = sorted([(a.version, int(a), sp), (b.version, int(b), dp)])
        return (p, ends[0], ends[1])

    def counts(self, row):
        return sum(int(row[i]) for i in self.packets), sum(int(row[i]) for i in self.bytes)


def rows(path, nfdump_header=None):
    """Header and data rows; nfdump's `-q` output has no header, so one is supplied."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        first = next(reader, None)
        if first is None:
            return [], []
        headerless = first[:2] != ["ts", "te"] and "source_ip" not in first and "dest_port" not in first
        if nfdump_header is not None and headerless:
            return nfdump_header, [first] + [r for r in reader if r]
        return first, [r for r in reader if r and r[0] != "Summary"]


NFDUMP_HEADER = ("ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,"
                 "svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,"
                 "cl,sl,al,ra,eng,exid,tr").split(",")


def totals(path):
    header, data = rows(path, NFDUMP_HEADER)
    if not header:
        return {}, 0
    side = Side(header)
    sums = {}
    for r in data:
        k = side.key(r)
        p, b = side.counts(r)
        old = sums.get(k, (0, 0))
        sums[k] = (old[0] + p, old[1] + b)
    return sums, len(data)


def same(ours_path, theirs_path):
    ours, our_rows = totals(ours_path)
    theirs, their_rows = totals(theirs_path)
    # flowlog counts the bytes of each frame, nfdump (nfpcapd) those of its IP packet: on
    # Ethernet a frame is its packet + 14 bytes of header, padded to 60 (so 14 to 20 bytes
    # more per packet); every other difference counts.
    def agree(k):
        o, t = ours.get(k), theirs.get(k)
        return o is not None and t is not None and o[0] == t[0] and (o[1] == t[1] or 14 * t[0] <= o[1] - t[1] <= 20 * t[0])
    differ = [k for k in set(ours) | set(theirs) if not agree(k)]
    summary = (f"{len(ours)} conversations in {our_rows} flowlog rows / {len(theirs)} in {their_rows} nfdump rows, "
               f"packets {sum(v[0] for v in ours.values())} / {sum(v[0] for v in theirs.values())}, "
               f"bytes {sum(v[1] for v in ours.values())} / {sum(v[1] for v in theirs.values())}")
    if differ:
        print(f"DIFFERENT: {len(differ)} conversations differ; {summary}")
        for k in sorted(differ)[:5]:
            print(f"  {k}: flowlog {ours.get(k)} nfdump {theirs.get(k)}")
        return 1
    print(f"same rows: {summary}")
    return 0


def subset(full_path, answer_path, predicate):
    header, data = rows(full_path, NFDUMP_HEADER)
    side = Side(header)
    kind, value = predicate[0], predicate[1]
    if kind == "tcp-bytes":
        limit = int(value)
        admits = lambda r: protocol(r[side.proto]) == 6 and side.counts(r)[1] > limit
    elif kind == "cidr":
        net = ipaddress.ip_network(value, strict=False)
        def admits(r):
            a, b = ipaddress.ip_address(r[side.src].strip()), ipaddress.ip_address(r[side.dst].strip())
            return a in net or b in net
    else:
        raise SystemExit(f"query-rows.py: unknown predicate {kind}")
    # nfdump's last column is the time the file was written: the same file, the same value.
    wanted = Counter(tuple(r) for r in data if admits(r))
    _, answer = rows(answer_path, header if side.nfdump else None)
    got = Counter(tuple(r) for r in answer)
    if wanted != got:
        missing, extra = wanted - got, got - wanted
        print(f"DIFFERENT: {sum(missing.values())} rows missing, {sum(extra.values())} extra "
              f"(of {sum(wanted.values())} wanted)")
        for r in list(missing)[:3]:
            print("  missing:", ",".join(r[:10]))
        for r in list(extra)[:3]:
            print("  extra:", ",".join(r[:10]))
        return 1
    print(f"same rows: {sum(got.values())} rows, each of the full answer's that {' '.join(predicate)} admits")
    return 0


def top(full_path, answer_path, n):
    header, data = rows(full_path, NFDUMP_HEADER)
    side = Side(header)
    by_port = Counter()
    for r in data:
        p = protocol(r[side.proto])
        port = int(r[side.dport] or 0) if p in HAS_PORTS else 0
        if side.nfdump and p not in HAS_PORTS:
            port = int(r[side.dport] or 0)  # nfdump ranks ICMP by its type/code "port"
        by_port[port] += side.counts(r)[1]
    ranked = by_port.most_common()
    with open(answer_path, newline="") as f:
        answer = [r for r in csv.reader(f) if r]
    head = answer[0]
    if side.nfdump:
        port_at, bytes_at = head.index("val"), head.index("byt")
        body = [r for r in answer[1:] if len(r) > bytes_at and r[port_at].strip().isdigit()][:n]
    else:
        port_at, bytes_at = head.index("dest_port"), head.index("bytes")
        body = answer[1:]
    got = [(int(r[port_at] or 0), int(r[bytes_at])) for r in body]
    want_bytes = [b for _, b in ranked[:n]]
    ok = len(got) == min(n, len(ranked)) and [b for _, b in got] == want_bytes \
        and all(by_port.get(port) == b for port, b in got)
    if not ok:
        print(f"DIFFERENT: answer {got[:n]}, full rows give {ranked[:n]}")
        return 1
    print(f"same rows: top {len(got)} destination ports by bytes, as summed from every row")
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "same":
        return same(argv[2], argv[3])
    if len(argv) >= 6 and argv[1] == "subset":
        return subset(argv[2], argv[3], argv[4:6])
    if len(argv) >= 5 and argv[1] == "top":
        return top(argv[2], argv[3], int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
