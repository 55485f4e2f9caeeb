"""Every exercise's tests mean something: they all pass on the reference
solution and at least one fails on the untouched stub (as committed). And the
checker reports what a student needs: a crash or an endless loop fails the one
test that ran it, naming the signal or the time limit; a build error is shown
as the compiler printed it."""
import importlib.util
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("checker", ROOT / "exercises" / "checker.py")
checker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checker)

EXERCISES = [exercise.name for exercise in checker.all_exercises()]


def test_there_are_exercises():
    assert len(EXERCISES) >= 1


@pytest.mark.parametrize("name", EXERCISES)
def test_the_solution_passes_every_test_and_builds_without_warnings(name):
    result = checker.check(name, "solution")
    assert result.build.ok and not result.build.warnings, result.report()
    assert result.done, result.report()


@pytest.mark.parametrize("name", EXERCISES)
def test_the_stub_builds_without_warnings_and_fails_a_test(name):
    result = checker.check(name, "stub")
    assert result.build.ok and not result.build.warnings, result.report()
    assert not result.problem, result.report()
    assert result.passed < len(result.results), result.report()


@pytest.mark.parametrize("name", EXERCISES)
def test_the_statement_and_the_lesson(name):
    exercise = checker.Exercise(name)
    statement = (exercise.folder / "README.md").read_text()
    assert exercise.title and not exercise.title.startswith("TODO")
    assert f"make exercise NAME={name}" in statement
    # Its third line: "Lesson NN · easy|medium|harder · about N minutes · you edit `file`" (make
    # exercises orders each lesson's exercises by that level).
    assert re.fullmatch(rf"Lesson {exercise.lesson} · ({'|'.join(checker.LEVELS)}) · about \d+ minutes · "
                        r"you edit `[^`]+`( and `[^`]+`)*", statement.splitlines()[2]), statement.splitlines()[2]
    for student_file in exercise.student_files:
        assert (exercise.folder / student_file).is_file(), f"the stub has no {student_file}"
        assert f"`{student_file}`" in statement, f"the statement does not name {student_file}"
    lessons = list((ROOT / "notebooks").glob(f"{exercise.lesson}-*.ipynb"))
    assert len(lessons) == 1, f"no lesson {exercise.lesson} for {name}"
    cells = json.loads(lessons[0].read_text())["cells"]
    assert any(f'Exercise("{name}")' in "".join(cell["source"]) for cell in cells), \
        f"{lessons[0].name} has no check cell for {name}"


def planted(name, replacements):
    """The solution's files with each (file, old, new) replacement made once."""
    exercise = checker.Exercise(name)
    files = exercise.sources("solution")
    for file, old, new in replacements:
        text = files[file].decode()
        assert text.count(old) == 1, f"{old!r} is not in {file} exactly once"
        files[file] = text.replace(old, new).encode()
    return files


def outcomes(result):
    return {r["name"]: r["outcome"] for r in result.results}


def test_a_crash_and_an_endless_loop_each_fail_only_their_test():
    files = planted("01-longest-below", [(
        "collatz_longest.c", "    if (limit < 2)\n",
        "    if (limit == 1000000) { volatile int *nowhere = NULL; *nowhere = 1; }\n"
        "    if (limit == 300) for (;;) {}\n"
        "    if (limit < 2)\n")])
    result = checker.check("01-longest-below", "planted", time_limit=2, files=files)
    assert result.build.ok, result.report()
    report = result.report()
    got = outcomes(result)
    assert got.pop("test_a_million") == "crashed", report
    assert got.pop("test_every_limit_up_to_300") == "timed out", report
    assert set(got.values()) == {"passed"}, report
    assert re.search(r"CRASH test_a_million\n +crashed: the test's process was killed by "
                     r"SIGSEGV \(segmentation fault\)\n.*\n +tests/test_longest_below.py, line \d+, "
                     r"in test_a_million", report), report
    assert re.search(r"TIME  test_every_limit_up_to_300\n +timed out: no result after 2 s", report), report


def test_a_build_error_is_shown_as_the_compiler_printed_it():
    files = planted("01-longest-below", [
        ("collatz_longest.c", "    if (limit < 2)\n", "    if (limit < 2\n")])
    result = checker.check("01-longest-below", "planted", files=files)
    report = result.report()
    assert not result.build.ok and not result.results
    assert re.search(r"collatz_longest\.c:\d+:\d+: error: expected .\)", report), report
    assert "Traceback" not in report and "The build failed" in report
    assert "returned non-zero exit status" not in report    # setuptools' line, not the compiler's


def test_homework_a_crash_and_an_endless_loop_each_fail_only_their_test(tmp_path):
    """The homework stub as committed, with a segmentation fault planted where
    the writer gets a list of 200 records and compresslevel=0, and an endless
    loop where it gets a list of 20,000: each fails the one test that calls it
    so, with the reason, and the rest of the run reports as for the stub. (The
    lesson's homework cell runs make homework on the untouched stub.)"""
    _spec = importlib.util.spec_from_file_location("homework", ROOT / "exercises" / "homework.py")
    homework = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(homework)
    stub = checker.committed(ROOT / "extensions/pb/homework/pb.c").decode()
    old = '''        return NULL;
    PyErr_SetString(PyExc_NotImplementedError, "deviceapps_xwrite_pb: your homework");'''
    assert stub.count(old) == 1
    planted_stub = stub.replace(old, '''        return NULL;
    Py_ssize_t planted = PyList_Check(iterable) ? PyList_GET_SIZE(iterable) : -1;
    if (planted == 200 && level == 0) { volatile int *nowhere = NULL; *nowhere = 1; }
    if (planted == 20000) for (;;) {}
    PyErr_SetString(PyExc_NotImplementedError, "deviceapps_xwrite_pb: your homework");''')
    (tmp_path / "pb.c").write_text(planted_stub)
    ok, output = homework.build(tmp_path / "pb.c", ROOT / "build" / "homework" / "planted")
    assert ok, output
    # 5 s: enough for Hypothesis to shrink a failing example of the stub
    results, _ = homework.run_tests(ROOT / "build" / "homework" / "planted" / "lib", time_limit=5)
    report = homework.report("pb.c (planted)", ok, output, results, everything=True)
    got = {(r["file"], r["name"]): r["outcome"] for r in results}
    assert got.pop(("test_pb.py", "test_compresslevel")) == "crashed", report
    assert got.pop(("test_pb.py", "test_large_file_round_trip_and_reader_is_lazy")) == "timed out", report
    assert "crashed" not in got.values() and "timed out" not in got.values(), report
    assert got.pop(("test_pb.py", "test_constants")) == "passed", report
    assert re.search(r"CRASH test_pb.py::test_compresslevel\n +crashed: the test's process was killed by "
                     r"SIGSEGV \(segmentation fault\)\n.*\n +.*test_pb.py, line \d+, in test_compresslevel",
                     report), report
    assert re.search(r"TIME  test_pb.py::test_large_file_round_trip_and_reader_is_lazy\n +timed out: "
                     r"no result after 5 s", report), report
    for number, name in enumerate(homework.MILESTONES, 1):
        assert re.search(rf"^milestone {number}, {name}: +\d+ of +\d+ tests pass", report, re.M), report
    assert "next: milestone 1, writer" in report
