"""PostgreSQL as a project-local cluster under ``<state>/postgres``; it holds the metastore's database."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

from govlake.platform.process import PlatformError, port_open
from govlake.platform.service import Service
from govlake.secrets import secret
from govlake.settings import Settings


def postgres_bin_dir(settings: Settings) -> Path | None:
    if settings.postgres.bin_dir:
        return settings.postgres.bin_dir
    cands = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4])
    )
    if cands:
        return Path(cands[-1]).parent
    found = shutil.which("postgres")
    return Path(found).resolve().parent if found else None


class Postgres(Service):
    name = "postgres"
    section = "postgres"
    stop_signal = signal.SIGINT  # PostgreSQL "fast" shutdown
    start_timeout = 60.0

    @property
    def data_dir(self) -> Path:
        return self.s.state_dir / "postgres" / "data"

    @property
    def socket_dir(self) -> Path:
        return self.s.run_dir / "postgres"

    @property
    def bin_dir(self) -> Path:
        b = postgres_bin_dir(self.s)
        if not b or not (b / "postgres").is_file():
            raise PlatformError("PostgreSQL server binaries not found: run `make setup` (installs postgresql).")
        return b

    @property
    def password(self) -> str:
        return secret(self.s, "postgres_password")

    def _as_user(self) -> list[str]:
        """PostgreSQL refuses to run as root: drop to the configured OS user when root."""
        if os.geteuid() != 0:
            return []
        user = self.s.postgres.os_user
        try:
            pwd.getpwnam(user)
        except KeyError as e:
            raise PlatformError(f"OS user {user!r} for PostgreSQL does not exist: run `make setup`.") from e
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(self.s.postgres.os_user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _grant_traverse(self, path: Path) -> None:
        """The postgres OS user must be able to reach the state folder (o+x on each parent)."""
        if os.geteuid() != 0:
            return
        for parent in [path, *path.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)

    def prepare(self) -> None:
        for d in (self.data_dir.parent, self.socket_dir):
            d.mkdir(parents=True, exist_ok=True)
            self._own(d)
        self._grant_traverse(self.data_dir.parent)
        if (self.data_dir / "PG_VERSION").is_file():
            return
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self._own(self.data_dir)
        pwfile = self.data_dir.parent / ".pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        self._own(pwfile)
        try:
            r = subprocess.run(
                [
                    *self._as_user(),
                    str(self.bin_dir / "initdb"),
                    "-D", str(self.data_dir),
                    "-U", self.s.postgres.superuser,
                    f"--pwfile={pwfile}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E", "UTF8",
                    "--no-locale",
                ],
                capture_output=True,
                text=True,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if r.returncode != 0:
            raise PlatformError(f"initdb failed: {r.stderr.strip().splitlines()[-1] if r.stderr else r.stdout}")
        with (self.data_dir / "pg_hba.conf").open("w") as f:
            f.write(
                "# govlake: socket for the OS user, password over loopback only\n"
                "local all all trust\n"
                "host all all 127.0.0.1/32 scram-sha-256\n"
                "host all all ::1/128 scram-sha-256\n"
            )

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        pg = self.s.postgres
        return (
            [
                *self._as_user(),
                str(self.bin_dir / "postgres"),
                "-D", str(self.data_dir),
                "-c", f"port={pg.port}",
                "-c", f"listen_addresses={pg.host}",
                "-c", f"unix_socket_directories={self.socket_dir}",
                "-c", f"shared_buffers={pg.shared_buffers}",
                "-c", f"max_connections={pg.max_connections}",
                "-c", "log_destination=stderr",
                "-c", "logging_collector=off",
            ],
            dict(os.environ),
            self.data_dir.parent,
        )

    def psql(self, sql: str, db: str = "postgres") -> str:
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="5")
        r = subprocess.run(
            [
                str(self.bin_dir / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                "-h", self.host, "-p", str(self.port), "-U", self.s.postgres.superuser, "-d", db,
                "-c", sql,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if r.returncode != 0:
            raise PlatformError(f"psql failed: {r.stderr.strip()}")
        return r.stdout.strip()

    @staticmethod
    def _identifier(name: str) -> str:
        """A database or role name from settings, refused unless a plain identifier (it is formatted
        into SQL run as the superuser)."""
        import re

        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise PlatformError(f"{name!r} is not a plain PostgreSQL identifier (lower-case letters, digits, _)")
        return name

    def ensure_database(self, name: str, owner: str | None = None) -> None:
        name = self._identifier(name)
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            owned = f' OWNER "{self._identifier(owner)}"' if owner else ""
            self.psql(f'CREATE DATABASE "{name}"{owned}')

    def ensure_role(self, name: str, password: str) -> None:
        """A login role with this password (set again at every call, so a rotated secret takes effect)."""
        name = self._identifier(name)
        quoted = password.replace("'", "''")
        verb = "ALTER" if self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{name}'") else "CREATE"
        self.psql(f"{verb} ROLE \"{name}\" LOGIN PASSWORD '{quoted}'")

    def after_start(self) -> None:
        self.ensure_database(self.s.postgres.metastore_db)

    def health(self) -> tuple[bool, str]:
        if not port_open(self.host, self.port):
            return False, "port closed"
        r = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", self.host, "-p", str(self.port), "-t", "3"],
            capture_output=True,
            text=True,
        )
        return r.returncode == 0, r.stdout.strip().split(" - ")[-1] or "not ready"
