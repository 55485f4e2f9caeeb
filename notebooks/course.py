"""Small helpers shared by the lesson notebooks.

Timings are printed in one format, "<label>: 12.3 ms", and ratios as "4.2x";
tests/nbval-sanitize.cfg masks exactly these, so every other output of a
notebook is compared exactly by `make test`.
"""
import difflib
import html
import importlib.util
import pathlib
import re
import subprocess
import sys
import textwrap
import time

from IPython.display import Code
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

ROOT = pathlib.Path(__file__).resolve().parent.parent


LANGUAGES = {".c": "c", ".h": "c", ".py": "python", ".cpp": "cpp", ".hpp": "cpp",
             ".pyx": "cython", ".pxd": "cython", ".proto": "protobuf", ".lua": "lua",
             ".rs": "rust", ".toml": "toml"}


def cut_region(text, region):
    """The code between the lines `[region: NAME]` and `[end: NAME]`, dedented,
    and the numbers of its first and last lines. Marker lines of other regions
    nested inside are left out (bookkeeping for the lessons, not code), and so
    are blank lines at either end."""
    lines = text.splitlines()
    start_marker, end_marker = f"[region: {region}]", f"[end: {region}]"
    starts = [i for i, line in enumerate(lines) if start_marker in line]
    ends = [i for i, line in enumerate(lines) if end_marker in line]
    if len(starts) != 1 or len(ends) != 1 or ends[0] <= starts[0]:
        raise ValueError(f"region {region!r} must be marked exactly once, start before end "
                         f"(found {len(starts)} starts and {len(ends)} ends)")
    numbered = [(number, line) for number, line in enumerate(lines[starts[0] + 1:ends[0]], starts[0] + 2)
                if not re.search(r"\[(region|end): [^\]]+\]", line)]
    while numbered and not numbered[0][1].strip():
        numbered.pop(0)
    while numbered and not numbered[-1][1].strip():
        numbered.pop()
    if not numbered:
        raise ValueError(f"region {region!r} is empty")
    code = textwrap.dedent("\n".join(line for _, line in numbered))
    return code, numbered[0][0], numbered[-1][0]


class Listing:
    """A file of the repository, or one marked region of it, shown with its
    path and line numbers so a reader can find it; the code shown is the code
    built."""

    def __init__(self, path, region=None, language=None, new_since=None):
        text = (ROOT / path).read_text()
        self.new_lines, self.note = [], ""
        if new_since is not None:
            if region is not None:
                raise ValueError("new_since compares whole files: give no region")
            def lines_of(file_path, file_text):
                # a step's own name (person2_members, and person2 in person2_exec)
                # is not new: compare with the names made alike
                stem = pathlib.Path(file_path).stem
                for name in (stem, stem.split("_")[0]):
                    file_text = file_text.replace(name, "<module>")
                return file_text.rstrip("\n").splitlines()
            before = lines_of(new_since, (ROOT / new_since).read_text())
            after = lines_of(path, text)
            matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
            self.new_lines = [number + 1 for tag, _, _, first, last in matcher.get_opcodes()
                              if tag in ("insert", "replace") for number in range(first, last)]
            self.note = f" (highlighted: the {len(self.new_lines)} lines not in {pathlib.Path(new_since).name})"
        if region is None:
            self.code = text.rstrip("\n")
            self.where = f"{path}"
        elif isinstance(region, tuple):
            # a generated file has no region markers, and its line numbers
            # change with the generator's version: the lines from the first
            # one containing region[0] to the next one containing region[1]
            lines = text.splitlines()
            first = next(i for i, line in enumerate(lines) if region[0] in line)
            last = next(i for i in range(first, len(lines)) if region[1] in lines[i])
            while lines[last].endswith("\\") and last + 1 < len(lines):
                last += 1                   # a macro's continuation lines
            self.code = "\n".join(lines[first:last + 1])
            self.where = f"{path}, from `{region[0]}` to `{region[1]}`"
        else:
            self.code, first, last = cut_region(text, region)
            self.where = f"{path}, lines {first}-{last}"
        if not self.code.strip():
            raise ValueError(f"{path} shows nothing")
        self.language = language or LANGUAGES.get(pathlib.Path(path).suffix, "text")

    def _repr_html_(self):
        if self.new_lines:
            formatter = HtmlFormatter(hl_lines=self.new_lines)
            style = f"<style>{formatter.get_style_defs('.output_html')}</style>"
            code = style + highlight(self.code, get_lexer_by_name(self.language), formatter)
        else:
            code = Code(self.code, language=self.language)._repr_html_()
        return (f'<div class="course-listing"><p><code>{html.escape(self.where)}</code>'
                f'{html.escape(self.note)}</p>{code}</div>')

    def __repr__(self):
        return f"# {self.where}\n{self.code}"


def show_source(path, region=None, language=None, new_since=None):
    """Display a file of the repository, or the part of it between the lines
    `[region: NAME]` and `[end: NAME]`, or, for region=(FIRST, LAST), from the
    line containing FIRST to the next line containing LAST. With new_since=PATH
    (a whole file only), the lines that are not in PATH are highlighted: what a
    step adds to the step before it."""
    return Listing(path, region, language, new_since)


def best_time(fn, repeat=3):
    """The best of `repeat` calls of fn(), in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def format_time(seconds):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def report(label, seconds):
    print(f"{label}: {format_time(seconds)}")


# [region: bytes-still-held]
def bytes_still_held(work, calls, warm_up=1, rounds=3):
    """Bytes of Python's memory still allocated after `calls` more calls of
    work() (a function of no arguments), after `warm_up` calls first (what a
    first call allocates once, a cache, is no leak). tracemalloc attributes each
    allocation to the Python line running when it was made, also one made
    inside a C function that line called; only the lines of work's own file (a
    notebook cell) count, so the kernel's own background threads do not.
    A leak shows in every round; the smallest of `rounds` rounds is returned,
    because now and then another thread of the kernel takes over and keeps an
    object the calls freed into CPython's free lists (memory kept for reuse)."""
    import gc
    import tracemalloc
    for _ in range(warm_up):
        work()
    here = [tracemalloc.Filter(True, work.__code__.co_filename)]
    held = []
    for _ in range(rounds):
        gc.collect()    # a full collection also empties the free lists
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            for _ in range(calls):
                work()
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        changes = after.filter_traces(here).compare_to(before.filter_traces(here), "filename")
        held.append(sum(change.size_diff for change in changes))
    return min(held)
# [end: bytes-still-held]


def section_sizes(path):
    """{section name: size in bytes} of a compiled library (`.text` is its machine
    code, `.debug_*` its debug information), from the table `size -A` prints."""
    table = subprocess.run(["size", "-A", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return {line.split()[0]: int(line.split()[1]) for line in table if line.startswith(".")}


def _checker():
    """exercises/checker.py, loaded once (it is a script, not a package)."""
    if "course_checker" not in sys.modules:
        spec = importlib.util.spec_from_file_location("course_checker", ROOT / "exercises" / "checker.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["course_checker"] = module
        spec.loader.exec_module(module)
    return sys.modules["course_checker"]


class Exercise:
    """An exercise of exercises/NAME: shown, its statement; .check() builds the
    student's copy and runs its tests, one line per test (as `make exercise`)."""

    def __init__(self, name):
        self.exercise = _checker().find(name)

    def _repr_markdown_(self):
        statement = (self.exercise.folder / "README.md").read_text()
        return f"**Exercise `{self.exercise.name}`** · folder `exercises/{self.exercise.name}/`\n\n" + \
            re.sub(r"^# ", "### ", statement, count=1)

    def __repr__(self):
        return f"Exercise {self.exercise.name}: {self.exercise.title}"

    def check(self):
        print(_checker().check(self.exercise.name).report())


# [region: in-subprocess]
def in_subprocess(code):
    """Run Python code in a child interpreter, where a crash ends the child and
    not the kernel: what it printed, and its exit code or the signal that
    killed it."""
    import signal
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    printed = " ".join(finished.stdout.split())
    if finished.returncode < 0:
        return f"printed {printed!r}, then killed by {signal.Signals(-finished.returncode).name}"
    return f"printed {printed!r}, exit code {finished.returncode}"
# [end: in-subprocess]
