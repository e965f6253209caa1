"""One emulator (moto + the fault proxy, through scripts/emulator.sh) shared
by the Python tests in this directory, in a run directory of its own, and
stopped when the test process exits (GANTRY_EMULATOR_OWNER_PID)."""

import atexit
import os
import subprocess
import sys
import tempfile
import threading

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
_lock = threading.Lock()
_env: dict[str, str] | None = None


def start_emulator(run_dir: str, owner_pid: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Runs `emulator.sh start`; returns the variables it exports."""
    env = dict(os.environ)
    # The venv running these tests has moto; emulator.sh uses it.
    env.setdefault("GANTRY_VENV", sys.prefix)
    env.update({"GANTRY_EMULATOR_DIR": run_dir, "GANTRY_EMULATOR_OWNER_PID": str(owner_pid)})
    env.update(extra or {})
    out = subprocess.run(
        ["bash", os.path.join(SCRIPTS, "emulator.sh"), "start"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"emulator.sh start failed:\n{out.stderr}")
    exports = {}
    for line in out.stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            k, v = line[len("export "):].split("=", 1)
            exports[k] = v
    exports["GANTRY_EMULATOR_DIR"] = run_dir
    return exports


def stop_emulator(exports: dict[str, str]) -> None:
    env = dict(os.environ, GANTRY_EMULATOR_DIR=exports["GANTRY_EMULATOR_DIR"])
    env.setdefault("GANTRY_VENV", sys.prefix)
    subprocess.run(["bash", os.path.join(SCRIPTS, "emulator.sh"), "stop"], env=env, timeout=30)


def emulator() -> dict[str, str]:
    """The shared emulator's exports (AWS_ENDPOINT_URL, GANTRY_FAULT_PROXY, ...)."""
    global _env
    with _lock:
        if _env is None:
            run_dir = tempfile.mkdtemp(prefix="gantry-emulator-pytests-")
            _env = start_emulator(run_dir, os.getpid())
            atexit.register(stop_emulator, _env)
        return _env
