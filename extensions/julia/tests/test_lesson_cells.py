"""Lesson 07 compiles five rungs in %%cython cells: each cell is its file in extensions/julia/.

A rung cell is the %%cython line, then the line "# NBVAL_IGNORE_OUTPUT" (the compiler's messages
vary), then the file's text, byte for byte. These tests read the stored notebook, so a cell edited
without its file (or a file without its cell) fails here.
"""
import difflib
import json
import pathlib

import pytest

HERE = pathlib.Path(__file__).resolve().parent.parent
LESSON = HERE.parent.parent / "notebooks" / "07-cython-julia-ladder.ipynb"
RUNGS = ["julia_compiled.pyx", "julia_cdef.pyx", "julia_abs.pyx", "julia_memview.pyx", "julia_prange.pyx"]
MARKER = "# NBVAL_IGNORE_OUTPUT\n"


def cython_cells():
    """(cell id, magic line, body) of every %%cython cell of the lesson."""
    cells = []
    for cell in json.loads(LESSON.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith("%%cython"):
            magic, _, rest = source.partition("\n")
            cells.append((cell["id"], magic, rest))
    return cells


CELLS = cython_cells()
FILES = {name: (HERE / name).read_text() for name in RUNGS}


def test_the_lesson_compiles_every_rung_once():
    bodies = [body.removeprefix(MARKER) + "\n" for _, _, body in CELLS]
    assert sorted(name for name, text in FILES.items() if text in bodies) == sorted(RUNGS)
    assert len(CELLS) == len(RUNGS)


@pytest.mark.parametrize("cell_id, magic, body", CELLS, ids=[cell_id for cell_id, _, _ in CELLS])
def test_cell_is_its_file(cell_id, magic, body):
    assert body.startswith(MARKER), f"cell {cell_id}: the line after {magic!r} must be {MARKER!r}"
    text = body[len(MARKER):] + "\n"          # a stored cell has no final newline; the file has one
    if text in FILES.values():
        return
    name = max(FILES, key=lambda n: difflib.SequenceMatcher(None, FILES[n], text).ratio())
    diff = "".join(difflib.unified_diff(FILES[name].splitlines(True), text.splitlines(True),
                                        f"extensions/julia/{name}", f"lesson 07, cell {cell_id}"))
    pytest.fail(f"cell {cell_id} differs from every rung file; closest is {name}:\n{diff}")


def test_the_prange_cell_links_openmp():
    magic = next(magic for _, magic, body in CELLS if "prange" in body)
    assert "--compile-args=-fopenmp" in magic and "--link-args=-fopenmp" in magic
