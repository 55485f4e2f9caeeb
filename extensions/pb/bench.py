"""Benchmark: pb vs the pure-Python path (protobuf upb + gzip + struct), in two stages.

1. serialization / parsing alone: written with compresslevel=0 (stored gzip blocks);
2. end to end with gzip level 6, next to zlib alone deflating the same bytes at the
   same level (the very work pb's gzwrite does: the output is byte-identical). That
   is the floor of this design -- this zlib at this level -- not of the format:
   another level or deflate implementation (zlib-ng, libdeflate) moves it.
"""
import gzip
import pathlib
import tempfile
import zlib

import pb
import pb_reference as ref


def run(quick, measure):
    n = 2_000 if quick else 100_000
    records = ref.make_records(n)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        py_path, pb_path = pathlib.Path(folder, "py.pb.gz"), pathlib.Path(folder, "pb.pb.gz")
        for level, stage in ((0, "uncompressed"), (6, "gzip level 6")):
            # Same bytes from both writers, and both readers give the records back.
            assert ref.python_write(records, py_path, level) == pb.deviceapps_xwrite_pb(records, pb_path, level)
            raw = gzip.decompress(pb_path.read_bytes())
            assert raw == gzip.decompress(py_path.read_bytes())
            assert list(pb.deviceapps_xread_pb(pb_path)) == list(ref.python_read(pb_path)) == records

            write = {"Python (protobuf upb)": measure(lambda: ref.python_write(records, py_path, level)),
                     "pb": measure(lambda: pb.deviceapps_xwrite_pb(records, pb_path, level))}
            read = {"Python (protobuf upb)": measure(lambda: sum(1 for _ in ref.python_read(pb_path))),
                    "pb": measure(lambda: sum(1 for _ in pb.deviceapps_xread_pb(pb_path)))}
            limit = None
            if level:
                compressed = zlib.compress(raw, level, wbits=31)
                write["zlib alone (floor)"] = measure(lambda: zlib.compress(raw, level, wbits=31))
                read["zlib alone (floor)"] = measure(lambda: zlib.decompress(compressed, wbits=31))
                limit = "zlib alone (floor)"
            for verb, seconds in (("write", write), ("read", read)):
                results.append({"workload": f"pb {verb} {n:,} records, {stage}", "baseline": "Python (protobuf upb)",
                                "peer": None, "limit": limit, "seconds": seconds, "items": n})
    return results
