"""Build an exercise and run its tests, one process per test; list every
exercise with its state.

    python exercises/checker.py check NAME            your copy (exercises/NAME)
    python exercises/checker.py check NAME --solution the reference solution
    python exercises/checker.py check NAME --stub     the stub as committed (git)
    python exercises/checker.py list                  every exercise and its state
    python exercises/checker.py prepare NAME --solution   build only; print the folder

`make exercise NAME=...` and `make exercises` call this, and so does the check
cell at the end of each lesson (course.Exercise). An exercise is a folder
exercises/NN-name/ (NN: the lesson) holding:
    README.md      the statement: its first line is the title
    setup.py       builds the module
    *.c, *.pyx...  the stub: the files a student edits
    tests/         the tests that say when it is done
    solution/      the reference solution: the same files as the stub, finished

Nothing is built inside exercises/: each variant (your copy, the solution, the
stub) is copied to build/exercises/NAME/VARIANT and built there, and built
again only when a file it is built from changed. The build shows the
compiler's warnings but does not fail on them: the tests decide.
"""
import argparse
import dataclasses
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig

EXERCISES = pathlib.Path(__file__).resolve().parent
ROOT = EXERCISES.parent
BUILD = ROOT / "build" / "exercises"
TIME_LIMIT = 10.0       # seconds per test; a student's endless loop is killed after it

PYTEST_INI = """\
# Written by exercises/checker.py: the tests of this copy, alone.
[pytest]
addopts = -p no:cacheprovider --import-mode=importlib
filterwarnings = error
markers =
    time_limit(seconds): a longer time limit than the default for this test
"""


@dataclasses.dataclass
class Exercise:
    name: str

    @property
    def folder(self):
        return EXERCISES / self.name

    @property
    def lesson(self):
        return self.name[:2]

    @property
    def title(self):
        return (self.folder / "README.md").read_text().splitlines()[0].lstrip("# ").strip()

    @property
    def student_files(self):
        """The files a student edits: those the solution finishes."""
        solution = self.folder / "solution"
        return sorted(str(p.relative_to(solution)) for p in solution.rglob("*") if p.is_file())

    def sources(self, variant):
        """{relative path: bytes} of what VARIANT is built and tested from."""
        files = {}
        for path in sorted(self.folder.rglob("*")):
            relative = path.relative_to(self.folder)
            if (path.is_file() and relative.parts[0] != "solution" and "__pycache__" not in relative.parts
                    and path.suffix not in (".so", ".o")):
                files[str(relative)] = path.read_bytes()
        if variant == "solution":
            for name in self.student_files:
                files[name] = (self.folder / "solution" / name).read_bytes()
        elif variant == "stub":
            for name in self.student_files:
                files[name] = committed(self.folder / name)
        elif variant != "work":
            raise ValueError(f"unknown variant {variant!r}")
        return files

    def started(self):
        """False while every file a student edits is as committed (git)."""
        try:
            return any((self.folder / name).read_bytes() != committed(self.folder / name)
                       for name in self.student_files)
        except (OSError, subprocess.CalledProcessError):
            return True     # not a git checkout: say nothing about it


def committed(path):
    """A file's content as committed in HEAD."""
    relative = path.resolve().relative_to(ROOT)
    return subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{relative.as_posix()}"],
                          capture_output=True, check=True).stdout


LEVELS = ("easy", "medium", "harder")      # the second field of a statement's third line


def level(exercise):
    """0, 1 or 2 for an easy, medium or harder exercise (its README says which)."""
    words = (exercise.folder / "README.md").read_text().splitlines()[2].split(" · ")
    return LEVELS.index(words[1]) if len(words) > 1 and words[1] in LEVELS else len(LEVELS)


def all_exercises():
    """Every exercise, lesson by lesson, easy to hard within a lesson."""
    found = [Exercise(p.name) for p in sorted(EXERCISES.iterdir())
             if p.is_dir() and p.name[:2].isdigit() and (p / "README.md").exists()]
    return sorted(found, key=lambda e: (e.lesson, level(e), e.name))


def find(name):
    names = [e.name for e in all_exercises()]
    if name not in names:
        raise SystemExit(f"no exercise named {name!r}; the exercises are:\n  " + "\n  ".join(names))
    return Exercise(name)


@dataclasses.dataclass
class Build:
    folder: pathlib.Path
    ok: bool
    output: str         # what the compiler printed (warnings, or the errors)

    @property
    def warnings(self):
        return [line for line in self.output.splitlines() if ": warning:" in line]


def build(exercise, variant, files=None):
    """Copy VARIANT to build/exercises/NAME/VARIANT and build it there, unless
    that copy was already built from the same files. FILES ({relative path:
    bytes}) replaces the variant's own files (tests/test_exercises.py plants
    a crash with it)."""
    files = exercise.sources(variant) if files is None else files
    env = os.environ
    digest = hashlib.sha256()
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    for setting in ("CFLAGS", "LDFLAGS"):
        digest.update(f"{setting}={env.get(setting, '')}".encode())
    digest.update(sys.version.encode() + sysconfig.get_config_var("CC").encode())
    key = digest.hexdigest()
    folder = BUILD / exercise.name / variant
    stamp = folder / ".built"
    if stamp.exists():
        kept = json.loads(stamp.read_text())
        if kept["key"] == key:
            return Build(folder, kept["ok"], kept["output"])
    shutil.rmtree(folder, ignore_errors=True)
    # The same files built as another variant (your untouched copy is the stub):
    # take that build rather than compile again.
    for other in sorted((BUILD / exercise.name).glob("*/.built")):
        kept = json.loads(other.read_text())
        if kept["key"] == key:
            shutil.copytree(other.parent, folder, symlinks=True)
            return Build(folder, kept["ok"], kept["output"])
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "pytest.ini").write_text(PYTEST_INI)
    result = subprocess.run([sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"],
                            cwd=folder, env=env, capture_output=True, text=True, errors="replace")
    output = compiler_output(result)
    stamp.write_text(json.dumps({"key": key, "ok": result.returncode == 0, "output": output}))
    return Build(folder, result.returncode == 0, output)


def compiler_output(result):
    """What a setup.py build printed: the compiler's messages, without
    setuptools' own last line repeating its command line."""
    output = "\n".join(part.strip("\n") for part in (result.stdout, result.stderr) if part.strip())
    return re.sub(r"(?m)^error: [Cc]ommand .*(failed with exit code|returned non-zero exit status).*\n?",
                  "", output).strip("\n")


def result_lines(result, name):
    """A test's line in a report (its outcome, NAME) and up to six lines of why."""
    label = {"passed": "PASS", "failed": "FAIL", "error": "FAIL", "crashed": "CRASH",
             "timed out": "TIME", "skipped": "SKIP"}[result["outcome"]]
    return [f"  {label:<5} {name}", *(" " * 8 + line for line in result["message"].splitlines()[:6])]


def results_key(folder, time_limit):
    """What a test run's results depend on: the files built and tested (the
    build's key), the time limit, and the runner itself."""
    digest = hashlib.sha256(json.loads((folder / ".built").read_text())["key"].encode())
    digest.update(f"{time_limit}".encode() + (EXERCISES / "forked.py").read_bytes() + PYTEST_INI.encode())
    return digest.hexdigest()


def run_tests(folder, time_limit=TIME_LIMIT):
    """Each test of the built copy in a process of its own: ([{name, outcome,
    message}], whether these are the kept results of an earlier run of the very
    same files). Running the same tests on the same build again gives the same
    results: a lesson's check cell, run by nbval and in JupyterLab, and the
    stub's check in tests/test_exercises.py run them once between them."""
    results, kept = folder / ".results.json", folder / ".results-key"
    key = results_key(folder, time_limit)
    if results.exists() and kept.exists() and kept.read_text() == key:
        return json.loads(results.read_text()), True
    results.unlink(missing_ok=True)
    kept.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), str(EXERCISES)]),
               PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "forked", "-q", "--no-header", "--capture=no",
                          "--time-limit", str(time_limit), "--results", str(results), "tests"],
                         cwd=folder, env=env, capture_output=True, text=True, errors="replace")
    if not results.exists():    # pytest stopped before running a test: an import error, ...
        raise TestsDidNotRun(run.stdout + run.stderr)
    kept.write_text(key)
    return json.loads(results.read_text()), False


class TestsDidNotRun(Exception):
    pass


@dataclasses.dataclass
class Check:
    exercise: Exercise
    variant: str
    build: Build
    results: list = dataclasses.field(default_factory=list)
    problem: str = ""   # the tests could not run: why
    kept: bool = False  # the results of an earlier run of these same files

    @property
    def passed(self):
        return sum(r["outcome"] == "passed" for r in self.results)

    @property
    def done(self):
        return self.build.ok and not self.problem and self.results and self.passed == len(self.results)

    def report(self):
        """The report a student reads: the build, then one line per test."""
        what = {"work": "your copy", "solution": "the reference solution",
                "stub": "the stub as committed"}.get(self.variant, self.variant)
        lines = [f"{self.exercise.name}: {what}"]
        if not self.build.ok:
            lines += ["", "The build failed; the compiler said:", "", self.build.output, "",
                      "Fix the first error above, then check again."]
            return "\n".join(lines)
        if self.build.warnings:
            lines += [f"built, with {len(self.build.warnings)} compiler warning(s):", "",
                      self.build.output, ""]
        else:
            lines.append("built without warnings")
        if self.problem:
            lines += ["the tests could not start:", self.problem]
            return "\n".join(lines)
        if self.kept:
            lines.append("nothing changed since the last check: its results")
        for r in self.results:
            lines += result_lines(r, r["name"])
        total = len(self.results)
        if self.done:
            lines.append(f"all {total} tests pass: done")
        else:
            lines.append(f"{self.passed} of {total} tests pass")
        return "\n".join(lines)


def check(name, variant="work", time_limit=TIME_LIMIT, files=None):
    """Build NAME's VARIANT ("work": exercises/NAME as it is now, "solution",
    "stub": as committed) and run its tests."""
    exercise = find(name)
    built = build(exercise, variant, files)
    result = Check(exercise, variant, built)
    if built.ok:
        try:
            result.results, result.kept = run_tests(built.folder, time_limit)
        except TestsDidNotRun as error:
            result.problem = str(error).strip()
    return result


def state(exercise):
    """'not started', 'failing N of M', 'does not build' or 'passing'."""
    if not exercise.started():
        return "not started"
    result = check(exercise.name)
    if not result.build.ok:
        return "does not build"
    if result.problem:
        return "tests do not start"
    if result.done:
        return "passing"
    return f"failing {len(result.results) - result.passed} of {len(result.results)}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("check", "prepare"):
        sub = commands.add_parser(command)
        sub.add_argument("name")
        variants = sub.add_mutually_exclusive_group()
        variants.add_argument("--solution", action="store_const", dest="variant", const="solution")
        variants.add_argument("--stub", action="store_const", dest="variant", const="stub")
        sub.set_defaults(variant="work")
    commands.add_parser("list")
    args = parser.parse_args(argv)

    if args.command == "list":
        rows = [(e.name, e.lesson, state(e), e.title) for e in all_exercises()]
        width = max(len(r[0]) for r in rows)
        print(f"{'exercise':<{width}}  lesson  {'state':<16}  title")
        for name, lesson, now, title in rows:
            print(f"{name:<{width}}  {lesson:<6}  {now:<16}  {title}")
        print("\nmake exercise NAME=<exercise> builds one and runs its tests; its statement is "
              "exercises/<exercise>/README.md")
        return 0
    if args.command == "prepare":
        built = build(find(args.name), args.variant)
        if not built.ok:
            print(built.output, file=sys.stderr)
            return 1
        print(built.folder)
        return 0
    result = check(args.name, args.variant)
    print(result.report())
    return 0 if result.done else 1


if __name__ == "__main__":
    sys.exit(main())
