"""A pytest plugin that runs every test in a child process of its own, with a
time limit, so that student code which crashes or never returns fails the one
test that ran it and the others still run and report.

    python -m pytest -p forked --time-limit 10 --results results.json tests/

The child is a fork(): it starts with the test already collected and the
student's module already imported, so isolating a test costs about a
millisecond. A child killed by a signal (a segmentation fault, an abort) is
reported with the signal's name; one still running after --time-limit seconds
is killed and reported as timed out. --results writes one JSON record per test
({"name", "outcome", "message"}) for exercises/checker.py to print.

(pytest-forked does the first half of this; a time limit that works while C
code holds the GIL needs the parent to do the waiting, as here.)
"""
import faulthandler
import json
import os
import re
import select
import signal
import tempfile
import time

import pytest
from _pytest.runner import runtestprotocol

_results = []


def pytest_addoption(parser):
    group = parser.getgroup("forked", "each test in a child process with a time limit")
    group.addoption("--time-limit", type=float, default=10.0,
                    help="seconds a test may run before its process is killed (default 10)")
    group.addoption("--results", default=None, help="write each test's outcome to this JSON file")


def _run_child(item, write_end, crash_log):
    """In the child: run the test's setup, call and teardown, send the reports."""
    # A crash in C code: what the process printed last (with --capture=no, the
    # test's output goes here too: "terminate called after throwing ...") and
    # faulthandler's Python stack go to crash_log, which the parent quotes.
    os.dup2(crash_log.fileno(), 1)
    os.dup2(crash_log.fileno(), 2)
    faulthandler.enable(file=crash_log)
    status = 0
    try:
        reports = runtestprotocol(item, log=False, nextitem=None)
        payload = json.dumps([item.config.hook.pytest_report_to_serializable(
            config=item.config, report=report) for report in reports]).encode()
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    except BaseException:       # noqa: BLE001 - nothing may escape a forked child
        status = 1
    finally:
        os._exit(status)        # never run the parent's cleanup (atexit, pytest's own)


def _signal_name(number):
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    description = signal.strsignal(number) or ""
    return f"{name} ({description.lower()})" if description else name


def _test_frames(stack, root):
    """The frames of faulthandler's stack (innermost first) in the files under
    test (the tests, and Python code they call) below ROOT, innermost last, as
    "tests/test_x.py, line 12, in test_y"; not those of installed packages."""
    frames = []
    for match in re.finditer(r'File "([^"]+)", line (\d+) in (\S+)', stack):
        path, line, function = match.groups()
        relative = os.path.relpath(path, root)
        if os.path.isabs(path) and path != os.path.abspath(__file__) and not relative.startswith("..") and not {"site-packages", ".venv"} & set(relative.split(os.sep)):
            frames.append(f"{relative}, line {line}, in {function}")
    return frames[::-1]


def _failed_report(item, when, message):
    report = pytest.TestReport(item.nodeid, item.location, {}, "failed", message, when, [], 0.0)
    return report


def _run_forked(item):
    marker = item.get_closest_marker("time_limit")
    limit = marker.args[0] if marker else item.config.getoption("time_limit")
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as crash_log:
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _run_child(item, write_end, crash_log)
        os.close(write_end)
        chunks, deadline, timed_out = [], time.monotonic() + limit, False
        with os.fdopen(read_end, "rb") as pipe:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select([pipe], [], [], left)
                if not ready:
                    continue
                chunk = os.read(pipe.fileno(), 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        crash_log.seek(0)
        stack = crash_log.read().decode(errors="replace")

    if timed_out:
        return [_failed_report(item, "call", f"timed out: no result after {limit:g} s "
                                             "(the test's process was killed)")]
    if os.WIFSIGNALED(status):
        message = f"crashed: the test's process was killed by {_signal_name(os.WTERMSIG(status))}"
        printed = stack.split("Fatal Python error")[0].strip().splitlines()[-4:]
        if printed:
            message += "\nit printed last:\n  " + "\n  ".join(printed)
        where = _test_frames(stack, str(item.config.rootpath))
        if where:
            message += "\nthe test's code running at the crash, innermost last:\n  " + "\n  ".join(where)
        return [_failed_report(item, "call", message)]
    if not chunks or os.WEXITSTATUS(status) != 0:
        return [_failed_report(item, "call", f"the test's process exited with status "
                                             f"{os.WEXITSTATUS(status)} before reporting")]
    return [item.config.hook.pytest_report_from_serializable(config=item.config, data=data)
            for data in json.loads(b"".join(chunks))]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    reports = _run_forked(item)
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    _results.append(_summary(item, reports))
    return True


def _summary(item, reports):
    """One record: the test's name (and its file, and its milestone if it is
    marked with one), its outcome, and the first lines of why."""
    marker = item.get_closest_marker("milestone")
    record = {"name": item.name, "file": item.path.name, "milestone": marker.args[0] if marker else None}
    record.update(_outcome(reports))
    return record


def _outcome(reports):
    failed = [report for report in reports if report.failed]
    if not failed:
        skipped = [report for report in reports if report.skipped]
        return {"outcome": "skipped" if skipped else "passed", "message": ""}
    report = failed[0]
    text = report.longreprtext if not isinstance(report.longrepr, str) else report.longrepr
    if text.startswith("crashed:"):
        outcome = "crashed"
    elif text.startswith("timed out:"):
        outcome = "timed out"
    else:
        outcome = "failed" if report.when == "call" else "error"
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            text = crash.message
    return {"outcome": outcome, "message": text.strip()}


def pytest_sessionfinish(session):
    path = session.config.getoption("results")
    if path:
        with open(path, "w") as out:
            json.dump(_results, out, indent=1)
