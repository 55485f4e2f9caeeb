"""The C declarations cffi needs, shared by its ABI mode (ffi.dlopen) and its
API mode (diffusion_cffi_build.py), read from diffusion.h itself, so the two
cannot drift apart. cffi's cdef() parses declarations but runs no preprocessor:
the header's preprocessor lines (its include guard) are dropped, the rest
(comments, `restrict`) cffi parses as it stands."""
import pathlib

HEADER = pathlib.Path(__file__).resolve().parent / "diffusion.h"


def declarations(header_text):
    """A header's text without its preprocessor lines."""
    return "\n".join(line for line in header_text.splitlines()
                     if not line.lstrip().startswith("#"))


CDEF = declarations(HEADER.read_text())
