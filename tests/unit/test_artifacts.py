import hashlib
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from govlake.artifacts import Artifact, ArtifactCache, ArtifactError, extract_tarball, load_manifest
from govlake.settings import project_root


class QuietHandler(SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        QuietHandler.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def repo(tmp_path):
    """A Maven-layout repository served over HTTP on loopback."""
    root = tmp_path / "repo"
    root.mkdir()
    QuietHandler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def publish(root: Path, a: Artifact, content: bytes, sha1: str | None = None) -> str:
    p = root / a.relpath
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content)
    digest = hashlib.sha1(content).hexdigest()
    (p.parent / (p.name + ".sha1")).write_text(f"{sha1 or digest}  {p.name}\n")
    return digest


def test_coordinates_resolve_to_maven_paths():
    a = Artifact.parse("cli", "io.trino:trino-cli:476:jar:executable")
    assert a.relpath == "io/trino/trino-cli/476/trino-cli-476-executable.jar"
    assert a.url("https://repo1.maven.org/maven2/") == (
        "https://repo1.maven.org/maven2/io/trino/trino-cli/476/trino-cli-476-executable.jar"
    )
    t = Artifact.parse("server", "io.trino:trino-server:476:tar.gz")
    assert t.filename == "trino-server-476.tar.gz"
    assert Artifact.parse("d", "io.delta:delta-spark_4.1_2.13:4.1.0").filename == "delta-spark_4.1_2.13-4.1.0.jar"
    with pytest.raises(ArtifactError, match="bad coordinate"):
        Artifact.parse("x", "io.trino:trino-cli")


def test_project_manifest_pins_every_artifact():
    manifest = load_manifest(project_root() / "infra" / "artifacts.yaml")
    names = {a.name for a in manifest}
    assert {"delta-spark", "delta-storage", "trino-server", "trino-cli", "trino-jdbc", "postgresql-jdbc"} <= names
    assert all(a.sha1 and len(a.sha1) == 40 for a in manifest)
    assert {a.version for a in manifest if a.group == "io.trino"} == {"476"}


def test_download_verifies_and_a_warm_cache_makes_no_request(repo, tmp_path):
    root, url = repo
    a = Artifact.parse("lib", "org.example:lib:1.0")
    digest = publish(root, a, b"jar bytes" * 1000)
    a = Artifact.parse("lib", "org.example:lib:1.0", sha1=digest)
    cache = ArtifactCache(tmp_path / "cache", url)
    seen = []
    path, downloaded = cache.ensure(a, lambda n, done, total: seen.append((done, total)))
    assert downloaded and path.read_bytes() == b"jar bytes" * 1000
    assert seen[-1] == (9000, 9000)
    assert cache.is_verified(a) and cache.verify_now(a)
    before = len(QuietHandler.requests)
    path2, downloaded2 = cache.ensure(a)
    assert path2 == path and not downloaded2
    assert len(QuietHandler.requests) == before  # no network on a warm cache


def test_checksum_mismatch_is_refused_and_nothing_is_kept(repo, tmp_path):
    root, url = repo
    a = Artifact.parse("lib", "org.example:lib:2.0")
    publish(root, a, b"tampered content", sha1="0" * 40)
    cache = ArtifactCache(tmp_path / "cache", url)
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        cache.ensure(a)
    assert not cache.path(a).exists()
    assert not list(cache.path(a).parent.glob("*.part"))
    assert not cache.is_verified(a)


def test_pin_disagreeing_with_the_repository_is_refused(repo, tmp_path):
    root, url = repo
    a = Artifact.parse("lib", "org.example:lib:3.0")
    publish(root, a, b"new upstream file")
    pinned = Artifact.parse("lib", "org.example:lib:3.0", sha1="1" * 40)
    with pytest.raises(ArtifactError, match="pins"):
        ArtifactCache(tmp_path / "cache", url).ensure(pinned)


def test_a_changed_cached_file_is_no_longer_verified(repo, tmp_path):
    root, url = repo
    a = Artifact.parse("lib", "org.example:lib:4.0")
    publish(root, a, b"original")
    cache = ArtifactCache(tmp_path / "cache", url)
    path, _ = cache.ensure(a)
    path.write_bytes(b"corrupted on disk")
    assert not cache.is_verified(a)
    assert not cache.verify_now(a)


def test_missing_artifact_is_a_clear_error(repo, tmp_path):
    _, url = repo
    with pytest.raises(ArtifactError, match=r"cannot fetch .*\.sha1"):
        ArtifactCache(tmp_path / "cache", url).ensure(Artifact.parse("x", "org.example:absent:1.0"))


def test_tarball_extraction_keeps_selected_members_and_materialises_hard_links(tmp_path):
    import tarfile

    src = tmp_path / "src" / "server-1"
    (src / "plugin" / "a").mkdir(parents=True)
    (src / "plugin" / "b").mkdir(parents=True)
    (src / "lib").mkdir()
    (src / "lib" / "core.jar").write_bytes(b"core")
    (src / "plugin" / "a" / "shared.jar").write_bytes(b"shared")
    (src / "plugin" / "b" / "shared.jar").hardlink_to(src / "plugin" / "a" / "shared.jar")
    tarball = tmp_path / "server-1.tar.gz"
    with tarfile.open(tarball, "w:gz") as tf:
        tf.add(src, arcname="server-1")
    top, now = extract_tarball(tarball, tmp_path / "out", ["lib/", "plugin/b/"], stamp="v1")
    assert now and top.name == "server-1"
    assert (top / "lib" / "core.jar").read_bytes() == b"core"
    assert (top / "plugin" / "b" / "shared.jar").read_bytes() == b"shared"  # link target was left out
    assert not (top / "plugin" / "a").exists()
    top2, now2 = extract_tarball(tarball, tmp_path / "out", ["lib/", "plugin/b/"], stamp="v1")
    assert top2 == top and not now2
