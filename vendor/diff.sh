#!/usr/bin/env bash
# Prints the diff between the patched crates under vendor/ and their pristine
# crates.io sources (see vendor/README.md for what changed and why).
#
# The pristine .crate files are taken from cargo's registry cache when present,
# else downloaded from static.crates.io; either way their SHA-256 must match the
# checksum crates.io published (the one Cargo.lock recorded before the patch).
# Exit status: 0 when the diff was printed (a non-empty diff is expected).
set -euo pipefail
cd "$(dirname "$0")"

CRATES=(
  "nice-plug 0.4.2 3f47be74bed3e8aa17bb055d4ff89af1fb016aa0d2756cd9b6c029a3743676a5"
  "nice-plug-core 0.4.2 ab8fe3f3e395c1140d7519a78069b59b2e3bf6da2b904d0c54ad7ab49a60ba09"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for entry in "${CRATES[@]}"; do
  read -r name version sha <<<"$entry"
  file="$work/$name-$version.crate"
  cached=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -n 1 || true)
  if [ -n "$cached" ]; then
    cp "$cached" "$file"
  else
    curl -sSfL "https://static.crates.io/crates/$name/$name-$version.crate" -o "$file"
  fi
  echo "$sha  $file" | sha256sum -c --quiet - || { echo "checksum mismatch for $name $version" >&2; exit 1; }
  tar -xzf "$file" -C "$work"
  rm -f "$work/$name-$version/.cargo-ok"
  # Paths relative to vendor/ so the output reads as a patch against the pristine crate.
  (cd "$work" && diff -ruN "$name-$version" "$OLDPWD/$name" | sed "s#$OLDPWD/##") || true
done
