#!/usr/bin/env bash
# Installs the local AWS emulator (moto_server, from PyPI) into a virtualenv
# and starts it on a free loopback port.
#
#   scripts/emulator.sh start   # prints `export ...` lines for AWS_ENDPOINT_URL etc.
#   scripts/emulator.sh stop    # stops the server started by `start`
#
# Usage: eval "$(scripts/emulator.sh start)"
# The virtualenv lives in $GANTRY_VENV (default: <repo>/.venv); the server's
# pid and log go to $GANTRY_EMULATOR_DIR (default: <repo>/target/emulator).
# With GANTRY_EMULATOR_OWNER_PID set, the server stops when that process exits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${GANTRY_VENV:-$root/.venv}
run_dir=${GANTRY_EMULATOR_DIR:-$root/target/emulator}
moto_spec='moto[server]>=5.1,<6'

install() {
  if [ ! -x "$venv/bin/moto_server" ]; then
    echo "installing $moto_spec into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$moto_spec" >&2
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  install
  mkdir -p "$run_dir"
  stop_quiet
  local port
  port=$(free_port)
  # ECS services report their tasks as running, certificates issue at once,
  # and the AWS-managed IAM policies exist, as on AWS. moto_server.py starts
  # moto with the emulator gaps it names filled in as AWS behaves.
  MOTO_ECS_SERVICE_RUNNING=${MOTO_ECS_SERVICE_RUNNING:-100} \
  MOTO_ACM_VALIDATION_WAIT=${MOTO_ACM_VALIDATION_WAIT:-0} \
    nohup "$venv/bin/python" "$root/scripts/moto_server.py" -H 127.0.0.1 -p "$port" >"$run_dir/moto.log" 2>&1 &
  local server=$!
  echo $server >"$run_dir/moto.pid"
  # A test harness that cannot run teardown code names itself here: the
  # server is stopped once that process is gone, so no emulator outlives it.
  if [ -n "${GANTRY_EMULATOR_OWNER_PID:-}" ]; then
    nohup bash -c "while kill -0 $GANTRY_EMULATOR_OWNER_PID 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done; kill $server 2>/dev/null" >/dev/null 2>&1 &
  fi
  echo "$port" >"$run_dir/moto.port"
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
      cat <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_SESSION_TOKEN=testing
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_MAX_ATTEMPTS=1
export GANTRY_EMULATOR_PID=$(cat "$run_dir/moto.pid")
ENV
      echo "moto_server listening on 127.0.0.1:$port (log: $run_dir/moto.log)" >&2
      return 0
    fi
    sleep 0.2
  done
  echo "moto_server did not start; log follows" >&2
  cat "$run_dir/moto.log" >&2
  return 1
}

stop_quiet() {
  if [ -f "$run_dir/moto.pid" ]; then
    kill "$(cat "$run_dir/moto.pid")" 2>/dev/null || true
    rm -f "$run_dir/moto.pid"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
