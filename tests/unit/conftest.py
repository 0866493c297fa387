import pytest

from govlake_sim.sandbox import ENV as SANDBOX_ENV


@pytest.fixture(autouse=True)
def _no_sandbox_settings(monkeypatch):
    """Unit tests see the real schemas: an integration fixture of the same run (the gold world's
    sandbox) keeps its private schemas, urban database and police API port in the environment for the
    whole session. A test that needs one of these sets it itself."""
    for key in (*SANDBOX_ENV, "GOVLAKE_FEEDS__OUT_DIR"):
        monkeypatch.delenv(key, raising=False)
