import stat
from pathlib import Path

from govlake.secrets import secret, secret_path
from govlake.settings import load_settings


def settings_in(tmp_path):
    return load_settings(paths={"state_dir": tmp_path / "state", "cache_dir": tmp_path / "cache"})


def test_a_local_secret_is_generated_once_private_and_stable(tmp_path):
    s = settings_in(tmp_path)
    first = secret(s, "api_token")
    assert len(first) >= 24 and secret(s, "api_token") == first
    path = s.secrets_dir / "api_token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_environment_wins_and_the_file_follows_it(tmp_path, monkeypatch):
    s = settings_in(tmp_path)
    assert secret(s, "postgres_password") != "from-the-vault"
    monkeypatch.setenv("GOVLAKE_SECRET_POSTGRES_PASSWORD", "from-the-vault")
    assert secret(s, "postgres_password") == "from-the-vault"
    path = secret_path(s, "postgres_password")
    assert Path(path).read_text() == "from-the-vault"
