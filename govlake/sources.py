"""How govlake reaches the departments' own systems (the pull-mode feeds), all from settings.

- ``department_db``: a read connection to a department database (``feeds.urban_db`` by default), on
  the configured PostgreSQL with the project credentials. govlake only reads it (watermark queries).
- ``police_api``: base URL and bearer token of the police HTTP API (cursor pulls).

On a real deployment these point at the departments' systems; locally the simulator's stand-ins
(``govlake-sim up``) answer on the same addresses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govlake.platform.process import PlatformError, port_open
from govlake.secrets import secret
from govlake.settings import Settings

if TYPE_CHECKING:
    import psycopg


def department_db(settings: Settings, dbname: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    """Connect to the department database ``dbname`` (default ``settings.feeds.urban_db``)."""
    import psycopg

    pg = settings.postgres
    name = dbname or settings.feeds.urban_db
    if not port_open(pg.host, pg.port):
        raise PlatformError(f"PostgreSQL is not running on {pg.host}:{pg.port}: run `make up` first.")
    try:
        return psycopg.connect(host=pg.host, port=pg.port, user=pg.superuser,
                               password=secret(settings, "postgres_password"), dbname=name,
                               autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as e:
        raise PlatformError(f"cannot connect to the department database {name!r} on {pg.host}:{pg.port}: "
                            f"{str(e).strip().splitlines()[-1]}") from e


def police_api(settings: Settings) -> tuple[str, str]:
    """(base URL, bearer token) of the police incidents API."""
    f = settings.feeds
    return (f"{f.police_api_scheme}://{f.police_api_host}:{f.police_api_port}",
            secret(settings, "police_api_token"))
