"""A pytest plugin for make test-ft (tools/test_ft.py): at the end of a suite,
write whether the GIL was on, "on" or "off", to the file PYEXT_FT_REPORT names.
On a free-threaded Python it is off unless a module the suite imported declared
that it needs the GIL (Py_MOD_GIL_USED), or declared nothing."""
import os
import sys


def pytest_sessionfinish(session):
    path = os.environ.get("PYEXT_FT_REPORT")
    if path:
        with open(path, "w") as report:
            report.write("on\n" if sys._is_gil_enabled() else "off\n")
