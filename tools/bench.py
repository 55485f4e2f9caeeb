"""make bench: run every lesson's benchmark and print one table.

Each extensions/NAME/bench.py defines

    def run(quick, measure) -> list of workloads, each a dict:
        {"workload": str, "baseline": variant name, "peer": variant name or None,
         "limit": optional variant name (a physical floor the lesson measures:
                  a copy, zlib alone, the SIMD kernel),
         "seconds": {variant name: seconds}, "items": optional count, for a rate column}

and checks every variant's answer before timing it. measure(fn) calls fn
repeatedly and returns the best time. All variants of a workload are measured
side by side in this one run, so their ratios are comparable; the times
themselves depend on this machine. --quick runs tiny sizes: it proves the
scripts work and says nothing about speed.

A script may also define

    def instructions(quick) -> {workload: {variant: instructions per item}}

the machine instructions the variant's C code executes per item, counted by
valgrind's callgrind (extensions/common/instruction_count.py); --instructions
(make bench INSTRUCTIONS=1) adds them as a column. Time per item divided by
instructions per item tells work that waits on memory from work that computes;
the counts are the same on every run, busy machine or not.

A row "near the limit" takes at most NEAR_LIMIT times the limit's time.

Besides the table on stdout, the run writes build/bench/report.md and
report.html with one chart (PNG) per workload, under a header naming the
machine, the Python build, the compiler, and how noisy the machine was (the
spread of a fixed loop timed repeatedly before and after the run).
"""
import argparse
import html
import importlib.util
import pathlib
import os
import platform
import re
import subprocess
import sys
import sysconfig
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
NEAR_LIMIT = 1.5


def make_measure(quick):
    def measure(fn, repeat=None, min_time=0.2):
        """Best of `repeat` calls (default: as many as fit in about a second, at least 3)."""
        best = float("inf")
        calls = 0
        start = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
            calls += 1
            if repeat is not None:
                if calls >= repeat:
                    return best
            elif calls >= 3 and (quick or time.perf_counter() - start > min_time + 1.0):
                return best
    return measure


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def load(path):
    spec = importlib.util.spec_from_file_location(f"bench_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python_build():
    config = sysconfig.get_config_var("CONFIG_ARGS") or ""
    build = ", ".join(flag for flag, name in (("--enable-optimizations", "PGO"), ("--with-lto", "LTO"))
                      if flag in config) or "no PGO/LTO"
    return f"{platform.python_implementation()} {platform.python_version()} ({build})"


def compiler():
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return f"{cc}: not found"


def spread_of_a_fixed_loop(runs=9):
    """How far the median of `runs` timings of a fixed pure-Python loop lies above
    the fastest: on a quiet machine a few percent; more means other work shared
    the CPU (the median, not the slowest run, so one interruption is not noise)."""
    times = []
    for run in range(runs + 1):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        if run:                    # the first run only warms up
            times.append(time.perf_counter() - start)
    times.sort()
    return (times[len(times) // 2] - times[0]) / times[0]


class Progress:
    """One line on stderr per benchmark script, growing a mark per measurement."""

    def __init__(self, measure):
        self.measure, self.label, self.count, self.start = measure, "", 0, 0.0

    def begin(self, label):
        self.label, self.count, self.start = label, 0, time.perf_counter()
        self.show()

    def show(self, end=""):
        bar = "#" * self.count
        print(f"\r{self.label:20} {bar:<24.24} {self.count:3} measured, "
              f"{time.perf_counter() - self.start:6.1f} s", end=end, file=sys.stderr, flush=True)

    def __call__(self, fn, *args, **kwargs):
        seconds = self.measure(fn, *args, **kwargs)
        self.count += 1
        self.show()
        return seconds

    def end(self):
        self.show(end="\n")


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def chart(result, path):
    """Horizontal bars of each variant's time, the baseline, peer and limit marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(result["seconds"])
    colours = ["tab:red" if n == result["baseline"] else "tab:green" if n == result.get("peer")
               else "tab:gray" if n == result.get("limit") else "tab:blue" for n in names]
    fig, axis = plt.subplots(figsize=(8, 0.45 * len(names) + 1.2))
    axis.barh(names, [result["seconds"][n] for n in names], color=colours)
    axis.set_xscale("log")
    axis.invert_yaxis()
    axis.set_xlabel("seconds (log scale): red baseline, green peer, gray physical limit")
    axis.set_title(result["workload"], fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def ratio(a, b):
    return "" if a is None or b is None else f"{a / b:.2f}"


def near_limit(result, variant):
    """Whether `variant` takes at most NEAR_LIMIT times the workload's limit's time."""
    limit = result.get("limit")
    return (limit is not None and variant != limit
            and result["seconds"][variant] <= NEAR_LIMIT * result["seconds"][limit])


def write_report(folder, header, results):
    folder.mkdir(parents=True, exist_ok=True)
    md = ["# Benchmark report", ""] + [f"- {line}" for line in header] + [""]
    page = ["<!doctype html><meta charset='utf-8'><title>Benchmark report</title>",
            "<style>body{font-family:sans-serif;max-width:70em;margin:auto}td,th{padding:2px 8px}"
            "td.n{text-align:right}table{border-collapse:collapse}tr:nth-child(even){background:#f4f4f4}</style>",
            "<h1>Benchmark report</h1><ul>"] + [f"<li>{html.escape(line)}</li>" for line in header] + ["</ul>"]
    columns = ["variant", "seconds", "items/s", "x vs baseline", "x vs peer", "x the limit's time",
               f"within {NEAR_LIMIT}x of the limit", "C instructions per item"]
    summary = ["## Summary", "", "| workload | fastest variant (the limit aside) | x vs baseline | x vs peer | "
               f"x the limit's time | rows within {NEAR_LIMIT}x of the limit |", "|---|---|---:|---:|---:|---|"]
    sections = []
    for result in results:
        seconds = result["seconds"]
        base, peer, limit = (seconds.get(result.get(k)) for k in ("baseline", "peer", "limit"))
        image = f"{slug(result['workload'])}.png"
        chart(result, folder / image)
        rows = []
        counts = result.get("instructions", {})
        for variant, t in seconds.items():
            rate = f"{result['items'] / t:,.0f}" if result.get("items") else ""
            count = f"{counts[variant]:.2f}" if variant in counts else ""
            rows.append([variant, f"{t:.4g}", rate, ratio(base, t), ratio(peer, t), ratio(t, limit),
                         "yes" if near_limit(result, variant) else "", count])
        fastest = min((v for v in seconds if v != result.get("limit")), key=seconds.get)
        near = [v for v in seconds if near_limit(result, v)]
        summary.append(f"| {result['workload']} | {fastest} | {ratio(base, seconds[fastest])} | "
                       f"{ratio(peer, seconds[fastest])} | {ratio(seconds[fastest], limit)} | "
                       f"{', '.join(near) if near else ('none' if limit else '-')} |")
        sections += [f"## {result['workload']}", "",
                     f"Baseline: {result['baseline']}; peer: {result.get('peer') or '-'}; "
                     f"limit: {result.get('limit') or '-'}.", "",
                     "| " + " | ".join(columns) + " |", "|---|" + "---:|" * (len(columns) - 1)]
        sections += ["| " + " | ".join(row) + " |" for row in rows]
        sections += ["", f"![{result['workload']}]({image})", ""]
        page += [f"<h2>{html.escape(result['workload'])}</h2>",
                 f"<p>Baseline: {html.escape(result['baseline'])}; peer: {html.escape(result.get('peer') or '-')}; "
                 f"limit: {html.escape(result.get('limit') or '-')}.</p>",
                 "<table><tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"]
        page += ["<tr>" + "".join(f"<td{' class=n' if i else ''}>{html.escape(c)}</td>" for i, c in enumerate(row))
                 + "</tr>" for row in rows]
        page += ["</table>", f"<p><img src='{image}' alt='{html.escape(result['workload'])}'></p>"]
    (folder / "report.md").write_text("\n".join(md + summary + [""] + sections) + "\n")
    (folder / "report.html").write_text("\n".join(page) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--report", default=str(ROOT / "build" / "bench"),
                        help="folder for report.md, report.html and the charts")
    parser.add_argument("--instructions", action="store_true",
                        help="also count each variant's C instructions per item with callgrind, where "
                             "its script says how (slow: valgrind runs the counted code ~50x slower)")
    parser.add_argument("only", nargs="*", help="extension names (default: all)")
    args = parser.parse_args()

    scripts = sorted(ROOT.glob("extensions/*/bench.py"))
    if args.only:
        scripts = [s for s in scripts if s.parent.name in args.only]
    progress = Progress(make_measure(args.quick))
    noise_before = spread_of_a_fixed_loop()
    results = []
    for script in scripts:
        progress.begin(script.parent.name)
        module = load(script)
        workloads = module.run(args.quick, progress)
        if args.instructions and hasattr(module, "instructions"):
            counts = module.instructions(args.quick)
            for result in workloads:
                result["instructions"] = counts.get(result["workload"], {})
        results += workloads
        progress.end()
    noise_after = spread_of_a_fixed_loop()
    noise = max(noise_before, noise_after)

    header = [f"{cpu_model()}, {os.cpu_count()} cores",
              f"Python: {python_build()}",
              f"compiler: {compiler()}",
              f"noise: a fixed loop's median over 9 runs was {noise_before:.0%} above its best before the run, "
              f"{noise_after:.0%} after"
              f" -- {'noisy: other work shared the CPU, rerun on a quiet machine' if noise > 0.10 else 'quiet'}"]
    if args.quick:
        header.append("quick run: sizes too small for the ratios to mean anything")
    print("# " + "; ".join(header))

    rows = []
    for result in results:
        seconds = result["seconds"]
        for variant, t in seconds.items():
            base = seconds[result["baseline"]] / t
            peer = seconds[result["peer"]] / t if result.get("peer") else None
            limit = t / seconds[result["limit"]] if result.get("limit") else None
            rate = f"{result['items'] / t:,.0f}" if result.get("items") else ""
            near = "yes" if near_limit(result, variant) else ""
            count = result.get("instructions", {}).get(variant)
            rows.append((result["workload"], variant, t, rate, base, peer, limit, near,
                         "" if count is None else f"{count:.2f}"))

    columns = ("workload", "variant", "seconds", "items/s", "x vs baseline", "x vs peer", "x limit's time",
               f"<= {NEAR_LIMIT}x limit") + (("C instr/item",) if args.instructions else ())
    table = [columns] + [(w, v, f"{t:.4f}", r, f"{b:.1f}", "" if p is None else f"{p:.2f}",
                          "" if l is None else f"{l:.2f}", n) + ((c,) if args.instructions else ())
                         for w, v, t, r, b, p, l, n, c in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) if j < 2 else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    folder = pathlib.Path(args.report)
    write_report(folder, header, results)
    print(f"report: {folder / 'report.md'} and report.html, {len(results)} charts", file=sys.stderr)


if __name__ == "__main__":
    main()
