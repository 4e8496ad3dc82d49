#!/usr/bin/env bash
# Install the Debian packages given as arguments when they are missing:
#   scripts/ensure-packages.sh chromium fonts-noto-cjk
# The tests need real components (a browser, CJK fonts, PostgreSQL); this is how they get
# them on a fresh machine. Needs root or sudo only when something is actually missing.
set -euo pipefail

missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

echo "ensure-packages: installing ${missing[*]}" >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if printf '%s\n' "${missing[@]}" | grep -q '^fonts-'; then
  fc-cache -f >/dev/null 2>&1 || true
fi
