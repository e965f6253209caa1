#!/usr/bin/env bash
# The main job on a fresh machine: build gantry, start the local AWS emulator
# (installed into .venv on first use), then `gantry up` an example, show
# `gantry status`, and `gantry destroy` it again.
#
#   scripts/demo.sh [examples/minimal.yaml]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
spec=${1:-examples/minimal.yaml}
cargo build --locked --bin gantry
gantry="${CARGO_TARGET_DIR:-$root/target}/debug/gantry"
# The emulator also stops by itself when this script exits.
export GANTRY_EMULATOR_OWNER_PID=$$
eval "$(scripts/emulator.sh start)"
trap 'scripts/emulator.sh stop' EXIT
state_dir=$(mktemp -d)
set -x
"$gantry" -f "$spec" --state-dir "$state_dir" up --yes
"$gantry" -f "$spec" --state-dir "$state_dir" status
"$gantry" -f "$spec" --state-dir "$state_dir" destroy --yes
