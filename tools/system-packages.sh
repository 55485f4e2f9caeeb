#!/usr/bin/env bash
# Make sure every package in system-packages.txt is installed.
#   root:      apt-get installs whatever is missing (all at once, or nothing).
#   not root:  print the exact `sudo apt-get install ...` line and exit 1.
# Only Debian/Ubuntu are supported; elsewhere it says what to install and fails.
set -euo pipefail
list=${1:-system-packages.txt}

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')

if ! command -v dpkg-query >/dev/null; then
    echo "system-packages: this is not a Debian/Ubuntu system; install the equivalents of:" >&2
    echo "  ${wanted[*]}" >&2
    exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "system-packages: missing Debian packages: ${missing[*]}" >&2
    echo "Install them, then run make again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
