"""Key files for targets_negative, and two independent answers: Python sets and NumPy."""
import struct

import numpy as np

MAGIC = b"TGTS"
HEADER = struct.Struct("<4sIQ")     # magic, key size, key count: 16 bytes


def key_dtype(key64):
    return np.dtype("<u8" if key64 else "<u4")


def write_keys(path, keys, has_header=True, key64=False):
    """Write keys (any sequence of ints) as a key file; return the path."""
    array = np.asarray(keys, dtype=key_dtype(key64))
    with open(path, "wb") as file:
        if has_header:
            file.write(HEADER.pack(MAGIC, array.itemsize, len(array)))
        file.write(array.tobytes())
    return path


def read_keys(path, has_header=True, key64=False):
    """The keys of a key file as a NumPy array, checking its header."""
    with open(path, "rb") as file:
        data = file.read()
    if has_header:
        magic, key_size, count = HEADER.unpack_from(data)
        assert magic == MAGIC and key_size == key_dtype(key64).itemsize
        data = data[HEADER.size:]
        assert count * key_size == len(data)
    return np.frombuffer(data, dtype=key_dtype(key64))


def python_negative(all_keys, in_keys):
    """The keys of all_keys not in in_keys, in order: a Python set."""
    excluded = set(in_keys)
    return [key for key in all_keys if key not in excluded]


def numpy_negative(all_keys, in_keys):
    """The same with NumPy: np.isin keeps the order (np.setdiff1d would sort)."""
    return all_keys[~np.isin(all_keys, in_keys)]


def make_keys(n, seed, key64=False, spread=4):
    """n random keys drawn from a range n*spread wide: repeats happen."""
    rng = np.random.default_rng(seed)
    high = min(n * spread, 2**63 if key64 else 2**32)
    return rng.integers(0, high, size=n, dtype=key_dtype(key64))
