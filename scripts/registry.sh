#!/usr/bin/env bash
# A local container registry and podman, for tests that build and push an
# image (the emulator's ECR serves no registry API; scripts/moto_ecr.py
# points repository URIs at this registry instead).
#
#   scripts/registry.sh install   # Debian's podman and docker-registry (as root, only if missing)
#   scripts/registry.sh start     # prints `export ...` lines (see below)
#   scripts/registry.sh stop      # stops the registry started by `start`
#
# Usage: eval "$(scripts/registry.sh start)"
# `start` runs `docker-registry serve` on 127.0.0.1 on a free port (plain
# HTTP, no auth, storage in a temporary directory removed by `stop`) and
# exports:
#   GANTRY_TEST_REGISTRY        127.0.0.1:PORT
#   CONTAINERS_REGISTRIES_CONF  a registries.conf marking it insecure (HTTP),
#                               so plain `podman push` / `podman login` work
#   CONTAINERS_CONF             podman's engine settings (cgroupfs, events to
#                               a file in the run directory)
#   CONTAINERS_STORAGE_CONF     podman's image storage in the run directory
#                               (vfs driver: no mounts to leave behind)
# podman 4.3 as root needs none of these here (it picks overlay, cgroupfs
# and a file event log by itself); they keep a test's images out of
# /var/lib/containers and independent of /etc/containers.
#   REGISTRY_AUTH_FILE          where `podman login` keeps credentials
#   GANTRY_REGISTRY_PID         the registry's process id
# Pids, configuration and logs go to $GANTRY_REGISTRY_DIR (default:
# <repo>/target/registry). With GANTRY_REGISTRY_OWNER_PID set, the registry
# stops when that process exits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run_dir=${GANTRY_REGISTRY_DIR:-$root/target/registry}

install() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "registry.sh: ${missing[*]} missing; installing them needs root" >&2
    return 1
  fi
  mkdir -p "$run_dir"
  local log=$run_dir/apt.log
  echo "installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing or stale: update once if needed.
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1; then
      echo "registry.sh: apt-get could not install ${missing[*]}; log follows" >&2
      cat "$log" >&2
      return 1
    fi
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  install
  mkdir -p "$run_dir"
  stop_quiet
  local port storage
  port=$(free_port)
  storage=$(mktemp -d "${TMPDIR:-/tmp}/gantry-registry.XXXXXX")
  echo "$storage" >"$run_dir/storage.path"
  cat >"$run_dir/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: gantry-test-registry
CONF
  cat >"$run_dir/registries.conf" <<CONF
unqualified-search-registries = []

[[registry]]
location = "127.0.0.1:$port"
insecure = true
CONF
  # podman's own settings and storage, in the run directory.
  mkdir -p "$run_dir/podman/storage" "$run_dir/podman/run"
  cat >"$run_dir/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$run_dir/podman/events.log"
CONF
  cat >"$run_dir/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$run_dir/podman/storage"
runroot = "$run_dir/podman/run"
CONF
  nohup docker-registry serve "$run_dir/config.yml" >"$run_dir/registry.log" 2>&1 &
  local server=$!
  echo $server >"$run_dir/registry.pid"
  echo "$port" >"$run_dir/registry.port"
  if [ -n "${GANTRY_REGISTRY_OWNER_PID:-}" ]; then
    nohup bash -c "while { kill -0 $GANTRY_REGISTRY_OWNER_PID && kill -0 $server; } 2>/dev/null; do sleep 1; done; kill $server 2>/dev/null; rm -rf '$storage'" >/dev/null 2>&1 &
  fi
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
      cat <<ENV
export GANTRY_TEST_REGISTRY=127.0.0.1:$port
export CONTAINERS_REGISTRIES_CONF=$run_dir/registries.conf
export CONTAINERS_CONF=$run_dir/containers.conf
export CONTAINERS_STORAGE_CONF=$run_dir/storage.conf
export REGISTRY_AUTH_FILE=$run_dir/auth.json
export GANTRY_REGISTRY_PID=$server
ENV
      echo "docker-registry on 127.0.0.1:$port (log: $run_dir/registry.log)" >&2
      return 0
    fi
    if ! kill -0 "$server" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "docker-registry did not start; log follows" >&2
  cat "$run_dir/registry.log" >&2
  stop_quiet
  return 1
}

stop_quiet() {
  if [ -f "$run_dir/registry.pid" ]; then
    kill "$(cat "$run_dir/registry.pid")" 2>/dev/null || true
    rm -f "$run_dir/registry.pid"
  fi
  if [ -f "$run_dir/storage.path" ]; then
    rm -rf "$(cat "$run_dir/storage.path")"
    rm -f "$run_dir/storage.path"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
