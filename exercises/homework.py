"""make homework: build the student's pb and run pb's tests on it, milestone by
milestone.

    python exercises/homework.py            your pb: extensions/pb/homework/pb.c
    python exercises/homework.py --all      every test's line, not only the next milestone's
    python exercises/homework.py --source pb.c    the reference solution, through the same runner

The tests are the reference's own (extensions/pb/tests: test_pb.py, test_hostile.py,
test_fuzz.py), each marked with its milestone: the writer, then the reader, then
robustness. Each test runs in a process of its own with a time limit
(exercises/forked.py), so a crash or an endless loop in your pb fails the test
that ran into it, named, and every other test still runs. The build shows your
compiler warnings but does not fail on them.
"""
import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys

EXERCISES = pathlib.Path(__file__).resolve().parent
ROOT = EXERCISES.parent
sys.path.insert(0, str(EXERCISES))
from checker import compiler_output, result_lines  # noqa: E402  (one report format for both)
PB = ROOT / "extensions" / "pb"
TESTS = [PB / "tests" / name for name in ("test_pb.py", "test_hostile.py", "test_fuzz.py")]
MILESTONES = {          # in the order a student meets them (README.md next to the stub)
    "writer": "deviceapps_xwrite_pb writes the records",
    "reader": "deviceapps_xread_pb gives them back, one per next()",
    "robustness": "bad input, damaged files, hostile callers, threads, memory",
}
TIME_LIMIT = 10.0


def build(source, folder):
    """Build pb from SOURCE (a pb.c: a path relative to extensions/pb, or
    absolute) into FOLDER/lib, unless it was built there from the same files.
    Returns (ok, what the compiler printed)."""
    inputs = [PB / source, PB / "deviceapps.proto", PB / "setup.py", *sorted((ROOT / "extensions/common").glob("*.h"))]
    digest = hashlib.sha256(sys.version.encode())
    for path in inputs:
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()
    stamp = folder / ".built"
    if stamp.exists() and json.loads(stamp.read_text())["key"] == key:
        kept = json.loads(stamp.read_text())
        return kept["ok"], kept["output"]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "setup.py", "--quiet", "build_ext", "--force",
         "--build-lib", str(folder / "lib"), "--build-temp", str(folder / "temp")],
        cwd=PB, env=dict(os.environ, PB_SOURCE=str(source)), capture_output=True, text=True, errors="replace")
    output = compiler_output(result)
    stamp.write_text(json.dumps({"key": key, "ok": result.returncode == 0, "output": output}))
    return result.returncode == 0, output


def results_key(lib, time_limit):
    """What a run's results depend on: the build, the tests and what they read
    (fixtures, fuzz inputs, the reference reader), the runner, the time limit."""
    digest = hashlib.sha256(json.loads((lib.parent / ".built").read_text())["key"].encode())
    inputs = [*sorted(p for p in (PB / "tests").rglob("*") if p.is_file() and "__pycache__" not in p.parts),
              PB / "pb_reference.py", ROOT / "conftest.py", ROOT / "pytest.ini", ROOT / "tools" / "fuzz.py",
              EXERCISES / "forked.py"]
    for path in inputs:
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    digest.update(f"{time_limit}".encode())
    return digest.hexdigest()


def run_tests(lib, time_limit=TIME_LIMIT, tests=TESTS):
    """Each test in a process of its own: ([{name, file, milestone, outcome,
    message}], whether these are the kept results of an earlier run of the very
    same build and tests: the lesson's homework cell runs under nbval and in
    JupyterLab, and the same run gives the same results)."""
    results, kept = lib.parent / "results.json", lib.parent / "results-key"
    key = results_key(lib, time_limit)
    if tests == TESTS and results.exists() and kept.exists() and kept.read_text() == key:
        return json.loads(results.read_text()), True
    results.unlink(missing_ok=True)
    kept.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(lib), str(EXERCISES)]), PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "forked", "-p", "no:cacheprovider", "-q",
                          "--no-header", "--capture=no", "--time-limit", str(time_limit), "--results", str(results),
                          *map(str, tests)],
                         cwd=ROOT, env=env, capture_output=True, text=True, errors="replace")
    if not results.exists():
        raise RuntimeError("the tests did not start:\n" + run.stdout[-3000:] + run.stderr[-3000:])
    if tests == TESTS:
        kept.write_text(key)
    return json.loads(results.read_text()), False


def report(source, ok, output, results, everything=False, kept=False):
    lines = [f"make homework: your pb, built from extensions/pb/{source}"]
    if not ok:
        return "\n".join(lines + ["", "The build failed; the compiler said:", "", output, "",
                                  "Fix the first error above, then run make homework again."])
    warnings = [line for line in output.splitlines() if ": warning:" in line]
    lines += ([f"built, with {len(warnings)} compiler warning(s):", "", output, ""] if warnings
              else ["built without warnings"])
    if kept:
        lines.append("nothing changed since the last run: its results")
    unmarked = [r["name"] for r in results if r["milestone"] not in MILESTONES]
    if unmarked:
        raise RuntimeError(f"tests without a milestone marker: {unmarked}")
    by_milestone = {name: [r for r in results if r["milestone"] == name] for name in MILESTONES}
    failing = {name: [r for r in rs if r["outcome"] not in ("passed", "skipped")]
               for name, rs in by_milestone.items()}
    upcoming = next((name for name in MILESTONES if failing[name]), None)
    lines.append("")
    for number, (name, rs) in enumerate(by_milestone.items(), 1):
        passed = sum(r["outcome"] == "passed" for r in rs)
        run = sum(r["outcome"] != "skipped" for r in rs)     # a few tests exist only on some Pythons
        mark = "   <- next" if name == upcoming else ""
        lines.append(f"milestone {number}, {name + ':':<11} {passed:>2} of {run:>2} tests pass{mark}")
        lines.append(f"    ({MILESTONES[name]})")
    for name, rs in by_milestone.items():
        if not everything and name != upcoming:
            continue
        lines += ["", f"{name}:"]
        for r in rs:
            lines += result_lines(r, f"{r['file']}::{r['name']}")
    lines.append("")
    if upcoming is None:
        lines.append("every test of every milestone passes: the homework is done.")
    else:
        number = list(MILESTONES).index(upcoming) + 1
        lines.append(f"next: milestone {number}, {upcoming} ({len(failing[upcoming])} tests still fail)"
                     + ("" if everything else "; make homework ALL=1 lists every test"))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="homework/pb.c", help="the pb.c to build, inside extensions/pb")
    parser.add_argument("--all", action="store_true", help="every test's line, every milestone")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    args = parser.parse_args(argv)
    folder = ROOT / "build" / "homework" / ("homework" if args.source == "homework/pb.c" else "other")
    ok, output = build(args.source, folder)
    results, kept = run_tests(folder / "lib", args.time_limit) if ok else ([], False)
    print(report(args.source, ok, output, results, args.all, kept))
    return 0 if ok and all(r["outcome"] in ("passed", "skipped") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
