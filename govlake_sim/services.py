"""The department stand-ins as managed local processes (pid file, log, health), like platform services.

Today one: the police API (``govlake-sim up``); the urban-management database lives in the platform's
PostgreSQL and needs no process of its own."""

from __future__ import annotations

import os
from pathlib import Path

from govlake.platform.service import Service, get_json
from govlake.secrets import secret_path


# ---------------------------------------------------------------------------------------------
# The police department's HTTP API, stood in for by the simulator (serves what `govlake-sim generate` wrote)
# ---------------------------------------------------------------------------------------------
class PoliceApiService(Service):
    name = "police-api"
    section, host_field, port_field = "feeds", "police_api_host", "police_api_port"
    start_timeout = 60.0

    @property
    def data_file(self) -> Path:
        return self.s.feeds_out_dir / "police_api" / "incidents.jsonl"

    @property
    def token_file(self) -> Path:
        return Path(secret_path(self.s, "police_api_token"))

    def prepare(self) -> None:
        if not self.data_file.is_file():  # nothing generated yet: serve an empty feed
            self.data_file.parent.mkdir(parents=True, exist_ok=True)
            self.data_file.write_text("")

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        import sys

        return (
            [sys.executable, "-m", "govlake_sim.police_api", "--data", str(self.data_file),
             "--host", self.host, "--port", str(self.port), "--token-file", str(self.token_file)],
            dict(os.environ, GOVLAKE_STATE=str(self.s.state_dir)),
            self.s.state_dir,
        )

    def health(self) -> tuple[bool, str]:
        info = get_json(f"http://{self.host}:{self.port}/health")
        if info is None:
            return False, "not answering"
        return info.get("status") == "ok", f"{info.get('versions', 0)} incident versions"


STAND_INS: tuple[type[Service], ...] = (PoliceApiService,)


def stand_ins(settings) -> list[Service]:
    return [cls(settings) for cls in STAND_INS]
