#!/usr/bin/env bash
# CloudFormation template checkers for what `gantry export cloudformation`
# writes: cfn-lint and checkov from PyPI, pinned, in their own virtualenv
# (.venv-scanners at the repository root, or $GANTRY_SCANNERS_VENV). Both
# run offline; checkov needs the two variables `run` sets to stay offline.
#
#   scripts/scanners.sh install            # create the venv when missing
#   scripts/scanners.sh run TOOL ARGS...   # cfn-lint or checkov, offline
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${GANTRY_SCANNERS_VENV:-$root/.venv-scanners}
pins=(cfn-lint==1.58.0 checkov==3.3.30)

case "${1:-}" in
  install)
    if [ ! -x "$venv/bin/cfn-lint" ] || [ ! -x "$venv/bin/checkov" ]; then
      echo "installing ${pins[*]} into $venv" >&2
      python3 -m venv "$venv" >&2
      "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
    fi
    ;;
  run)
    shift
    tool=${1:?usage: scripts/scanners.sh run cfn-lint|checkov ARGS...}
    shift
    # Without these checkov asks the network for updates and check mappings.
    export CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE
    exec "$venv/bin/$tool" "$@"
    ;;
  *)
    echo "usage: scripts/scanners.sh install | run cfn-lint|checkov ARGS..." >&2
    exit 64
    ;;
esac
