#!/usr/bin/env bash
# Installs the fonts the printing engine (kiban-print) needs, and poppler-utils
# (pdftotext, pdffonts) for its tests, from Debian's packages.
#
#   fonts-ipamj-mincho  IPAmj明朝: the MJ glyphs and the Moji_Joho IVS (names, addresses)
#   fonts-ipaexfont     IPAex明朝 / IPAexゴシック: the rest of the text
#   poppler-utils       pdftotext / pdffonts, used by the tests
#
# Idempotent: prints nothing and changes nothing when everything is installed.
# Runs `apt-get update` only when a package cannot be installed without it.
# Waits for the dpkg lock held by another install, up to
# KIBAN_APT_LOCK_TIMEOUT seconds (600 by default), instead of failing at once.
set -euo pipefail

packages=(fonts-ipamj-mincho fonts-ipaexfont poppler-utils)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
else
    sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
apt_get() {
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout="${KIBAN_APT_LOCK_TIMEOUT:-600}" "$@"
}
echo "install-fonts: installing ${missing[*]}" >&2
# A package unknown to the local lists needs the lists refreshed first.
needs_update=false
for package in "${missing[@]}"; do
    if ! apt-cache show "$package" >/dev/null 2>&1; then
        needs_update=true
    fi
done
if [ "$needs_update" = true ]; then
    apt_get update -qq
fi
if ! apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # The lists may name versions the mirror no longer has: refresh once and retry.
    apt_get update -qq
    apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
