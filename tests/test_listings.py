"""Every code listing a lesson shows is the code that is built, and it is visible.

A lesson shows source with `course.show_source(path, region)`. These tests read
the stored notebooks and check, for every such call:
  - the stored output is not empty (text and HTML alike);
  - it equals the file's region, cut here by a method independent of course.py;
and, for the sources, that every `[region: NAME]` marker is shown by some lesson
(an unused marker is a listing that was dropped, or one that never existed).
"""
import ast
import html
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SOURCE_SUFFIXES = {".c", ".h", ".cpp", ".hpp", ".py", ".pyx", ".pxi", ".proto", ".lua", ".rs"}
MARKER = re.compile(r"\[(region|end): ([^\]]+)\]")


def show_source_calls(notebook):
    """(cell, path, region) for every show_source(...) call in the notebook's code cells."""
    cells = json.loads(notebook.read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if source.startswith("%%") or "show_source" not in source:
            continue                  # a cell magic (%%cython) is not Python
        lines = [line for line in source.splitlines() if not line.startswith(("%", "!"))]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "show_source":
                args = [ast.literal_eval(a) for a in node.args]
                keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                path = args[0]
                region = args[1] if len(args) > 1 else keywords.get("region")
                yield cell, path, region


def cut_by_partition(text, region):
    """The region's code: what lies after the start marker's line and before the
    end marker's line, without nested markers' lines and blank lines at either
    end, common indentation removed; with its first and last line numbers."""
    before, start, rest = text.partition(f"[region: {region}]")
    assert start and f"[region: {region}]" not in rest, f"region {region} marked once"
    first_line = before.count("\n") + 2
    rest = rest[rest.index("\n") + 1:]
    body, end, _ = rest.partition(f"[end: {region}]")
    assert end, f"region {region} has an end"
    body = body[:body.rindex("\n")] if "\n" in body else ""
    numbered = [(first_line + offset, line) for offset, line in enumerate(body.split("\n"))
                if not MARKER.search(line)]
    kept = [number for number, line in numbered if line.strip()]
    lines = [line for number, line in numbered if kept and kept[0] <= number <= kept[-1]]
    first_line, last_line = (kept[0], kept[-1]) if kept else (first_line, first_line)
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] if line.strip() else "" for line in lines), first_line, last_line


def cut_between(text, first, last):
    """A generated file's lines (no markers there): from the line holding `first`
    to the next line holding `last`, and a macro's continuation lines after it."""
    start = text.index(first)
    start = text.rfind("\n", 0, start) + 1
    end = text.index("\n", text.index(last, start))
    while text[:end].endswith("\\"):
        end = text.index("\n", end + 1)
    return text[start:end]


def expected_listing(path, region):
    text = (ROOT / path).read_text()
    if region is None:
        return f"# {path}\n{text.rstrip(chr(10))}"
    if isinstance(region, tuple):
        return f"# {path}, from `{region[0]}` to `{region[1]}`\n{cut_between(text, *region)}"
    code, first, last = cut_by_partition(text, region)
    return f"# {path}, lines {first}-{last}\n{code}"


def listing_cases():
    for notebook in NOTEBOOKS:
        for cell, path, region in show_source_calls(notebook):
            yield pytest.param(notebook, cell, path, region, id=f"{notebook.name[:2]}-{path.split('/')[-1]}-{region}")


@pytest.mark.parametrize("notebook, cell, path, region", list(listing_cases()))
def test_listing_is_stored_non_empty_and_equals_the_source(notebook, cell, path, region):
    shown = [o for o in cell.get("outputs", []) if o["output_type"] in ("execute_result", "display_data")]
    assert len(shown) == 1, f"{notebook.name}: the listing of {path} [{region}] has no stored output"
    data = shown[0]["data"]
    text = "".join(data.get("text/plain", ""))
    code_lines = [line for line in text.splitlines()[1:] if line.strip()]
    assert code_lines, f"{notebook.name}: the listing of {path} [{region}] is empty"
    assert text == expected_listing(path, region), f"{notebook.name}: listing of {path} [{region}] is stale: re-run it"
    rendered = html.unescape(re.sub(r"<[^>]+>", "", "".join(data.get("text/html", ""))))
    for line in code_lines:
        assert line.strip() in rendered, f"{notebook.name}: the HTML of {path} [{region}] lacks {line!r}"


def marked_regions():
    for path in sorted((ROOT / "extensions").rglob("*")) + sorted((ROOT / "notebooks").glob("*.py")):
        if path.suffix in SOURCE_SUFFIXES and path.is_file() and "build" not in path.parts:
            text = path.read_text()
            if path.name == "course.py":  # it names the markers in its code and text: only comment lines count
                text = "\n".join(line for line in text.splitlines() if re.fullmatch(r"\s*# \[[^\]]+\]\s*", line))
            for kind, name in MARKER.findall(text):
                if kind == "region":
                    yield str(path.relative_to(ROOT)), name


def test_every_marked_region_is_shown_by_a_lesson():
    shown = {(path, region) for notebook in NOTEBOOKS for _, path, region in show_source_calls(notebook)}
    unused = sorted(set(marked_regions()) - shown)
    assert not unused, f"marked regions no lesson shows (show them or remove the markers): {unused}"


def test_every_region_a_lesson_names_is_marked():
    marked = set(marked_regions())
    for notebook in NOTEBOOKS:
        for _, path, region in show_source_calls(notebook):
            if isinstance(region, tuple):    # a generated file, cut between two texts: each once
                text = (ROOT / path).read_text()
                assert [text.count(part) for part in region] == [1, 1], f"{notebook.name}: {region} in {path}"
                continue
            assert region is None or (path, region) in marked, f"{notebook.name}: no region {region} in {path}"


def test_the_independent_cut_agrees_with_course_py():
    import sys
    sys.path.insert(0, str(ROOT / "notebooks"))
    try:
        import course
    finally:
        sys.path.pop(0)
    for path, region in marked_regions():
        text = (ROOT / path).read_text()
        assert course.cut_region(text, region) == cut_by_partition(text, region), (path, region)
