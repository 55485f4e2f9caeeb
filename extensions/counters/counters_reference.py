"""Record files for the counters extension, and two independent implementations
of get_counters (NumPy and pure Python) to check it against and time it against.

A record is packed little-endian: id (uint64, or uint32 with key_size=4),
shows (uint16), clicks (uint16).
"""
import gzip
import struct
from collections import defaultdict

import lz4.frame
import numpy as np

FREQ_BUCKETS = 33
COMPRESSIONS = ("plain", "gzip", "lz4")


def record_dtype(key_size=8):
    id_type = {8: "<u8", 4: "<u4"}[key_size]
    return np.dtype([("id", id_type), ("shows", "<u2"), ("clicks", "<u2")])


def make_records(n, distinct_ids, key_size=8, seed=0):
    """n records whose ids are drawn uniformly, with replacement, from a pool of
    `distinct_ids` random ids. Not every id of the pool need appear: n draws
    from a pool of d leave about d * (1 - exp(-n / d)) distinct ids.

    shows are 0, 1 or 2; a record has a click one time in ten, so most ids
    end with 0 clicks and the histograms have both a crowded and a long end.
    """
    rng = np.random.default_rng(seed)
    id_pool = rng.integers(0, 2 ** (8 * key_size), size=distinct_ids, dtype=np.uint64)
    records = np.empty(n, dtype=record_dtype(key_size))
    records["id"] = id_pool[rng.integers(0, distinct_ids, size=n)]
    records["shows"] = rng.integers(0, 3, size=n)
    records["clicks"] = rng.random(n) < 0.1
    return records


def compress(data, compression):
    if compression == "plain":
        return data
    if compression == "gzip":
        return gzip.compress(data, compresslevel=1)
    if compression == "lz4":
        return lz4.frame.compress(data)
    raise ValueError(f"unknown compression {compression!r}")


def write_records(path, records, compression="plain"):
    """Write `records` (a structured array of record_dtype) to `path`."""
    with open(path, "wb") as f:
        f.write(compress(records.tobytes(), compression))


def numpy_counters(records, entity_type, entity_id):
    """get_counters' result computed with NumPy: np.unique sorts the ids."""
    ids, inverse = np.unique(records["id"], return_inverse=True)
    result = {"type": entity_type, "id": entity_id,
              "shows_all": int(records["shows"].sum(dtype=np.uint64)),
              "clicks_all": int(records["clicks"].sum(dtype=np.uint64))}
    per_id = {}
    for field in ("shows", "clicks"):
        totals = np.bincount(inverse, weights=records[field], minlength=len(ids))
        per_id[field] = np.bincount(np.minimum(totals, FREQ_BUCKETS - 1).astype(np.intp),
                                    minlength=FREQ_BUCKETS)
    for field in ("shows", "clicks"):
        result[f"{field}_uniq"] = len(ids) - int(per_id[field][0])
    for field in ("shows", "clicks"):
        result[f"{field}_freq"] = [int(v) for v in per_id[field]]
    return result


def python_counters(data, entity_type, entity_id, key_size=8):
    """get_counters' result computed in pure Python from the uncompressed bytes."""
    record = struct.Struct("<QHH" if key_size == 8 else "<IHH")
    shows, clicks = defaultdict(int), defaultdict(int)
    shows_all = clicks_all = 0
    for record_id, s, c in record.iter_unpack(data):
        shows[record_id] += s
        clicks[record_id] += c
        shows_all += s
        clicks_all += c
    result = {"type": entity_type, "id": entity_id,
              "shows_all": shows_all, "clicks_all": clicks_all}
    histograms = {}
    for name, totals in (("shows", shows), ("clicks", clicks)):
        histogram = [0] * FREQ_BUCKETS
        for total in totals.values():
            histogram[min(total, FREQ_BUCKETS - 1)] += 1
        histograms[name] = histogram
        result[f"{name}_uniq"] = len(totals) - histogram[0]
    result["shows_freq"] = histograms["shows"]
    result["clicks_freq"] = histograms["clicks"]
    return result
