#!/usr/bin/env bash
# Tools that check what `gantry docs` writes: Mermaid and jsdom from the npm
# registry (scripts/docs/node_modules, pinned by package-lock.json) to parse
# every diagram, and Debian's chromium to draw them.
#
#   scripts/docs.sh install   # npm ci (when node_modules is missing), apt chromium (as root, when missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  install)
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
      else
        echo "docs.sh: node and npm are missing; installing them needs root" >&2
        exit 1
      fi
    fi
    if [ ! -d "$root/scripts/docs/node_modules/mermaid" ]; then
      npm ci --prefix "$root/scripts/docs" --no-audit --no-fund --loglevel=error >/dev/null
    fi
    if ! command -v chromium >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq chromium >/dev/null
      else
        echo "docs.sh: chromium is missing; installing it needs root" >&2
        exit 1
      fi
    fi
    ;;
  *)
    echo "usage: scripts/docs.sh install" >&2
    exit 64
    ;;
esac
