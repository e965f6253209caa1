#!/usr/bin/env bash
# The whole test suite: unit, snapshot, engine (fake provider) and end-to-end
# tests against the local AWS emulator, which the tests install (into .venv)
# and start themselves on free loopback ports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Install the emulator once up front so parallel tests do not race to do it.
scripts/emulator.sh install
cargo test --workspace --locked "$@"
