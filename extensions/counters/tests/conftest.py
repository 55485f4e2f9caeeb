"""counters' suites run twice: against the C module `counters` and against
`counters_rust` (extensions/counters_rust, the same functions in Rust through
PyO3), which must give the same results and raise the same errors.

A test that takes the `counters` argument gets each module in turn (test ids
`[C]` and `[Rust]`); module-level uses of `counters` in the test files (the
FORMAT_* constants in parameter lists) are the C module's, whose constants
test_constants checks equal in both."""
import importlib
import os

import pytest

IMPLEMENTATIONS = {"C": "counters", "Rust": "counters_rust"}
# make memcheck (tools/memcheck.sh sets PYEXT_MEMCHECK=1) checks the C module's
# AddressSanitizer build. Rust code cannot be built with AddressSanitizer on a
# stable toolchain (-Zsanitizer is nightly-only), so there the suite runs the C
# module alone; make test runs both.
if os.environ.get("PYEXT_MEMCHECK") == "1":
    IMPLEMENTATIONS = {"C": "counters"}


@pytest.fixture(scope="session", params=list(IMPLEMENTATIONS.values()), ids=list(IMPLEMENTATIONS))
def counters(request):
    return importlib.import_module(request.param)
