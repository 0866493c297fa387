"""`govlake setup`: everything the platform needs, idempotent, cached and verified.

The Python environment itself is synced from ``uv.lock`` by ``make setup`` before this runs.
A warm run makes no network request: cached artifacts carry a verification marker.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Callable

from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from govlake.artifacts import ArtifactCache, ArtifactError, extract_tarball, load_manifest
from govlake.java import spark_jdk, trino_jdk
from govlake.platform.postgres import postgres_bin_dir
from govlake.platform.process import PlatformError
from govlake.secrets import secret
from govlake.settings import Settings

Echo = Callable[[str], None]


def ensure_postgres_installed(settings: Settings, echo: Echo) -> str:
    b = postgres_bin_dir(settings)
    if b and (b / "postgres").is_file() and (b / "initdb").is_file():
        return f"PostgreSQL server: {b}"
    if os.geteuid() != 0:
        raise PlatformError(
            "PostgreSQL server binaries are missing and setup is not root: run "
            "`sudo apt-get install -y postgresql` (or set GOVLAKE_POSTGRES__BIN_DIR)."
        )
    echo("PostgreSQL server not found: installing Debian package postgresql …")
    apt_install("postgresql")
    b = postgres_bin_dir(settings)
    if not b:
        raise PlatformError("postgresql was installed but its server binaries were not found")
    return f"PostgreSQL server: {b} (installed)"


def apt_install(package: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise PlatformError(f"{' '.join(cmd)} failed: {r.stderr.strip().splitlines()[-1:]}")


def ensure_chromium(echo: Echo) -> str:
    """Debian's headless-capable Chromium, which the UI tests drive (Airflow's pages, looked at as a
    person would); installed when missing and setup runs as root."""
    found = shutil.which("chromium")
    if found:
        return f"Chromium (UI tests): {found}"
    if os.geteuid() != 0:
        return "Chromium (UI tests): missing — `sudo apt-get install -y chromium` (the UI tests fail without it)"
    echo("Chromium not found: installing Debian package chromium (for the UI tests) …")
    apt_install("chromium")
    return f"Chromium (UI tests): {shutil.which('chromium')} (installed)"


def ensure_os_user(settings: Settings) -> str | None:
    if os.geteuid() != 0:
        return None
    user = settings.postgres.os_user
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
                       check=True)
        return f"created OS user {user} for PostgreSQL"
    return None


def ensure_artifacts(settings: Settings, echo: Echo) -> tuple[int, int]:
    """Download and verify every artifact; unpack Trino. Returns (downloaded, cached)."""
    manifest = load_manifest(settings.root / "infra" / "artifacts.yaml")
    cache = ArtifactCache(settings.cache_dir, settings.maven.repository, settings.maven.timeout_seconds)
    todo = [a for a in manifest if not cache.is_verified(a)]
    downloaded = 0
    if todo:
        with Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), transient=False,
        ) as progress:
            tasks: dict[str, int] = {}

            def report(name: str, done: int, total: int | None) -> None:
                if name not in tasks:
                    tasks[name] = progress.add_task(name, total=total)
                progress.update(tasks[name], completed=done)

            for a in todo:
                cache.ensure(a, report)
                downloaded += 1
    for a in manifest:
        if a.extract:
            tarball = cache.path(a)
            plugins = [f"plugin/{p}/" for p in settings.trino.plugins]
            dest = settings.cache_dir / "trino" / tarball.name.removesuffix(".tar.gz")
            stamp = f"{a.sha1 or ''}:{','.join(sorted(plugins))}"
            t = time.monotonic()
            top, now = extract_tarball(tarball, dest, ["bin/", "lib/", "NOTICE", *plugins], stamp)
            if now:
                echo(f"unpacked {top.name} (lib, bin, {', '.join(settings.trino.plugins)}) "
                     f"in {time.monotonic() - t:.0f}s")
    return downloaded, len(manifest) - downloaded


def run_setup(settings: Settings, echo: Echo = print, verify: bool = False) -> None:
    t0 = time.monotonic()
    for d in (settings.state_dir, settings.cache_dir):
        d.mkdir(parents=True, exist_ok=True)
    # Java: fail early with one sentence when a JDK is missing.
    j17, jt = spark_jdk(settings.java), trino_jdk(settings.java)
    echo(f"Java for Spark + metastore: {j17.version} ({j17.home})")
    echo(f"Java for Trino: {jt.version} ({jt.home})")
    echo(ensure_postgres_installed(settings, echo))
    echo(ensure_chromium(echo))
    if msg := ensure_os_user(settings):
        echo(msg)
    if not shutil.which("setpriv") and os.geteuid() == 0:
        raise PlatformError("setpriv (util-linux) is needed to run PostgreSQL as a non-root user")
    try:
        downloaded, cached = ensure_artifacts(settings, echo)
    except ArtifactError as e:
        raise PlatformError(str(e)) from e
    echo(f"JVM artifacts: {downloaded} downloaded, {cached} already verified in {settings.cache_dir}")
    if verify:
        cache = ArtifactCache(settings.cache_dir, settings.maven.repository)
        bad = [a.name for a in load_manifest(settings.root / "infra" / "artifacts.yaml")
               if not cache.verify_now(a)]
        if bad:
            raise PlatformError(f"cached artifacts fail their checksum: {', '.join(bad)}; delete and re-run")
        echo("re-hashed every cached artifact: all match")
    secret(settings, "postgres_password")
    echo(f"setup done in {time.monotonic() - t0:.1f}s (state: {settings.state_dir})")
