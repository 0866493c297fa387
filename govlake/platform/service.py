"""What every managed local process shares: a pid file, a log, a health probe, start/stop/status.

Each service writes its pid to ``<state>/run/<name>.pid`` and its log to ``<state>/logs/<name>.log``;
``stop`` ends exactly the process whose pid file ``start`` wrote. A subclass names the settings section
that holds its address (``section``, and ``host_field``/``port_field`` when they are not ``host``/``port``)
and says how to prepare, start and probe it.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

from govlake.platform.process import (
    PlatformError,
    ensure_port_free,
    pid_alive,
    port_open,
    read_pid,
    rss_mb,
    spawn,
    stop_pid,
    wait_until,
)
from govlake.settings import Settings


@dataclass
class ServiceStatus:
    name: str
    host: str
    port: int
    pid: int | None
    healthy: bool
    detail: str
    rss_mb: float | None = None


def get_json(url: str, timeout: float = 3) -> dict | None:
    """A health endpoint's JSON, or None when it does not answer."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.load(r)
    except (OSError, ValueError):
        return None


class Service:
    name: str = ""
    #: the settings section holding this service's address, e.g. ``"postgres"`` for ``settings.postgres``
    section: str = ""
    host_field: str = "host"
    port_field: str = "port"

    def __init__(self, settings: Settings):
        self.s = settings

    # -- address, from the settings section ---------------------------------------------------
    @property
    def host(self) -> str:
        return getattr(self._settings_section(), self.host_field)

    @property
    def port(self) -> int:
        return getattr(self._settings_section(), self.port_field)

    @property
    def setting(self) -> str:
        """The environment variable that moves this service's port (named when the port is taken)."""
        return f"GOVLAKE_{self.section.upper()}__{self.port_field.upper()}"

    def _settings_section(self):
        if not self.section:
            raise NotImplementedError(f"{type(self).__name__} names no settings section for its host and port")
        return getattr(self.s, self.section)

    # -- to override --------------------------------------------------------------------------
    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write config, initialise data folders (idempotent)."""

    def after_start(self) -> None:
        """Provision what the service should hold (idempotent)."""

    def health(self) -> tuple[bool, str]:
        ok = port_open(self.host, self.port)
        return ok, "accepting connections" if ok else "port closed"

    start_timeout: float = 60.0
    poll_interval: float = 0.5  # seconds between health probes while starting
    stop_signal: int = signal.SIGTERM

    # -- common -------------------------------------------------------------------------------
    @property
    def pidfile(self) -> Path:
        return self.s.run_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.s.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        return read_pid(self.pidfile, must_contain=str(self.s.state_dir))

    def start(self) -> str:
        pid = self.pid()
        if pid:
            ok, detail = self.health()
            return f"{self.name} already running (pid {pid}, {'healthy' if ok else detail})"
        self.pidfile.unlink(missing_ok=True)
        self.ensure_free()
        self.prepare()
        cmd, env, cwd = self.command()
        pid = spawn(cmd, self.pidfile, self.logfile, env=env, cwd=cwd)
        if not wait_until(lambda: self.health()[0] or not pid_alive(pid), self.start_timeout, self.poll_interval):
            raise PlatformError(
                f"{self.name} did not become healthy within {self.start_timeout:.0f}s; see {self.logfile}"
            )
        if not pid_alive(pid):
            self.pidfile.unlink(missing_ok=True)
            raise PlatformError(f"{self.name} exited during start; see the end of {self.logfile}")
        self.after_start()
        return f"{self.name} started (pid {pid})" + (f" on {self.host}:{self.port}" if self.port else "")

    def ensure_free(self) -> None:
        """Refuse to start when the service's port is taken (named with the setting that moves it)."""
        ensure_port_free(self.name, self.host, self.port, self.setting)

    def stop(self) -> str:
        pid = self.pid()
        if not pid:
            self.pidfile.unlink(missing_ok=True)
            return f"{self.name} not running"
        stop_pid(pid, self.stop_signal)
        self.pidfile.unlink(missing_ok=True)
        return f"{self.name} stopped (pid {pid})"

    def restart(self) -> list[str]:
        """Stop (when running) and start again, e.g. to pick up new data or settings."""
        return [*([self.stop()] if self.pid() else []), self.start()]

    def status(self) -> ServiceStatus:
        pid = self.pid()
        if not pid:
            return ServiceStatus(self.name, self.host, self.port, None, False, "not running")
        ok, detail = self.health()
        return ServiceStatus(self.name, self.host, self.port, pid, ok, detail, rss_mb(pid))
