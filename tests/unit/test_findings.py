from govlake.findings import default_defects_path
from govlake.settings import load_settings, project_root


def test_default_defects_path_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVLAKE_FEEDS__OUT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    path = default_defects_path(settings)
    assert path.is_absolute()
    assert path == settings.feeds_out_dir / "ground_truth" / "defects.jsonl"
    assert path.is_relative_to(project_root())
    assert not path.is_relative_to(tmp_path)


def test_default_defects_path_follows_a_configured_out_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVLAKE_FEEDS__OUT_DIR", str(tmp_path / "city"))
    monkeypatch.chdir(tmp_path)
    assert default_defects_path(load_settings()) == tmp_path / "city" / "ground_truth" / "defects.jsonl"
