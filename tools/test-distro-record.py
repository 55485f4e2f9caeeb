"""Write what a passing `make test-distro DIST=...` measured into the README.

The README's requirements section has a table with one row per Debian release,
between the markers below. tools/test-distro.sh runs this after `make test`
passed in the fresh system, so the times there are measured, never typed:

    python3 tools/test-distro-record.py DIST

It reads build/distro/DIST/make-test.log (the release's name on its first line,
build-s2's "built ... in N min N s" if S2 was built, bash's `time` at the end)
and asks the system in build/distro/DIST/root for its Python and GCC.
"""
import datetime
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
START = "<!-- test-distro: rows written by tools/test-distro-record.py after a passing run; do not edit by hand -->"
END = "<!-- end of test-distro -->"
HEADER = ["| release | its Python and compiler | `make test` on the fresh system, from nothing to passed | S2 |",
          "|---|---|---|---|"]


def measured_row(dist):
    top = ROOT / "build" / "distro" / dist
    log = (top / "make-test.log").read_text(errors="replace")
    release = log.splitlines()[0].strip()
    real = re.findall(r"^real\t(\d+)m([\d.]+)s$", log, re.M)
    if not real or "make: ***" in log:
        raise SystemExit(f"test-distro-record: {top / 'make-test.log'} is not a passing run")
    minutes, seconds = int(real[-1][0]), int(float(real[-1][1]))
    s2 = re.search(r"^build-s2: S2 (\S+) built into \S+ in (\d+) min (\d+) s$", log, re.M)
    s2_text = (f"S2 {s2.group(1)} built from Debian's source: {s2.group(2)} min {s2.group(3)} s"
               if s2 else "Debian's libs2-dev")

    def ask(*command):
        return subprocess.run(["chroot", str(top / "root"), *command],
                              capture_output=True, text=True, check=True).stdout.strip()

    python = ask("python3", "--version")
    gcc = "GCC " + ask("gcc", "-dumpfullversion")
    cores = ask("nproc")
    day = datetime.date.today().isoformat()
    return dist, (f"| {release} | {python}, {gcc} | {minutes} min {seconds:02d} s "
                  f"(measured {day}, {cores} cores) | {s2_text} |")


def readme_with_row(readme, dist, row):
    before, rest = readme.split(START, 1)
    table, after = rest.split(END, 1)
    rows = {}
    for line in table.strip().splitlines()[2:]:
        name = re.search(r"\((\w+)\)", line)
        rows[name.group(1) if name else line] = line
    rows[dist] = row
    ordered = [rows[name] for name in sorted(rows, key=lambda name: name != "trixie")]
    return "\n".join([before + START, *HEADER, *ordered, END + after])


if __name__ == "__main__":
    dist, row = measured_row(sys.argv[1])
    path = ROOT / "README.md"
    path.write_text(readme_with_row(path.read_text(), dist, row))
    print(f"test-distro-record: README.md: {row}")
