"""Run Python code against one C file compiled with AddressSanitizer.

For a mistake that corrupts memory without a visible symptom (reading a freed
string usually still finds its old bytes there): the C file is compiled alone,
as a module, with -fsanitize=address into `folder`, and `script` runs against it
in a child process with ASan's runtime preloaded and PYTHONMALLOC=malloc (so
every Python object is a block ASan watches). A memory error ends the child
with ASan's report on stderr, and nothing else.
"""
import os
import pathlib
import subprocess
import sys
import sysconfig


def build(c_file, module, folder):
    """Compile c_file as the extension module `module` into folder; return its path."""
    target = pathlib.Path(folder) / f"{module}{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run(["gcc", "-shared", "-fPIC", "-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-O1",
                    f"-I{sysconfig.get_paths()['include']}", str(c_file), "-o", str(target)], check=True)
    return target


def run(folder, script, *args):
    """Run `script` (Python source) in a child process that imports from folder first."""
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True,
                             check=True).stdout.strip()
    # detect_leaks=0: the interpreter's own blocks at exit are not the question here;
    # exitcode=1, and no inherited LSAN_OPTIONS (make memcheck sets exitcode=0 there).
    env = {name: value for name, value in os.environ.items() if name != "LSAN_OPTIONS"}
    env.update(PYTHONPATH=str(folder), LD_PRELOAD=libasan, PYTHONMALLOC="malloc",
               ASAN_OPTIONS="detect_leaks=0:exitcode=1")
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=120)
