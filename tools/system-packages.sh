#!/usr/bin/env bash
# Make sure the packages in system-packages.txt are installed, release by release.
#   root:      apt-get installs whatever is missing and exists on this release;
#              for a package the release lacks, its `else` packages instead.
#   not root:  print the exact `sudo apt-get install ...` line and exit 1.
# A needed package that this release does not have is named, with the section
# (lesson) that needs it; everything else is installed first, then it fails.
# Debian 12 and 13 are tested; Ubuntu shares the names but is not tested here.
set -euo pipefail
list=${1:-system-packages.txt}

if ! command -v dpkg-query >/dev/null; then
    echo "system-packages: this is not a Debian/Ubuntu system; install the equivalents of:" >&2
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/[[:space:]].*//' "$list" | tr '\n' ' ' >&2
    echo >&2
    exit 1
fi

release="unknown release"
if [ -r /etc/os-release ]; then
    . /etc/os-release
    release="${PRETTY_NAME:-$ID}"
    case "${ID:-}" in
        debian) ;;
        ubuntu) echo "system-packages: $release: not tested here; using the Debian package names, which Ubuntu mostly shares" ;;
        *) echo "system-packages: $release is neither Debian nor Ubuntu; trying the Debian package names" ;;
    esac
fi

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]; }
# A package exists on this release when apt knows a version it could install.
# Without package lists (a fresh image) nothing can be told: as root, apt-get
# update fetches them below; not root, the user is asked to.
lists_present() { compgen -G "${APT_LISTS:-/var/lib/apt/lists}/*_Packages*" >/dev/null; }
have_lists=true
lists_present || have_lists=false
# (apt-cache's output is read whole: `| grep -q` would stop reading at the first
# match, and under pipefail the SIGPIPE this gives apt-cache would count as "no".)
exists() {
    $have_lists || return 0
    local policy
    policy=$(apt-cache policy "$1" 2>/dev/null)
    [[ $policy == *"Candidate: "[!\(]* ]]
}

is_root=false
[ "$(id -u)" -eq 0 ] && is_root=true
# (tests/test_system_packages.py runs this with stand-ins for apt and dpkg, as not-root)
[ "${SYSTEM_PACKAGES_AS_USER:-}" = 1 ] && is_root=false

# Parse the list once: name, flags, section.
names=(); kinds=(); alts=(); sections=()
section=""
while IFS= read -r line; do
    if [[ $line =~ ^#\ ---\ (.*)\ ---$ ]]; then section=${BASH_REMATCH[1]}; continue; fi
    line=${line%%#*}
    read -r -a words <<< "$line"
    [ ${#words[@]} -eq 0 ] && continue
    name=${words[0]} kind=needed alt=""
    if [ "${words[1]:-}" = optional ]; then kind=optional
    elif [ "${words[1]:-}" = else ]; then alt="${words[*]:2}"
    fi
    names+=("$name"); kinds+=("$kind"); alts+=("$alt"); sections+=("$section")
done < "$list"

# Only what is not installed yet needs apt at all.
# (A package whose `else` packages are all installed counts as done.)
todo=()
for i in "${!names[@]}"; do
    installed "${names[$i]}" && continue
    if [ -n "${alts[$i]}" ]; then
        done_by_alts=true
        for a in ${alts[$i]}; do installed "$a" || done_by_alts=false; done
        $done_by_alts && continue
    fi
    todo+=("$i")
done
[ ${#todo[@]} -eq 0 ] && exit 0

# Left only with optional packages this release lacks: nothing to do, and no
# `apt-get update` on every make.
left=()
for i in "${todo[@]}"; do
    [ "${kinds[$i]}" = optional ] && ! exists "${names[$i]}" && continue
    left+=("$i")
done
[ ${#left[@]} -eq 0 ] && exit 0

if $is_root; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    have_lists=true
    lists_present || have_lists=false
elif ! $have_lists; then
    echo "system-packages: apt has no package lists here, so which packages this release has is unknown." >&2
    echo "Run 'sudo apt-get update', then make again." >&2
    exit 1
fi

install=() lacking=() notes=() needed_to_install=0
for i in "${todo[@]}"; do
    name=${names[$i]}
    if exists "$name"; then
        install+=("$name")
        [ "${kinds[$i]}" = optional ] || needed_to_install=$((needed_to_install + 1))
    elif [ -n "${alts[$i]}" ]; then
        notes+=("$name: not on $release; installing ${alts[$i]} instead (${sections[$i]})")
        for a in ${alts[$i]}; do
            installed "$a" || { install+=("$a"); needed_to_install=$((needed_to_install + 1)); }
        done
    elif [ "${kinds[$i]}" = optional ]; then
        notes+=("$name: not on $release; optional, the course runs without it (${sections[$i]})")
    else
        lacking+=("$name (needed by ${sections[$i]})")
    fi
done

for n in "${notes[@]}"; do echo "system-packages: $n"; done

report_lacking() {
    [ ${#lacking[@]} -eq 0 ] && return 0
    echo "system-packages: $release has no package for:" >&2
    for l in "${lacking[@]}"; do echo "  $l" >&2; done
    echo "Everything else can be installed from the release. Install these another way (or ask the course's issue tracker)." >&2
    return 1
}

if [ ${#install[@]} -gt 0 ]; then
    if ! $is_root && [ $needed_to_install -eq 0 ]; then
        # only optional ones: say how to get them, and go on without them
        echo "system-packages: optional, not installed: ${install[*]} (sudo apt-get install -y ${install[*]})"
        report_lacking || exit 1
        exit 0
    fi
    if ! $is_root; then
        report_lacking || true
        echo "system-packages: missing Debian packages: ${install[*]}" >&2
        echo "Install them, then run make again:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${install[*]}" >&2
        exit 1
    fi
    echo "system-packages: installing ${install[*]}"
    apt-get install -y -q --no-install-recommends "${install[@]}"
fi

report_lacking || exit 1
