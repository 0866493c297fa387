import os
import socket
import subprocess
import sys

import pytest

from govlake.platform.process import PortInUse, ensure_port_free, pid_alive, spawn, stop_pid


@pytest.fixture
def busy_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    yield s.getsockname()[1]
    s.close()


def test_port_conflict_is_one_clear_line(busy_port):
    with pytest.raises(PortInUse) as e:
        ensure_port_free("trino", "127.0.0.1", busy_port, "GOVLAKE_TRINO__PORT")
    msg = str(e.value)
    assert f"port {busy_port}" in msg and "GOVLAKE_TRINO__PORT" in msg and "trino" in msg
    assert "\n" not in msg


def test_free_port_passes():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ensure_port_free("x", "127.0.0.1", port, "X")


def test_cli_up_on_a_taken_port_prints_one_line_and_no_traceback(busy_port, tmp_path):
    env = dict(os.environ, GOVLAKE_POSTGRES__PORT=str(busy_port), GOVLAKE_PATHS__STATE_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "govlake.cli", "up"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr + r.stdout
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"port {busy_port}" in lines[0] and "GOVLAKE_POSTGRES__PORT" in lines[0]
    assert not (tmp_path / "run" / "postgres.pid").exists()


def test_spawn_and_stop_a_process_group(tmp_path):
    pidfile, log = tmp_path / "p.pid", tmp_path / "p.log"
    # a parent that starts a child: stopping the group must end both
    pid = spawn([sys.executable, "-c", "import subprocess,time; subprocess.Popen(['sleep','60']); time.sleep(60)"],
                pidfile, log)
    assert int(pidfile.read_text()) == pid and pid_alive(pid)
    import time

    time.sleep(0.5)
    children = subprocess.run(["pgrep", "-g", str(pid)], capture_output=True, text=True).stdout.split()
    assert len(children) >= 2
    stop_pid(pid, timeout=5)
    assert not pid_alive(pid)
    assert all(not pid_alive(int(c)) for c in children)


def test_a_reused_pid_is_not_taken_for_ours(tmp_path):
    from govlake.platform.process import read_pid

    marker = str(tmp_path / "state")
    pidfile = tmp_path / "svc.pid"
    ours = spawn([sys.executable, "-c", "import time,sys; time.sleep(30)", marker], pidfile, tmp_path / "a.log")
    try:
        assert read_pid(pidfile, must_contain=marker) == ours
        # a pid file pointing at an unrelated live process (pid reuse) is treated as stale
        pidfile.write_text(f"{os.getpid()}\n")
        assert read_pid(pidfile, must_contain=marker) is None
        assert read_pid(pidfile) == os.getpid()
    finally:
        stop_pid(ours, timeout=5)
    pidfile.write_text(f"{ours}\n")
    assert read_pid(pidfile, must_contain=marker) is None
