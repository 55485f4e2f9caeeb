#!/usr/bin/env python3
"""Fuzzing the course's file readers: `make fuzz`, and the slice of it `make test` runs.

A harness is an extension's tests/test_fuzz.py. It defines

    EXPECTED          the exception types a bad file may raise (each with a message)
    one_input(path)   read the file at `path` the way a user would, and check what comes out
    file_bytes(data)  (optional) the file a fuzz input stands for, e.g. the input
                      compressed, so that mutations get past a checksum
    seeds()           the seed inputs, as (name, bytes)

and a test that replays its inputs (below). Anything else that happens while
reading a file is a finding: another exception, a crash, a hang, a memory error.

    tools/fuzz.py seeds HARNESS       (re)write the harness's seeds into fuzz-seeds/
    tools/fuzz.py replay HARNESS      the deterministic slice (make test): every
                                      seed, every input kept from an earlier finding,
                                      and a fixed set of mutants of each seed
    tools/fuzz.py run [--seconds N] [HARNESS...]
                                      coverage-guided fuzzing with atheris (libFuzzer)
                                      for N seconds per harness, against a build of
                                      the extension instrumented by clang (coverage
                                      and AddressSanitizer) in build/fuzz

A harness's inputs live beside it: tests/fuzz-seeds/ (small valid and nearly
valid files, committed) and tests/fuzz-crashes/ (every input that ever made it
fail, committed with the fix: the replay keeps each one a regression test).
`run` copies a new finding into fuzz-crashes/ and stops with its report.
"""
import argparse
import faulthandler
import hashlib
import importlib.util
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUZZ_BUILD = ROOT / "build" / "fuzz"
HANG_SECONDS = 10            # one input taking longer than this is a hang
MUTANTS_PER_SEED = 60        # the replay's fixed mutants of each seed
RSS_LIMIT_MB = 3072          # libFuzzer's memory limit (a 2 GiB block limit must fit under it)


def harnesses():
    return sorted(ROOT.glob("extensions/*/tests/test_fuzz.py"))


def load(path):
    path = pathlib.Path(path).resolve()
    spec = importlib.util.spec_from_file_location(f"fuzz_{path.parent.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inputs_folder(path, kind):
    return pathlib.Path(path).resolve().parent / f"fuzz-{kind}"


class Reader:
    """Writes each input to one scratch file and hands its path to the harness."""

    def __init__(self, harness):
        self.harness = harness
        folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        handle, name = tempfile.mkstemp(prefix="fuzz-", suffix=getattr(harness, "SUFFIX", ""), dir=folder)
        os.close(handle)
        self.path = name

    def __call__(self, data):
        file_bytes = getattr(self.harness, "file_bytes", None)
        with open(self.path, "wb") as file:
            file.write(file_bytes(data) if file_bytes else data)
        try:
            self.harness.one_input(self.path)
        except self.harness.EXPECTED as error:
            if not str(error).strip():
                raise AssertionError(f"{type(error).__name__} without a message") from error
            if isinstance(error, UnicodeError):
                # A ValueError, but one about some bytes the reader decoded, not
                # about the file: the user cannot act on it.
                raise AssertionError(f"a {type(error).__name__} escaped the reader") from error

    def close(self):
        os.unlink(self.path)


# ---- the deterministic slice ----

INTERESTING_INTS = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 2**31 - 1, 2**31, 2**32 - 1,
                    2**32, 2**63 - 1, 2**63, 2**64 - 1]


def mutate(data, rng):
    """One to three edits of the kinds that break readers: a flipped bit, a
    boundary byte, a cut, a length field replaced by a huge one, inserted or
    repeated bytes."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        where = rng.randrange(len(data) + 1)
        edit = rng.randrange(6)
        if edit == 0 and data:
            data[where % len(data)] ^= 1 << rng.randrange(8)
        elif edit == 1 and data:
            data[where % len(data)] = rng.choice([0, 1, 0x7F, 0x80, 0xFF])
        elif edit == 2:
            del data[where:]
        elif edit == 3:
            width = rng.choice([1, 2, 4, 8])
            value = rng.choice(INTERESTING_INTS) & ((1 << 8 * width) - 1)
            data[where:where + width] = value.to_bytes(width, rng.choice(["little", "big"]))
        elif edit == 4:
            data[where:where] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            end = min(len(data), where + rng.randint(1, 64))
            data[where:where] = data[where:end] * rng.randint(1, 8)
    return bytes(data)


def replay_inputs(harness_path):
    """(label, data) for every input of the slice, always the same ones."""
    for kind in ("crashes", "seeds"):
        for file in sorted(inputs_folder(harness_path, kind).glob("*")):
            if file.is_file() and file.name != "README.md":
                yield f"{kind}/{file.name}", file.read_bytes()
    for file in sorted(inputs_folder(harness_path, "seeds").glob("*")):
        if not file.is_file() or file.name == "README.md":
            continue
        rng = random.Random(f"{file.name}:{hashlib.sha256(file.read_bytes()).hexdigest()}")
        seed = file.read_bytes()
        for number in range(MUTANTS_PER_SEED):
            yield f"mutant {number} of seeds/{file.name}", mutate(seed, rng)


def replay(harness_path):
    harness = load(harness_path)
    reader = Reader(harness)
    count = 0
    try:
        for label, data in replay_inputs(harness_path):
            # A hang is reported with every thread's stack, and ends the process.
            faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
            print(f"input: {label} ({len(data)} bytes)", flush=True)
            try:
                reader(data)
            except BaseException:
                print(f"FAILED on {label}: {data[:200]!r}{'...' if len(data) > 200 else ''}", flush=True)
                raise
            finally:
                faulthandler.cancel_dump_traceback_later()
            count += 1
    finally:
        reader.close()
    print(f"replayed {count} inputs: all read or refused as expected")


# ---- coverage-guided fuzzing ----

def build_instrumented(extension):
    """The extension built by clang with libFuzzer's coverage hooks and
    AddressSanitizer, into build/fuzz/lib/NAME (the in-place build is left alone)."""
    lib = FUZZ_BUILD / "lib" / extension
    shutil.rmtree(lib, ignore_errors=True)
    flags = "-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer -g -O1"
    env = dict(os.environ, CC="clang", CXX="clang++", LDSHARED="clang -shared",
               LDCXXSHARED="clang++ -shared", CFLAGS=flags, CXXFLAGS=flags)
    subprocess.run([sys.executable, "setup.py", "--quiet", "build_ext", "--force",
                    "--build-lib", str(lib), "--build-temp", str(FUZZ_BUILD / "temp" / extension)],
                   cwd=ROOT / "extensions" / extension, env=env, check=True)
    return lib


def fuzz_one(harness_path, seconds):
    """Runs one harness under atheris; returns (summary dict, new finding or None)."""
    harness_path = pathlib.Path(harness_path).resolve()
    extension = harness_path.parent.parent.name
    lib = build_instrumented(extension)
    corpus = FUZZ_BUILD / "corpus" / extension
    artifacts = FUZZ_BUILD / "artifacts" / extension
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    import atheris
    preload = [str(pathlib.Path(atheris.path()) / "asan_with_fuzzer.so")]
    # ASan intercepts C++'s __cxa_throw; it must find libstdc++ already loaded.
    libstdcxx = subprocess.run(["g++", "-print-file-name=libstdc++.so.6"], capture_output=True,
                               text=True, check=True).stdout.strip()
    preload.append(libstdcxx)
    env = dict(os.environ, LD_PRELOAD=" ".join(preload), PYTHONMALLOC="malloc",
               PYTHONPATH=os.pathsep.join([str(lib), *filter(None, [os.environ.get("PYTHONPATH")])]),
               ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1")
    command = [sys.executable, __file__, "atheris", str(harness_path), "--",
               str(corpus), str(inputs_folder(harness_path, "seeds")),
               f"-max_total_time={seconds}", f"-timeout={HANG_SECONDS}",
               f"-rss_limit_mb={RSS_LIMIT_MB}", f"-artifact_prefix={artifacts}/",
               "-print_final_stats=1"]
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, errors="replace")
    elapsed = time.monotonic() - started
    log = result.stdout + result.stderr
    (FUZZ_BUILD / "logs").mkdir(parents=True, exist_ok=True)
    (FUZZ_BUILD / "logs" / f"{extension}.log").write_text(log)
    summary = {"harness": extension, "seconds": round(elapsed), "exit": result.returncode}
    for key, pattern in [("executions", r"stat::number_of_executed_units:\s*(\d+)"),
                         ("coverage", r"#\d+\s+(?:DONE|INITED|NEW|REDUCE|pulse)\s+cov: (\d+)"),
                         ("features", r"ft: (\d+)"), ("corpus", r"corp: (\d+)"),
                         ("peak RSS MB", r"stat::peak_rss_mb:\s*(\d+)")]:
        found = re.findall(pattern, log)
        summary[key] = int(found[-1]) if found else None
    finding = None
    kept = sorted(artifacts.glob("*"))
    if kept or result.returncode != 0:
        crashes = inputs_folder(harness_path, "crashes")
        crashes.mkdir(exist_ok=True)
        for artifact in kept:
            target = crashes / artifact.name
            shutil.copyfile(artifact, target)
            finding = target
        if finding is None:
            finding = f"exit {result.returncode} without an artifact"
    return summary, finding, log


def run_atheris(harness_path, libfuzzer_args):
    """Inside the instrumented process: hand the harness to atheris."""
    import atheris
    harness = load(harness_path)
    reader = Reader(harness)
    atheris.Setup([sys.argv[0], *libfuzzer_args], reader)
    atheris.Fuzz()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list")
    seeds_parser = commands.add_parser("seeds")
    seeds_parser.add_argument("harness")
    replay_parser = commands.add_parser("replay")
    replay_parser.add_argument("harness")
    run_parser = commands.add_parser("run")
    run_parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", 45)))
    run_parser.add_argument("harnesses", nargs="*")
    atheris_parser = commands.add_parser("atheris")
    atheris_parser.add_argument("harness")
    atheris_parser.add_argument("libfuzzer_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()

    if args.command == "list":
        for path in harnesses():
            print(path.relative_to(ROOT))
    elif args.command == "seeds":
        folder = inputs_folder(args.harness, "seeds")
        folder.mkdir(exist_ok=True)
        for name, data in load(args.harness).seeds():
            (folder / name).write_bytes(data)
            print(f"{(folder / name).relative_to(ROOT)}: {len(data)} bytes")
    elif args.command == "replay":
        replay(args.harness)
    elif args.command == "atheris":
        run_atheris(args.harness, [a for a in args.libfuzzer_args if a != "--"])
    else:
        if shutil.which("clang") is None:
            sys.exit("make fuzz needs clang (Debian: apt-get install clang): it builds the "
                     "extensions with libFuzzer's coverage hooks")
        paths = [pathlib.Path(p).resolve() for p in args.harnesses] or harnesses()
        findings = []
        print(f"{'harness':<20}{'seconds':>8}{'executions':>12}{'exec/s':>8}{'coverage':>10}"
              f"{'features':>10}{'corpus':>8}{'peak RSS MB':>13}")
        for path in paths:
            summary, finding, log = fuzz_one(path, args.seconds)
            rate = (summary["executions"] or 0) / max(summary["seconds"], 1)
            print(f"{summary['harness']:<20}{summary['seconds']:>8}{summary['executions'] or '-':>12}"
                  f"{rate:>8.0f}{summary['coverage'] or '-':>10}{summary['features'] or '-':>10}"
                  f"{summary['corpus'] or '-':>8}{summary['peak RSS MB'] or '-':>13}", flush=True)
            if finding:
                findings.append((path, finding, log))
        for path, finding, log in findings:
            print(f"\n== FINDING in {path.relative_to(ROOT)}: kept as {finding}")
            print("\n".join(log.splitlines()[-60:]))
        if findings:
            sys.exit(f"make fuzz: {len(findings)} harness(es) found a failing input; each is kept "
                     f"in its tests/fuzz-crashes/ and replayed by make test from now on")
        print("make fuzz: nothing new found")


if __name__ == "__main__":
    main()
