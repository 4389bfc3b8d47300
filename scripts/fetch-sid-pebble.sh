#!/usr/bin/env bash
# Fetches Debian sid's pebble package (2.10: ARI and profiles) and unpacks it into DEST with
# dpkg -x, without adding sid to the system's sources: apt-get reads a one-line sources list
# and keeps its package lists in a private directory. The mirror and signed-by keyring are the
# ones of the machine's own Debian (bookworm) entry, in deb822 or one-line format.
# Usage: scripts/fetch-sid-pebble.sh DEST
set -euo pipefail
dest=${1:?usage: fetch-sid-pebble.sh DEST}
command -v apt-get >/dev/null && command -v dpkg >/dev/null || { echo "certgate: apt-get and dpkg are needed to fetch pebble 2.10" >&2; exit 1; }

# Prints "MIRROR KEYRING" for the first Debian main-archive entry (not -security) of the system sources.
system_debian_entry() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: paragraphs separated by blank lines.
    awk 'BEGIN { RS=""; FS="\n" }
      {
        uri=""; key=""; suites="";
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uri=$i; sub(/^URIs:[ \t]*/, "", uri); split(uri, u, /[ \t]+/); uri=u[1] }
          if ($i ~ /^Signed-By:/) { key=$i; sub(/^Signed-By:[ \t]*/, "", key) }
          if ($i ~ /^Suites:/) { suites=$i }
        }
        if (uri ~ /\/debian\/?$/ && suites !~ /security/) { print uri, key; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # one-line: deb [signed-by=/path ...] URI SUITE COMPONENTS
    sed -n 's/^deb[ \t]\+\(\[\([^]]*\)\][ \t]\+\)\?\([^ \t]*\/debian\/\?\)[ \t]\+\([^ \t]*\).*/\3 \2 \4/p' "$f" |
      awk '$NF !~ /security/ { key=""; for (i = 2; i < NF; i++) if ($i ~ /^signed-by=/) { key=$i; sub(/^signed-by=/, "", key) } print $1, key; exit }'
  done
}

read -r mirror keyring < <(system_debian_entry | head -n1) || true
mirror=${mirror:-http://deb.debian.org/debian}
keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
[ -f "$keyring" ] || { echo "certgate: keyring $keyring not found; cannot verify Debian sid" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/cache"
# apt drops to its sandbox user to download: let it write here.
[ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1 && chown -R _apt "$work" && chmod 755 "$work"
echo "deb [signed-by=$keyring] $mirror sid main" >"$work/sid.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sid.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::Cache::archives=$work/archives" -o "APT::Get::List-Cleanup=0")
echo "certgate: fetching pebble from Debian sid ($mirror) into $dest"
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" download pebble -qq)
deb=$(ls "$work"/pebble_*.deb)
rm -rf "$dest.tmp"
dpkg -x "$deb" "$dest.tmp"
help=$("$dest.tmp/usr/bin/pebble" -h 2>&1 || true)
grep -q -- -config <<<"$help" || { echo "certgate: unpacked pebble does not run" >&2; exit 1; }
rm -rf "$dest"
mv "$dest.tmp" "$dest"
dpkg-deb -f "$deb" Version >"$dest/VERSION"
echo "certgate: pebble $(cat "$dest/VERSION") in $dest"
