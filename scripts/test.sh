#!/usr/bin/env bash
# The whole test suite: the emulator's own tests (scripts/test_*.py: the
# fault proxy and moto's gaps filled), then unit, snapshot, engine (fake
# provider) and end-to-end tests against the local AWS emulator, which the
# tests install (into .venv) and start themselves on free loopback ports,
# podman with a local registry for the tests that build images, and the
# template scanners for the CloudFormation export, and actionlint for the
# GitHub workflows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Install the emulator once up front so parallel tests do not race to do it.
scripts/emulator.sh install
# podman and a local registry, for `deploy --build` (Debian packages).
scripts/registry.sh install
# Mermaid's parser (npm) and chromium, for the diagrams `gantry docs` writes.
scripts/docs.sh install
# cfn-lint and checkov (PyPI, into .venv-scanners), for the templates
# `gantry export cloudformation` writes.
scripts/scanners.sh install
# actionlint (PyPI, into the emulator's venv), for the workflows
# `gantry ci github` writes.
scripts/actionlint.sh install
"${GANTRY_VENV:-$root/.venv}/bin/python" -m unittest discover -s scripts -p 'test_*.py'
cargo test --workspace --locked "$@"
