"""Where a store's bytes go: per record, table and column of its segments, in bytes per flow.

    python3 Benchmarks/tools/store-bytes.py DIR

Reads every sealed segment of DIR whose blocks are segment format 4 or 5 (the layout is drawn
in Sources/SegmentStore/SegmentFormat.swift) with liblz4 through ctypes, and prints each
part's size per flow: segment headers, dictionary records (both copies), block headers,
block payloads as stored (after LZ4) and, inside them, each table and column raw (before LZ4,
which finds little in the bit-packed columns), then the block index with its Bloom filters
and the footers. The directory entries themselves (which `du -sb` adds) are not counted.
A measuring aid only: the store's own readers define what the bytes mean.
"""
import collections
import ctypes
import os
import struct
import sys

lz4 = ctypes.CDLL("liblz4.so.1")
SEGMENT, BLOCK, DICTIONARY, FOOTER = 0x4753_4C46, 0x4B42_4C46, 0x4344_4C46, 0x5849_4C46


def decompress(stored, raw_size):
    out = ctypes.create_string_buffer(raw_size)
    if lz4.LZ4_decompress_safe(stored, out, len(stored), raw_size) != raw_size:
        raise ValueError("LZ4 payload does not decode to its raw size")
    return out.raw


class Cursor:
    def __init__(self, data):
        self.data, self.at = data, 0

    def u8(self):
        self.at += 1
        return self.data[self.at - 1]

    def varint(self):
        value, shift = 0, 0
        while True:
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def packed(self, n):
        """A packed column of n values (PackedColumn)."""
        width = self.u8()
        size = (n * width + 7) // 8
        bits = int.from_bytes(self.data[self.at:self.at + size], "little")
        self.at += size
        mask = (1 << width) - 1
        values = [(bits >> (i * width)) & mask for i in range(n)] if width else [0] * n
        index = 0
        for k in range(self.varint()):
            delta = self.varint()
            index = delta if k == 0 else index + delta
            values[index] |= self.varint() << width
        return values


sizes = collections.OrderedDict()


def count(name, nbytes):
    sizes[name] = sizes.get(name, 0) + nbytes


def measured(name, c, read, *args):
    start = c.at
    result = read(*args)
    count(name, c.at - start)
    return result


def predicted(name, c, keys):
    """A predicted column (repeat bits, then the other values), resolved per key."""
    flags = measured(name, c, c.packed, len(keys))
    others = iter(measured(name, c, c.packed, sum(1 for f in flags if f == 0)))
    last, values = {}, []
    for key, flag in zip(keys, flags):
        value = last[key] if flag == 1 else next(others)
        values.append(value)
        last[key] = value
    return values


def block(payload, version):
    c = Cursor(payload)
    c.u8(); records = c.varint(); c.varint()
    count("  block: time unit, count, base end", c.at)
    start = c.at
    outcomes = c.varint()
    for _ in range(6):
        c.packed(outcomes)
    count("  block: outcome table", c.at - start)
    start = c.at
    c.packed(c.varint())
    count("  block: (protocol, port) pairs", c.at - start)
    start = c.at
    v4 = c.varint()
    c.packed(v4)
    v6 = c.varint()
    for _ in range(v6):
        shared = c.u8()
        c.at += 16 - shared
    count("  block: addresses", c.at - start)
    measured("  block: address identities", c, c.packed, v4 + v6)
    conversations = c.varint()
    steps = measured("  conversations: source", c, c.packed, conversations)
    sources, source = [], 0
    for step in steps:
        source += step
        sources.append(source)
    first = [i == 0 or sources[i] != sources[i - 1] for i in range(conversations)]
    starting = iter(measured("  conversations: destination", c, c.packed, sum(first)))
    deltas = iter(measured("  conversations: destination", c, c.packed, conversations - sum(first)))
    destinations = []
    for i in range(conversations):
        destinations.append(next(starting) if first[i] else destinations[-1] + next(deltas))
    predicted("  conversations: (protocol, port)", c, destinations)
    measured("  conversations: vlans", c, c.packed, conversations)
    measured("  conversations: vlans", c, c.packed, conversations)
    if version >= 5:
        outcomes = predicted("  conversations: outcome + 1", c, destinations)
        annotations = sum(1 for o in outcomes if o > 0)
        measured("  conversations: node", c, c.packed, conversations)
    else:
        codes = measured("  conversations: annotation code", c, c.packed, conversations)
        measured("  conversations: node", c, c.packed, conversations)
        annotations = sum(1 for code in codes if code == 1)
        keys = [destinations[i] for i in range(conversations) if codes[i] == 1]
        predicted("  annotations: outcome", c, keys)
    measured("  annotations: identity overrides", c, c.packed, annotations)
    measured("  annotations: identity overrides", c, c.packed, annotations)
    start = c.at
    for _ in range(c.varint()):
        for _ in range(c.varint()):
            c.varint()
    c.packed(conversations)
    count("  domain names", c.at - start)
    start = c.at
    shapes = c.varint()
    c.at += 8 * shapes
    count("  shapes", c.at - start)
    names = ["conversation", "end", "duration", "source port", "packets out", "bytes out",
             "packets in", "bytes in", "shape"]
    lengths = [c.varint() for _ in names]
    for name, length in zip(names, lengths):
        count("  column: " + name, length)
        c.at += length
    if c.at != len(payload):
        raise ValueError("block payload longer than its tables")
    return records


def segment(path, totals):
    data = open(path, "rb").read()
    if struct.unpack_from("<I", data, 0)[0] != SEGMENT:
        raise ValueError(path + ": not a segment")
    totals["segment header"] += 32
    magic, _, _, index_at, index_length = struct.unpack_from("<IHHQI", data, len(data) - 56)
    if magic != FOOTER:
        raise ValueError(path + ": open or damaged segment (no footer)")
    flows, at = 0, 32
    while at < index_at:
        magic, version = struct.unpack_from("<IH", data, at)
        if magic == DICTIONARY:
            raw, stored = struct.unpack_from("<II", data, at + 8)
            totals["dictionary records (every copy)"] += 56 + stored
            at += 56 + stored
        elif magic == BLOCK:
            records, raw, stored = struct.unpack_from("<III", data, at + 8)
            if version < 4:
                raise ValueError(path + ": format %d blocks; this tool reads 4 and 5" % version)
            totals["block headers"] += 80
            totals["block payloads (after LZ4)"] += stored
            flows += block(decompress(data[at + 80:at + 80 + stored], raw), version)
            at += 80 + stored
        else:
            raise ValueError("%s: no record or block at offset %d" % (path, at))
    totals["block index (Bloom filters and digests)"] += index_length
    totals["footer"] += 56
    return flows


def main():
    directory = sys.argv[1]
    totals = collections.Counter()
    flows = 0
    for name in sorted(os.listdir(directory)):
        if name.endswith(".seg"):
            flows += segment(os.path.join(directory, name), totals)
        elif name == "MANIFEST":
            totals["manifest"] += os.path.getsize(os.path.join(directory, name))
    if flows == 0:
        sys.exit("no flows in sealed segments of " + directory)
    total = sum(totals.values())
    print("%d flows, %d bytes in files, %.3f B/flow" % (flows, total, total / flows))
    for name, nbytes in totals.most_common():
        print("%-44s %10d %7.3f B/flow" % (name, nbytes, nbytes / flows))
        if name.startswith("block payloads"):
            raw = sum(sizes.values())
            print("    inside, raw before LZ4: %d bytes, %.3f B/flow" % (raw, raw / flows))
            for part, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
                print("  %-42s %10d %7.3f B/flow" % (part, size, size / flows))


main()
