#!/usr/bin/env bash
# Installs the given Debian/Ubuntu packages that are not installed yet (apt,
# through sudo when not root). Shared by setup-deps.sh and install.sh.
# Usage: scripts/apt-ensure.sh PACKAGE…
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "apt: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
