#!/usr/bin/env bash
# make test-distro DIST=trixie|bookworm -- `make test` on a fresh Debian of that
# release, made here with debootstrap: what a teacher gets on a new machine.
#
#   1. A minimal Debian (debootstrap --variant=minbase) in build/distro/DIST/base,
#      made once and kept: it holds nothing of the course.
#   2. A fresh copy of it for every run (build/distro/DIST/root), with this
#      machine's package-manager settings carried in (apt proxy and options,
#      CA certificates, pip's index settings, resolv.conf), /proc, /dev and /sys
#      bound in.
#   3. A clone of this checkout's HEAD (committed work only) and, inside, the
#      README's test command, `make test`, as root, so make installs the system
#      packages itself. Its output goes to build/distro/DIST/make-test.log; when
#      it passes, tools/test-distro-record.py writes its times into README.md.
#
# Needs root and debootstrap (apt-get install debootstrap). Not part of make test.
set -euo pipefail

DIST=${1:?usage: tools/test-distro.sh trixie|bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
here=$(cd "$(dirname "$0")/.." && pwd)
top=$here/build/distro/$DIST
base=$top/base
root=$top/root
log=$top/make-test.log

[ "$(id -u)" -eq 0 ] || { echo "test-distro: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || {
    echo "test-distro: needs debootstrap: apt-get install debootstrap" >&2; exit 1; }
export PATH=$PATH:/usr/sbin:/sbin

stamp() { date +%s; }
elapsed() { local s=$(( $(stamp) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# ---- 1. the base system, once ----
if [ ! -e "$base/.complete" ]; then
    t0=$(stamp)
    rm -rf --one-file-system "$base"
    mkdir -p "$top"
    echo "test-distro: debootstrap $DIST into $base"
    debootstrap --variant=minbase --include=ca-certificates,git,make \
        "$DIST" "$base" "$MIRROR" > "$top/debootstrap.log" 2>&1 ||
        { tail -20 "$top/debootstrap.log" >&2; exit 1; }
    # Updates and security, as on an installed machine (deb822 is read by both releases).
    cat > "$base/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $DIST $DIST-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $DIST-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    rm -f "$base/etc/apt/sources.list"
    touch "$base/.complete"
    echo "test-distro: base system made in $(elapsed "$t0")"
fi

[ "${BASE_ONLY:-}" = 1 ] && exit 0

# ---- 2. a fresh machine from it ----
cleanup() {
    for m in dev/shm dev/pts dev sys proc; do
        mountpoint -q "$root/$m" && umount -l "$root/$m"
    done
    return 0
}
trap cleanup EXIT
cleanup
# --one-file-system: should an unmount have failed, never follow it into /dev or /proc
rm -rf --one-file-system "$root"
cp -a "$base" "$root"

# The machine's package-manager settings: apt options and proxies, the CA bundle
# (a proxy that re-signs TLS needs its CA inside too), pip's configuration.
for f in /etc/apt/apt.conf.d/*; do
    grep -qiE '^[[:space:]]*Acquire::' "$f" 2>/dev/null && cp "$f" "$root/etc/apt/apt.conf.d/"
done
# (Local CAs also go where update-ca-certificates looks, should a package rebuild the bundle.)
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
echo "pyext-lessons-$DIST" > "$root/etc/hostname"

mount --bind /proc "$root/proc"
mount --bind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
# Slaves, not peers: on a host with shared mounts (systemd), a mount made under
# the bind (the tmpfs on dev/shm) must not appear on the host's /dev as well.
for m in proc sys dev; do mount --make-rslave "$root/$m"; done
mkdir -p "$root/dev/shm" && mount -t tmpfs -o size=2g tmpfs "$root/dev/shm"

git clone --quiet --no-local "$here" "$root/root/pyext-lessons"

# Proxy and certificate variables pass through; nothing else of this machine's
# environment does (no pyenv, no PATH, no PIP_FIND_LINKS pointing outside).
pass=()
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY \
         SSL_CERT_FILE REQUESTS_CA_BUNDLE PIP_CERT PIP_INDEX_URL PIP_EXTRA_INDEX_URL \
         PIP_DEFAULT_TIMEOUT; do
    [ -n "${!v:-}" ] && pass+=("$v=${!v}")
done

# ---- 3. the README's test command ----
echo "test-distro: make test on a fresh Debian $DIST (log: $log)"
t0=$(stamp)
set +e
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb "${pass[@]}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c 'cd /root/pyext-lessons && . /etc/os-release && echo "$PRETTY_NAME" && time make test' \
    > "$log" 2>&1
rc=$?
set -e
tail -n 15 "$log"
echo "test-distro: Debian $DIST: make test exited $rc after $(elapsed "$t0")"
# A passing run's times go into the README's requirements table.
[ $rc -eq 0 ] && python3 "$here/tools/test-distro-record.py" "$DIST"
exit $rc
