import uuid

import pytest

from govlake import platform


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def platform_is_up():
    """Integration tests use the real services; `make test` starts them."""
    from govlake.settings import load_settings

    rows = platform.status(load_settings())
    down = [f"{r.name} ({r.detail})" for r in rows if not r.healthy]
    if down:
        pytest.fail(f"platform not healthy: {', '.join(down)} — run `make up` (make test does it for you)")


@pytest.fixture
def table_name(spark):
    """A unique table in ops, dropped afterwards."""
    name = f"ops.it_{uuid.uuid4().hex[:10]}"
    yield name
    spark.sql(f"DROP TABLE IF EXISTS {name}")
