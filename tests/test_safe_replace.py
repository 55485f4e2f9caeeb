"""The one rule both writers follow when they replace their output file.

pb.deviceapps_xwrite_pb and targets.targets_negative write to a temporary file
next to the destination and rename it over the destination once complete. Apart
from being atomic, the result must be what open(path, "w") would have written:

  - no file yet: a new file with mode 0666 & ~umask;
  - an existing regular file: replaced, keeping its permission bits;
  - a symlink (absolute, relative, a chain, dangling): written through, the link
    stays and the file it names is replaced (or created);
  - a directory, FIFO, socket, device, or a link to one: refused with an OSError
    naming the path and saying it is not a regular file, before anything is
    written, and left as it was;
  - on every failure (writing, closing, renaming) no temporary file stays and the
    destination is untouched.

Every case runs against both writers. Each extension keeps its own copy of the
code (each folder builds alone), so this file is where the rule is stated once.
"""
import errno
import os
import pathlib
import socket
import stat
import subprocess
import sys
import threading

import numpy as np
import pytest

import pb
import targets
import targets_reference

OLD = b"the old contents\n"


class PbWriter:
    """pb.deviceapps_xwrite_pb, writing a fixed list of records."""
    name = "pb"

    def __init__(self, inputs, large=False):
        count = 20_000 if large else 100
        # Random ids: the gzip stream does not shrink to nothing, so the file's size
        # is predictable (about 2 KB for 100 records, a few hundred KB for 20,000).
        rng = np.random.default_rng(7)
        self.records = [{"device": {"id": rng.bytes(16).hex(), "type": "idfa"}, "apps": [i, i + 1]}
                        for i in range(count)]

    def write(self, path, during=None):
        def records():
            for i, record in enumerate(self.records):
                if i == 1 and during is not None:
                    during()                # Python code in the middle of the write
                yield record
        return pb.deviceapps_xwrite_pb(records(), path)

    def refusal_type(self, number):
        return type(OSError(number, "x"))      # IsADirectoryError for EISDIR, as open() raises


class TargetsWriter:
    """targets.targets_negative, its two inputs in a folder of their own."""
    name = "targets"

    def __init__(self, inputs, large=False):
        inputs.mkdir(exist_ok=True)
        self.all, self.inp = inputs / "all", inputs / "in"
        if large:        # sparse 64-bit keys: the hash set, so the call lasts a while
            self.key64 = True
            targets_reference.write_keys(self.all, targets_reference.make_keys(4_000_000, 1, True, 2**40), key64=True)
            targets_reference.write_keys(self.inp, targets_reference.make_keys(1_000_000, 2, True, 2**40), key64=True)
        else:
            self.key64 = False
            targets_reference.write_keys(self.all, np.arange(1000, dtype=np.uint32))
            targets_reference.write_keys(self.inp, np.arange(0, 1000, 3, dtype=np.uint32))

    def write(self, path, during=None):
        if during is None:
            return targets.targets_negative(self.all, self.inp, path, key64=self.key64)
        # No Python code runs inside targets_negative: `during` runs in a thread
        # that waits for the temporary file to appear (the GIL is released).
        folder, before = pathlib.Path(path).parent, set(os.listdir(pathlib.Path(path).parent))
        done = threading.Event()

        def watch():
            while not done.is_set():
                if set(os.listdir(folder)) - before - {pathlib.Path(path).name}:
                    during()
                    return
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            return targets.targets_negative(self.all, self.inp, path, key64=self.key64)
        finally:
            done.set()
            watcher.join()

    def refusal_type(self, number):
        return targets.Error               # all of its failures are targets.Error (an OSError)


WRITERS = {"pb": PbWriter, "targets": TargetsWriter}


@pytest.fixture(params=sorted(WRITERS))
def writer(request, tmp_path):
    return WRITERS[request.param](tmp_path / "inputs")


@pytest.fixture
def folder(tmp_path):
    """The output's folder: nothing else in it, so any stray file shows."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def expected(writer, tmp_path):
    """The bytes the writer writes to a fresh file (both writers are deterministic)."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    writer.write(scratch / "reference")
    return (scratch / "reference").read_bytes()


@pytest.fixture
def umask():
    """Set the process' umask for the test; the old one is restored afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---- regular files ----

@pytest.mark.parametrize("mask", [0o077, 0o022, 0o002], ids=oct)
def test_a_new_file_gets_0666_less_the_umask(writer, folder, expected, umask, mask):
    umask(mask)
    writer.write(folder / "new")
    assert (folder / "new").read_bytes() == expected
    assert oct(mode(folder / "new")) == oct(0o666 & ~mask)
    assert os.listdir(folder) == ["new"]


@pytest.mark.parametrize("mask", [0o077, 0o022], ids=oct)
@pytest.mark.parametrize("old_mode", [0o600, 0o640, 0o755], ids=oct)
def test_a_replaced_file_keeps_its_permission_bits(writer, folder, expected, umask, old_mode, mask):
    (folder / "old").write_bytes(OLD)
    os.chmod(folder / "old", old_mode)
    umask(mask)
    writer.write(folder / "old")
    assert (folder / "old").read_bytes() == expected
    assert oct(mode(folder / "old")) == oct(old_mode)
    assert os.listdir(folder) == ["old"]


# ---- symlinks: written through ----

def make_links(folder, kind):
    """(the path written, the file that must receive the data, {link: its text})."""
    (folder / "real").mkdir()
    (folder / "links").mkdir()
    target = folder / "real" / "file"
    if kind != "dangling" and kind != "dangling relative":
        target.write_bytes(OLD)
        os.chmod(target, 0o640)
    texts = {
        "absolute": {"links/link": str(target)},
        "relative": {"links/link": "../real/file"},        # relative to the link's folder, not the cwd
        "chain": {"links/link": "second", "links/second": str(folder / "real" / "third"),
                  "real/third": "file"},
        "dangling": {"links/link": str(target)},
        "dangling relative": {"links/link": "../real/file"},
    }[kind]
    for link, text in texts.items():
        os.symlink(text, folder / link)
    return folder / "links" / "link", target, texts


@pytest.mark.parametrize("kind", ["absolute", "relative", "chain", "dangling", "dangling relative"])
def test_a_symlink_is_written_through(writer, folder, expected, umask, kind):
    umask(0o022)
    path, target, texts = make_links(folder, kind)
    writer.write(path)
    assert target.read_bytes() == expected
    assert oct(mode(target)) == oct(0o644 if kind.startswith("dangling") else 0o640)
    for link, text in texts.items():            # every link of the chain is still the same link
        assert os.readlink(folder / link) == text
    assert sorted(os.listdir(folder / "real")) == sorted(["file"] + [os.path.basename(link) for link in texts
                                                                     if link.startswith("real/")])
    assert sorted(os.listdir(folder / "links")) == sorted(os.path.basename(link) for link in texts
                                                          if link.startswith("links/"))


def test_a_symlink_loop_is_an_oserror(writer, folder):
    os.symlink("b", folder / "a")
    os.symlink("a", folder / "b")
    with pytest.raises(OSError) as caught:
        writer.write(folder / "a")
    assert caught.value.errno == errno.ELOOP and caught.value.filename == str(folder / "a")
    assert (os.readlink(folder / "a"), os.readlink(folder / "b")) == ("b", "a")
    assert sorted(os.listdir(folder)) == ["a", "b"]


# ---- not a regular file: refused ----

def make_directory(path):
    path.mkdir()
    (path / "inside").write_bytes(OLD)
    return errno.EISDIR, "a directory"


def make_fifo(path):
    os.mkfifo(path)          # opening it to write would wait for a reader: it must not be opened
    return errno.EINVAL, "a FIFO"


def make_socket(path):
    server, cwd = socket.socket(socket.AF_UNIX), os.getcwd()
    os.chdir(path.parent)    # a socket's address is limited to 107 bytes: bind a short relative one
    try:
        server.bind(path.name)
    finally:
        os.chdir(cwd)
        server.close()       # the socket file stays
    return errno.EINVAL, "a socket"


def make_device(path):
    # A character device like /dev/null (1, 3), made here: a writer that replaced
    # /dev/null itself would break the machine, so the test uses its own node.
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    return errno.EINVAL, "a device"


def make_link_to_directory(path):
    (path.parent / "somewhere").mkdir()
    os.symlink("somewhere", path)
    return errno.EISDIR, "a directory"


@pytest.mark.parametrize("make", [make_directory, make_fifo, make_socket, make_device, make_link_to_directory],
                         ids=["directory", "fifo", "socket", "device", "link to a directory"])
def test_not_a_regular_file_is_refused_before_anything_is_written(writer, folder, make):
    path = folder / "node"
    number, kind = make(path)
    before = os.lstat(path)
    listing = sorted(os.listdir(folder))
    with pytest.raises(OSError) as caught:
        writer.write(path)
    error = caught.value
    assert type(error) is writer.refusal_type(number)
    assert (error.errno, error.filename) == (number, str(path))     # a str, as os.stat(Path) gives
    assert error.strerror == f"{kind}, not a regular file"
    assert "not a regular file" in str(error)
    after = os.lstat(path)                       # the same node, untouched
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)
    assert sorted(os.listdir(folder)) == listing
    if make is make_directory:
        assert os.listdir(path) == ["inside"] and (path / "inside").read_bytes() == OLD


# ---- failures leave nothing behind ----

LIMITED_WRITE = """
import os, pathlib, resource, signal, sys
sys.path.insert(0, sys.argv[1])
import test_safe_replace as rule
name, inputs, path, size = sys.argv[2:6]
writer = rule.WRITERS[name](pathlib.Path(inputs), large=size == "large")   # inputs written first
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # past the limit, write() fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
try:
    writer.write(path)
    print("written")
except OSError as error:
    print(type(error).__name__, error.errno, error.filename == path)
"""


@pytest.mark.parametrize("size", ["small", "large"])
def test_a_failed_write_leaves_no_temporary_file(writer, folder, tmp_path, size):
    # Files are limited to 512 bytes (RLIMIT_FSIZE), in a child process. pb's small
    # output fails when gzclose() writes the last block, its large one in gzwrite();
    # targets fails writing its keys.
    (folder / "out").write_bytes(OLD)
    run = subprocess.run([sys.executable, "-c", LIMITED_WRITE, str(pathlib.Path(__file__).parent), writer.name,
                          str(tmp_path / "limited-inputs"), str(folder / "out"), size],
                         capture_output=True, text=True, timeout=300)
    assert run.stderr == ""
    assert run.stdout.split()[1:] == [str(errno.EFBIG), "True"]
    assert (folder / "out").read_bytes() == OLD
    assert os.listdir(folder) == ["out"]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_failed_rename_leaves_no_temporary_file(tmp_path, folder, name):
    # The destination becomes a directory while the output is being written (for
    # pb from its records' generator, for targets from a thread that waits for
    # the temporary file), so rename() fails at the end: EISDIR.
    writer = WRITERS[name](tmp_path / "inputs", large=True)
    path = folder / "out"
    with pytest.raises(OSError) as caught:
        writer.write(path, during=path.mkdir)
    assert caught.value.errno == errno.EISDIR and caught.value.filename == str(path)
    assert os.listdir(folder) == ["out"] and os.listdir(path) == []


def test_two_threads_replacing_the_same_file(writer, folder, expected):
    (folder / "out").write_bytes(OLD)
    errors = []

    def write():
        try:
            for _ in range(20):
                writer.write(folder / "out")
        except BaseException as error:          # the test fails on it below
            errors.append(error)
    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (folder / "out").read_bytes() == expected
    assert os.listdir(folder) == ["out"]
