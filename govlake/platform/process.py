"""Project-local processes: pid files, logs, port checks, start and stop of a process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from govlake.errors import GovlakeError


class PlatformError(GovlakeError):
    """A problem the user can act on; printed as one line, never as a traceback."""


class PortInUse(PlatformError):
    pass


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def read_pid(pidfile: Path, must_contain: str | None = None) -> int | None:
    """The live pid recorded in ``pidfile``; None when stale.

    ``must_contain`` guards against pid reuse: the process's command line must contain it (govlake
    passes the state folder, which every service it starts names on its command line).
    """
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not pid_alive(pid):
        return None
    if must_contain is not None:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return None
        if must_contain not in cmdline:
            return None
    return pid


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_owner(port: int) -> str | None:
    """Best-effort 'name (pid N)' of the process listening on a TCP port."""
    try:
        out = subprocess.run(
            ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    import re

    m = re.search(r'users:\(\("([^"]+)",pid=(\d+)', out)
    return f"{m.group(1)} (pid {m.group(2)})" if m else None


def ensure_port_free(service: str, host: str, port: int, setting: str) -> None:
    """Raise a one-line PortInUse when something else listens on ``port``."""
    busy = port_open(host, port)
    if not busy:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                # servers set SO_REUSEADDR; without it connections in TIME_WAIT look like a conflict
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host, port))
        except OSError:
            busy = True
    if busy:
        owner = port_owner(port)
        who = f" by {owner}" if owner else ""
        raise PortInUse(
            f"{service}: port {port} on {host} is already in use{who}; stop that process or "
            f"choose another port with {setting}=<port>."
        )


def spawn(
    cmd: Sequence[str],
    pidfile: Path,
    logfile: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start ``cmd`` detached in its own session (process group); record its pid."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} start: {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(cmd),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Signal the process group of ``pid``; escalate to SIGKILL after ``timeout``."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return
    targets: Callable[[int], None]
    if pgid == pid:
        def targets(s: int) -> None:
            os.killpg(pgid, s)
    else:
        def targets(s: int) -> None:
            os.kill(pid, s)
    try:
        targets(sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            break
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            targets(signal.SIGKILL)
        time.sleep(0.5)
    # group members that outlived the leader get SIGKILL; wait until none is left
    if pgid == pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group_members(pgid):
                os.killpg(pgid, signal.SIGKILL)
        wait_until(lambda: not group_members(pgid), 10, 0.1)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(stat.parent.name))
    return out


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process and its descendants, in MiB."""
    total = 0
    try:
        out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True).stdout
    except OSError:
        return None
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for line in out.splitlines():
        p, pp, r = (int(x) for x in line.split())
        children.setdefault(pp, []).append(p)
        rss[p] = r
    if pid not in rss:
        return None
    stack = [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total / 1024
