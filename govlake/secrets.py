"""Secrets: from the environment (``GOVLAKE_SECRET_<NAME>``, e.g. ``GOVLAKE_SECRET_POSTGRES_PASSWORD``
on a cluster, injected by its secret store), else generated local files (git-ignored state under
``<state>/secrets``), created on first use.

A leaf module: jobs, services and the simulator read a secret here without importing the
service-management code.
"""

from __future__ import annotations

import os
import secrets

from govlake.settings import Settings


def secret(settings: Settings, name: str, nbytes: int = 24) -> str:
    """The secret ``name``: ``GOVLAKE_SECRET_<NAME>`` when set, else the local file, generated
    (``nbytes`` random bytes, URL-safe) the first time it is asked for."""
    from_env = os.environ.get(env_name(name))
    if from_env:
        return from_env
    path = settings.secrets_dir / name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def env_name(name: str) -> str:
    return f"GOVLAKE_SECRET_{name.upper()}"


def secret_path(settings: Settings, name: str, nbytes: int = 24) -> str:
    """The file holding secret ``name`` (created when absent), for programs that read it themselves.
    A secret given in the environment is written to that file first, so both agree."""
    path = settings.secrets_dir / name
    value = os.environ.get(env_name(name))
    if value and (not path.is_file() or path.read_text().strip() != value):
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        path.write_text(value)
        os.chmod(path, 0o600)
    secret(settings, name, nbytes)
    return str(path)
