"""make bench: run every lesson's benchmark and print one table.

Each extensions/NAME/bench.py defines

    def run(quick, measure) -> list of workloads, each a dict:
        {"workload": str, "baseline": variant name, "peer": variant name or None,
         "seconds": {variant name: seconds}, "items": optional count, for a rate column}

and checks every variant's answer before timing it. measure(fn) calls fn
repeatedly and returns the best time. All variants of a workload are measured
side by side in this one run, so their ratios are comparable; the times
themselves depend on this machine. --quick runs tiny sizes: it proves the
scripts work and says nothing about speed.
"""
import argparse
import importlib.util
import pathlib
import os
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("only", nargs="*", help="extension names (default: all)")
    args = parser.parse_args()

    scripts = sorted(ROOT.glob("extensions/*/bench.py"))
    if args.only:
        scripts = [s for s in scripts if s.parent.name in args.only]
    measure = make_measure(args.quick)
    print(f"# {cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}"
          f"{' (quick run: sizes too small for the ratios to mean anything)' if args.quick else ''}")
    rows = []
    for script in scripts:
        print(f"running {script.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
        for result in load(script).run(args.quick, measure):
            seconds = result["seconds"]
            for variant, t in seconds.items():
                base = seconds[result["baseline"]] / t
                peer = seconds[result["peer"]] / t if result.get("peer") else None
                rate = f"{result['items'] / t:,.0f}" if result.get("items") else ""
                rows.append((result["workload"], variant, t, rate, base, peer))

    header = ("workload", "variant", "seconds", "items/s", "x vs baseline", "x vs peer")
    table = [header] + [(w, v, f"{t:.4f}", r, f"{b:.1f}", "" if p is None else f"{p:.2f}")
                        for w, v, t, r, b, p in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) if j < 2 else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
