#!/usr/bin/env bash
# Installs the local AWS emulator (moto_server, from PyPI) into a virtualenv
# and starts it on a free loopback port, behind the fault-injecting proxy
# (scripts/fault_proxy.py) on another one.
#
#   scripts/emulator.sh start   # prints `export ...` lines for AWS_ENDPOINT_URL etc.
#   scripts/emulator.sh stop    # stops the server and proxy started by `start`
#
# Usage: eval "$(scripts/emulator.sh start)"
# AWS_ENDPOINT_URL points at the proxy (also exported as GANTRY_FAULT_PROXY,
# so tests know they can set fault profiles there); GANTRY_EMULATOR_URL is
# moto itself. Without a fault profile the proxy only forwards and counts.
# GANTRY_EMULATOR_PROXY=0 starts moto alone (AWS_ENDPOINT_URL is then moto).
# The virtualenv lives in $GANTRY_VENV (default: <repo>/.venv); pids, ports
# and logs go to $GANTRY_EMULATOR_DIR (default: <repo>/target/emulator).
# With GANTRY_EMULATOR_OWNER_PID set, server and proxy stop when that
# process exits.
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
  echo "$port" >"$run_dir/moto.port"
  local endpoint=http://127.0.0.1:$port proxy="" proxy_port=""
  if [ "${GANTRY_EMULATOR_PROXY:-1}" != 0 ]; then
    # The proxy binds a free port itself and writes it down (no race for it).
    rm -f "$run_dir/proxy.port"
    nohup "$venv/bin/python" "$root/scripts/fault_proxy.py" --upstream "$endpoint" \
      --port 0 --port-file "$run_dir/proxy.port" \
      ${GANTRY_EMULATOR_OWNER_PID:+--owner-pid "$GANTRY_EMULATOR_OWNER_PID"} \
      >"$run_dir/proxy.log" 2>&1 &
    proxy=$!
    echo $proxy >"$run_dir/proxy.pid"
  fi
  # A test harness that cannot run teardown code names itself here: server
  # and proxy are stopped once that process is gone (or either of them is),
  # so no emulator outlives it.
  if [ -n "${GANTRY_EMULATOR_OWNER_PID:-}" ]; then
    local alive="kill -0 $GANTRY_EMULATOR_OWNER_PID && kill -0 $server${proxy:+ && kill -0 $proxy}"
    nohup bash -c "while { $alive; } 2>/dev/null; do sleep 1; done; kill $server $proxy 2>/dev/null" >/dev/null 2>&1 &
  fi
  for _ in $(seq 1 100); do
    if [ -n "$proxy" ] && [ -z "$proxy_port" ] && [ -s "$run_dir/proxy.port" ]; then
      proxy_port=$(cat "$run_dir/proxy.port")
    fi
    if curl -fsS "$endpoint/moto-api/" >/dev/null 2>&1 &&
      { [ -z "$proxy" ] || { [ -n "$proxy_port" ] && curl -fsS "http://127.0.0.1:$proxy_port/moto-api/" >/dev/null 2>&1; }; }; then
      local url=$endpoint
      [ -n "$proxy" ] && url=http://127.0.0.1:$proxy_port
      cat <<ENV
export AWS_ENDPOINT_URL=$url
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_SESSION_TOKEN=testing
export AWS_REGION=${AWS_REGION:-us-east-1}
export GANTRY_EMULATOR_PID=$server
export GANTRY_EMULATOR_URL=$endpoint
ENV
      if [ -n "$proxy" ]; then
        echo "export GANTRY_FAULT_PROXY=$url"
        echo "export GANTRY_FAULT_PROXY_PID=$proxy"
        echo "moto_server on 127.0.0.1:$port behind the fault proxy on 127.0.0.1:$proxy_port (logs: $run_dir/moto.log, $run_dir/proxy.log)" >&2
      else
        echo "moto_server listening on 127.0.0.1:$port (log: $run_dir/moto.log)" >&2
      fi
      return 0
    fi
    sleep 0.2
  done
  echo "moto_server or the fault proxy did not start; logs follow" >&2
  cat "$run_dir/moto.log" >&2
  [ -n "$proxy" ] && cat "$run_dir/proxy.log" >&2
  stop_quiet
  return 1
}

stop_quiet() {
  local f
  for f in "$run_dir/proxy.pid" "$run_dir/moto.pid"; do
    if [ -f "$f" ]; then
      kill "$(cat "$f")" 2>/dev/null || true
      rm -f "$f"
    fi
  done
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
