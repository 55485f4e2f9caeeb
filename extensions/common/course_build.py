"""What every extension of the course is compiled with, in one place.

Every setup script (and cffi build script) under extensions/ takes its warning
flags from here: `from course_build import WARNINGS`. The course's virtualenv
has extensions/common on its path (make setup writes it into a .pth file), so
this works for `make build`, for `python setup.py build_ext --inplace` run by
hand with the course's Python, and for the AddressSanitizer and fuzzing builds.
"""

# A warning in C or C++ is often a bug (lesson 00 compiles one): every warning
# -Wall and -Wextra turn on is an error, for every module of the course.
WARNINGS = ["-Wall", "-Wextra", "-Werror"]

# A student's pb (the protobuf homework, built by make homework) gets the same
# warnings, shown rather than made errors: its tests decide. (The exercises are
# folders a student copies whole, so each keeps its own list in its setup.py.)
WARNINGS_SHOWN = [flag for flag in WARNINGS if flag != "-Werror"]
