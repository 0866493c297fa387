"""Generated local secrets (git-ignored state under ``<state>/secrets``), created on first use.

A leaf module: jobs, services and the simulator read a secret here without importing the
service-management code.
"""

from __future__ import annotations

import os
import secrets

from govlake.settings import Settings


def secret(settings: Settings, name: str, nbytes: int = 24) -> str:
    """The secret ``name``, generated (``nbytes`` random bytes, URL-safe) the first time it is asked for."""
    path = settings.secrets_dir / name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def secret_path(settings: Settings, name: str, nbytes: int = 24) -> str:
    """The file holding secret ``name`` (created when absent), for programs that read it themselves."""
    secret(settings, name, nbytes)
    return str(settings.secrets_dir / name)
