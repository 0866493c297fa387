"""A small client of Airflow's REST API (v2) for the CLI and the tests: log in, unpause, trigger a run
over a data interval, follow runs to the end. Plain HTTP on loopback with the generated admin login."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from govlake.errors import GovlakeError
from govlake.settings import Settings


class AirflowError(GovlakeError):
    """Airflow is not reachable, refused a call, or a run did not succeed."""


FINISHED = {"success", "failed"}


class Airflow:
    def __init__(self, settings: Settings, user: str | None = None, password: str | None = None):
        from govlake.platform.airflow import api_url, passwords

        self.base = api_url(settings)
        self.user = user or settings.airflow.admin_user
        self.password = password or passwords(settings)[self.user]
        self._token: str | None = None

    # -- transport --------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        req = urllib.request.Request(self.base + path, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:400]
            raise AirflowError(f"Airflow {method} {path}: HTTP {e.code} {detail}") from e
        except OSError as e:
            raise AirflowError(f"Airflow at {self.base} is not reachable ({e}); start it with `make up`") from e
        return json.loads(raw) if raw else None

    def token(self) -> str:
        if self._token is None:
            doc = self._call("POST", "/auth/token", {"username": self.user, "password": self.password}, auth=False)
            self._token = doc["access_token"]
        return self._token

    # -- API --------------------------------------------------------------------------------------------
    def dags(self) -> list[dict]:
        return self._call("GET", "/api/v2/dags?limit=200")["dags"]

    def wait_for_dags(self, wanted: list[str], timeout: float = 180) -> None:
        """Until the dag-processor has registered every DAG in ``wanted``."""
        deadline = time.monotonic() + timeout
        while True:
            have = {d["dag_id"] for d in self.dags()}
            missing = sorted(set(wanted) - have)
            if not missing:
                return
            if time.monotonic() > deadline:
                errors = self._call("GET", "/api/v2/importErrors").get("import_errors", [])
                raise AirflowError(f"DAGs not registered after {timeout:.0f}s: {', '.join(missing)}"
                                   + (f"; import errors: {errors}" if errors else ""))
            time.sleep(3)

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": paused})

    def trigger(self, dag_id: str, start: dt.datetime, end: dt.datetime, run_id: str | None = None,
                conf: dict | None = None) -> dict:
        """A manual run whose data interval is [start, end): its tasks process those days."""
        body = {"logical_date": start.isoformat(), "data_interval_start": start.isoformat(),
                "data_interval_end": end.isoformat(), "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        return self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)

    def run_at(self, dag_id: str, logical: dt.datetime) -> dict | None:
        """The run of ``dag_id`` at this logical date, if any (a DAG has at most one)."""
        q = urllib.parse.urlencode({"logical_date_gte": logical.isoformat(), "logical_date_lte": logical.isoformat()})
        found = self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns?{q}")["dag_runs"]
        return found[0] if found else None

    def rerun_failed(self, dag_id: str, run_id: str) -> None:
        """Clear the failed (and upstream-failed) tasks of a run: Airflow runs them again."""
        self._call("POST", f"/api/v2/dags/{dag_id}/clearTaskInstances",
                   {"dag_run_id": run_id, "only_failed": True, "dry_run": False, "reset_dag_runs": True})

    def ensure_run(self, dag_id: str, start: dt.datetime, end: dt.datetime, run_id: str,
                   sandbox: dict | None = None) -> tuple[str, str]:
        """A run over [start, end): a new one, or the existing run at that logical date (Airflow keeps
        one per date) with its failed tasks cleared. Returns (run id, "new" | "rerun" | "done")."""
        old = self.run_at(dag_id, start)
        if old is None:
            conf = {"sandbox": sandbox} if sandbox else {}
            return self.trigger(dag_id, start, end, run_id=run_id, conf=conf)["dag_run_id"], "new"
        if ((old.get("conf") or {}).get("sandbox") or {}) != (sandbox or {}):
            raise AirflowError(f"{dag_id} has a run at {start:%Y-%m-%d} for another warehouse "
                               f"({(old.get('conf') or {}).get('sandbox') or 'the real platform'}); "
                               "Airflow keeps one run per DAG and logical date: choose other days")
        if old["state"] == "failed":
            self.rerun_failed(dag_id, old["dag_run_id"])
            return old["dag_run_id"], "rerun"
        return old["dag_run_id"], "done" if old["state"] == "success" else "running"

    def delete_run(self, dag_id: str, run_id: str) -> None:
        self._call("DELETE", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")

    def runs(self, dag_id: str, limit: int = 50) -> list[dict]:
        return self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit={limit}&order_by=-run_after")["dag_runs"]

    def run(self, dag_id: str, run_id: str) -> dict:
        return self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        q = urllib.parse.quote(run_id, safe="")
        return self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{q}/taskInstances")["task_instances"]

    def wait(self, runs: list[tuple[str, str]], timeout: float, echo: Callable[[str], None] = print,
             poll: float = 5) -> dict[tuple[str, str], str]:
        """Follow (dag_id, run_id) pairs until each has finished; echo each task as it ends."""
        deadline = time.monotonic() + timeout
        seen: set[tuple[str, str, str]] = set()
        states: dict[tuple[str, str], str] = {}
        while True:
            for dag_id, run_id in runs:
                if states.get((dag_id, run_id)) in FINISHED:
                    continue
                for ti in self.task_instances(dag_id, run_id):
                    key = (dag_id, run_id, ti["task_id"])
                    if ti["state"] in ("success", "failed", "skipped", "upstream_failed") and key not in seen:
                        seen.add(key)
                        took = f" [{ti['duration']:.1f}s]" if ti.get("duration") else ""
                        echo(f"{dag_id}.{ti['task_id']}: {ti['state']}{took}")
                states[(dag_id, run_id)] = self.run(dag_id, run_id)["state"]
            if all(states.get(r) in FINISHED for r in runs):
                return states
            if time.monotonic() > deadline:
                raise AirflowError(f"runs not finished after {timeout:.0f}s: "
                                   + ", ".join(f"{d} {r} ({states.get((d, r))})" for d, r in runs
                                               if states.get((d, r)) not in FINISHED))
            time.sleep(poll)
