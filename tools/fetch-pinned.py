"""Download a file that must match a pinned SHA-256, from the first archive that
serves it so (tools/build-s2.sh, tools/build-python-ft.sh). Python, not curl: a
minimal Debian has no curl.

    python3 tools/fetch-pinned.py LABEL NAME DEST SHA256 ARCHIVE...

LABEL starts each message; ARCHIVE/NAME is each URL tried.
"""
import hashlib
import sys
import urllib.request

label, name, path, want, *archives = sys.argv[1:]
for archive in archives:
    url = f"{archive}/{name}"
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
    except OSError as error:
        print(f"{label}: {url}: {error}", file=sys.stderr)
        continue
    got = hashlib.sha256(data).hexdigest()
    if got == want:
        with open(path, "wb") as out:
            out.write(data)
        sys.exit(0)
    print(f"{label}: {url}: SHA-256 {got}, expected {want}", file=sys.stderr)
sys.exit(f"{label}: no archive served {name} with the pinned SHA-256")
