"""Every lesson as a student meets it: in JupyterLab, in a real browser.

A notebook can pass nbval and still be broken in the Lab (the course kernel not
selected, a figure or an annotation that does not render, a path that works
only from the repository root). This module starts JupyterLab on a free
loopback port with a random token, drives Debian's Chromium headless through
Playwright, and for every notebook: opens it and checks the course kernel is
the one selected. The lessons of LAB_RUN (default: 00 and 11; LAB_RUN=all for
every lesson, as `make test-lab` does) are cleared and run, all cells, and the
run waited for; the others are checked as stored, which is what a student who
opens them sees first (nbval has already run each of them in the same kernel,
from the same folder). Then it checks what the Lab shows:
  - no error output, except in cells tagged `raises-exception`;
  - in a lesson run here, every text output equal to the stored one, after the
    same masking nbval applies (tests/nbval-sanitize.cfg), cells nbval does not
    compare aside (read by nbval's own functions: NBVAL_IGNORE_OUTPUT alone on a
    comment line, its tag, NBVAL_SKIP);
  - every figure rendered as a loaded image, every Cython annotation rendered;
  - every code listing (course.show_source) rendered with its code, as many
    listings as the notebook shows, and no output box that shows nothing;
  - a screenshot in build/screenshots/ of the lesson's start, and one of its
    first code listing.
The JavaScript it runs in the page is in tests/browser/, one program a file.
Two lessons run at a time, each in its own browser window. JupyterLab is stopped
by its pid at the end, also on failure; the notebooks on disk are not changed
(autosave is off, and the test checks it).
"""
import configparser
import functools
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest
from nbval.plugin import find_comment_markers, find_metadata_tags

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(name for name in os.listdir(os.path.join(ROOT, "notebooks"))
                   if re.match(r"\d\d-.*\.ipynb$", name)
                   and os.environ.get("LAB_ONLY", "") in name)   # LAB_ONLY=04: one lesson
CHROMIUM = "/usr/bin/chromium"

def makefile_variable(name):
    """A `NAME := value` line of the Makefile: the kernel is named in one place."""
    with open(os.path.join(ROOT, "Makefile")) as makefile:
        return re.search(rf"^{name} := (.+)$", makefile.read(), re.M).group(1).strip()


KERNEL, KERNEL_DISPLAY = makefile_variable("KERNEL"), makefile_variable("KERNEL_DISPLAY")
SCREENSHOTS = os.path.join(ROOT, "build", "screenshots")
PARALLEL = 2
# Run live in the Lab: each costs its run time again after nbval's run (every
# lesson: 321 s, with the builds done). 00 is the first a student runs; 11, the
# newest, builds wheels and virtualenvs from the kernel, and runs in a third of
# 01's time (which was run here until 2026-12). The others are rendered as stored.
LAB_RUN = os.environ.get("LAB_RUN", "00 11").split()


def runs_live(name):
    return LAB_RUN == ["all"] or name[:2] in LAB_RUN
TIMEOUT_PER_NOTEBOOK = 900   # seconds


def browser_missing():
    """Why the check cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} not found: install Debian's package chromium (make setup does, as root)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing: run make setup"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser check cannot run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox"] if os.geteuid() == 0 else [])
        try:
            yield chromium
        finally:
            chromium.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(folder):
    """User settings for this Lab only: no news or update popups, no autosave
    (the run must not rewrite the lessons), every cell in the DOM."""
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, values in settings.items():
        path = os.path.join(folder, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(values, f)


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab serving notebooks/, started for this module and stopped by its pid."""
    state = tmp_path_factory.mktemp("lab")
    write_settings(state / "settings")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"))
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={os.path.join(ROOT, 'notebooks')}",
               "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(state / "lab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start: see {state / 'lab.log'}")
                time.sleep(0.5)
        yield url, token
    finally:
        # SIGTERM: the server shuts its kernels down and exits; then make sure.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


# ---- what the Lab shows, read through the application object ----

@functools.cache
def javascript(name):
    """The program tests/browser/<name>.js, read once: an arrow function, which
    page.evaluate() and page.wait_for_function() call in the page (a `//` comment
    before it, saying what it does and returns, is part of what they evaluate)."""
    with open(os.path.join(ROOT, "tests", "browser", f"{name}.js")) as program:
        return program.read()


def sanitizers():
    config = configparser.ConfigParser(interpolation=None)
    config.read(os.path.join(ROOT, "tests", "nbval-sanitize.cfg"))
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def text_outputs(cell, masks):
    """What nbval compares, reduced to text: streams joined by name, then the
    text/plain of results and displays, each masked."""
    streams, texts = {}, []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + "".join(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            texts.append("".join(output.get("data", {}).get("text/plain", "")))
    def masked(text):
        # before the stream's name is put in front: a mask anchored at the start
        # of a line ("^OK   ...") must see the output's first line as nbval does
        for regex, replace in masks:
            text = regex.sub(replace, text)
        return text
    return [f"{name}: {masked(text)}" for name, text in sorted(streams.items())] + [masked(t) for t in texts]


def run_notebooks(browser, url, token):
    """Run every notebook, PARALLEL at a time; return {name: result or exception}."""
    pending, active, results = list(NOTEBOOKS), {}, {}
    os.makedirs(SCREENSHOTS, exist_ok=True)
    while pending or active:
        while pending and len(active) < PARALLEL:
            name = pending.pop(0)
            # A context (a window) per lesson: tabs of one window in the
            # background stop rendering, and the Lab with them.
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(120_000)
            try:
                # ?reset: a fresh workspace, so the Lab does not reopen (and start
                # kernels for) the lessons of earlier pages
                page.goto(f"{url}/lab?reset&token={token}")
                page.wait_for_function(javascript("lab_ready"))
                kernel = page.evaluate(javascript("open"), [name, runs_live(name)])
                if runs_live(name):
                    page.evaluate(javascript("run_all"))
                active[name] = (page, kernel, time.monotonic())
            except Exception as error:          # reported by the test of this notebook
                results[name] = error
                page.context.close()
        time.sleep(1)
        for name, (page, kernel, started) in list(active.items()):
            try:
                progress = page.evaluate(javascript("progress"))
                finished = progress["ran"] is not None and progress["status"] == "idle"
                if not finished:
                    if time.monotonic() - started > TIMEOUT_PER_NOTEBOOK:
                        raise TimeoutError(f"{name}: not finished after {TIMEOUT_PER_NOTEBOOK} s: {progress}")
                    continue
                page.wait_for_timeout(500)          # let the last outputs render
                result = page.evaluate(javascript("result"))
                page.evaluate(javascript("collapse_left"))
                if page.evaluate(javascript("to_listing")):
                    page.wait_for_timeout(300)
                    page.screenshot(path=os.path.join(SCREENSHOTS, name.replace(".ipynb", "-listing.png")))
                page.evaluate(javascript("to_top"))
                result.update(kernel=kernel, seconds=time.monotonic() - started, progress=progress)
                page.screenshot(path=os.path.join(SCREENSHOTS, name.replace(".ipynb", ".png")))
                results[name] = result
                page.evaluate(javascript("shutdown"))
            except Exception as error:
                results[name] = error
            del active[name]
            page.context.close()
    return results


def digest_notebooks():
    digest = hashlib.sha256()
    for name in NOTEBOOKS:
        with open(os.path.join(ROOT, "notebooks", name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def lab_results(browser, lab):
    before = digest_notebooks()
    start = time.monotonic()
    results = run_notebooks(browser, *lab)
    print(f"\nbrowser check: {len(NOTEBOOKS)} notebooks in {time.monotonic() - start:.0f} s "
          f"(screenshots in {os.path.relpath(SCREENSHOTS, ROOT)}/)")
    results["__unchanged__"] = digest_notebooks() == before
    return results


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_lesson_runs_in_jupyterlab(lab_results, name):
    result = lab_results[name]
    if isinstance(result, Exception):
        raise result
    assert result["kernel"] == {"kernel": KERNEL, "display": KERNEL_DISPLAY}
    ran = nbformat.from_dict(result["notebook"])
    stored = nbformat.read(os.path.join(ROOT, "notebooks", name), as_version=4)

    # No errors, except where a cell says it raises.
    for cell in ran.cells:
        if cell.cell_type == "code" and "raises-exception" not in cell.metadata.get("tags", []):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{name}: error in cell\n{cell.source[:300]}\n{errors[0].ename}: {errors[0].evalue}"
    assert result["progress"]["ran"] == ("ok" if runs_live(name) else "stored")
    assert result["progress"]["done"] == result["progress"]["code"] and result["progress"]["prompts"] == 0

    stored_code = [c for c in stored.cells if c.cell_type == "code"]
    ran_code = [c for c in ran.cells if c.cell_type == "code"]

    # Every code listing shows code, and there are as many as the lesson stores.
    listings = sum("course-listing" in o.get("data", {}).get("text/html", "")
                   for c in stored_code for o in c.outputs)
    assert len(result["listings"]) == listings, f"{name}: {len(result['listings'])} listings rendered, {listings} stored"
    assert all(result["listings"]), f"{name}: empty code listings rendered: {result['listings']}"
    assert not result["blank"], f"{name}: output boxes that show nothing, below cells: {result['blank']}"

    # The same text as the stored outputs, masked as nbval masks them.
    masks = sanitizers()
    assert len(ran_code) == len(stored_code)
    if runs_live(name):             # (as stored, the Lab shows the stored text itself)
        for mine, theirs in zip(ran_code, stored_code):
            if not nbval_compares(theirs):
                continue
            assert text_outputs(mine, masks) == text_outputs(theirs, masks), \
                f"{name}: output differs in the Lab for cell\n{theirs.source[:300]}"

    # Figures are images the browser loaded; Cython annotations are rendered HTML.
    figures = sum("image/png" in o.get("data", {}) for c in stored_code for o in c.outputs)
    annotations = sum("Generated by Cython" in o.get("data", {}).get("text/html", "")
                      for c in stored_code for o in c.outputs)
    assert result["images"] == result["images_loaded"] == figures, result
    assert result["annotations"] == annotations

    assert os.path.getsize(os.path.join(SCREENSHOTS, name.replace(".ipynb", ".png"))) > 10_000


def nbval_compares(cell):
    """Whether nbval compares this cell's outputs, read by nbval's own functions:
    its NBVAL_IGNORE_OUTPUT marker counts alone on a comment line, or as the
    nbval-ignore-output tag; NBVAL_SKIP skips the cell."""
    options = dict(find_comment_markers(cell.source))
    options.update(find_metadata_tags(cell.metadata))
    return options.get("check", True) and not options.get("skip", False)


def test_nbval_compares_as_nbval_reads_its_markers():
    cell = lambda source, tags=(): nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)})
    assert nbval_compares(cell("print(1)"))
    assert not nbval_compares(cell("# NBVAL_IGNORE_OUTPUT\nprint(1)"))
    assert not nbval_compares(cell("print(1)", tags=["nbval-ignore-output"]))
    assert nbval_compares(cell("print('NBVAL_IGNORE_OUTPUT')"))     # in a string: not a marker
    assert not nbval_compares(cell("# NBVAL_SKIP\nprint(1)"))


def test_the_lab_changed_no_notebook_on_disk(lab_results):
    assert lab_results["__unchanged__"]
