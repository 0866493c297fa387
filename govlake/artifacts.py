"""JVM artifacts from Maven Central: resolve, download with progress, verify, cache, unpack.

A cached artifact carries a ``<file>.verified`` marker (sha1, size, mtime) written only after its
checksum matched both the ``.sha1`` Maven Central publishes and the sha1 pinned in
``infra/artifacts.yaml``. A warm cache is therefore checked without any network request.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from govlake.errors import GovlakeError

if TYPE_CHECKING:
    from govlake.settings import Settings

CHUNK = 1 << 20


class ArtifactError(GovlakeError):
    """An artifact that cannot be downloaded or does not verify."""


@dataclass(frozen=True)
class Artifact:
    name: str
    group: str
    artifact: str
    version: str
    extension: str = "jar"
    classifier: str | None = None
    sha1: str | None = None
    used_by: str = ""
    extract: bool = False

    @classmethod
    def parse(cls, name: str, coordinate: str, **kw) -> Artifact:
        parts = coordinate.split(":")
        if not 3 <= len(parts) <= 5 or not all(parts):
            raise ArtifactError(
                f"bad coordinate {coordinate!r} for {name}: expected group:artifact:version[:ext[:classifier]]"
            )
        group, artifact, version, *rest = parts
        ext = rest[0] if rest else "jar"
        classifier = rest[1] if len(rest) > 1 else None
        return cls(name, group, artifact, version, ext, classifier, **kw)

    @property
    def coordinate(self) -> str:
        tail = f":{self.extension}" + (f":{self.classifier}" if self.classifier else "")
        return f"{self.group}:{self.artifact}:{self.version}{tail}"

    @property
    def filename(self) -> str:
        cls = f"-{self.classifier}" if self.classifier else ""
        return f"{self.artifact}-{self.version}{cls}.{self.extension}"

    @property
    def relpath(self) -> str:
        """Path inside a Maven repository (and inside the cache)."""
        return f"{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.filename}"

    def url(self, repository: str) -> str:
        return f"{repository.rstrip('/')}/{self.relpath}"


def load_manifest(path: Path) -> list[Artifact]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for entry in data.get("artifacts", []):
        entry = dict(entry)
        out.append(Artifact.parse(entry.pop("name"), entry.pop("coordinate"), **entry))
    names = [a.name for a in out]
    if len(set(names)) != len(names):
        raise ArtifactError(f"duplicate artifact names in {path}")
    return out


def _file_sha1(path: Path) -> str:
    h = hashlib.sha1()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


ProgressFn = Callable[[str, int, int | None], None]
"""progress(name, bytes_done, bytes_total_or_None)"""


class ArtifactCache:
    def __init__(self, cache_dir: Path, repository: str, timeout: float = 60.0):
        self.root = Path(cache_dir) / "maven"
        self.repository = repository
        self.timeout = timeout

    def path(self, a: Artifact) -> Path:
        return self.root / a.relpath

    def _marker(self, a: Artifact) -> Path:
        return self.path(a).with_name(self.path(a).name + ".verified")

    def is_verified(self, a: Artifact) -> bool:
        """True when the cached file is the one we verified (no hashing, no network)."""
        p, m = self.path(a), self._marker(a)
        if not (p.is_file() and m.is_file()):
            return False
        try:
            info = json.loads(m.read_text())
        except ValueError:
            return False
        st = p.stat()
        return (
            info.get("size") == st.st_size
            and info.get("mtime_ns") == st.st_mtime_ns
            and (a.sha1 is None or info.get("sha1") == a.sha1)
        )

    def _fetch_text(self, url: str) -> str:
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as r:
                return r.read().decode("ascii", "replace")
        except (urllib.error.URLError, OSError) as e:
            raise ArtifactError(f"cannot fetch {url}: {e}") from e

    def published_sha1(self, a: Artifact) -> str:
        text = self._fetch_text(a.url(self.repository) + ".sha1").strip()
        digest = text.split()[0].lower() if text else ""
        if len(digest) != 40 or any(c not in "0123456789abcdef" for c in digest):
            raise ArtifactError(f"{a.coordinate}: the repository's .sha1 is not a sha1: {text[:60]!r}")
        return digest

    def ensure(self, a: Artifact, progress: ProgressFn | None = None) -> tuple[Path, bool]:
        """Return (path, downloaded). Downloads and verifies unless already verified."""
        if self.is_verified(a):
            return self.path(a), False
        expected = self.published_sha1(a)
        if a.sha1 and a.sha1 != expected:
            raise ArtifactError(
                f"{a.coordinate}: Maven Central publishes sha1 {expected} but infra/artifacts.yaml pins "
                f"{a.sha1}; refusing (update the pin only if the new file is trusted)"
            )
        dest = self.path(a)
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        h = hashlib.sha1()
        url = a.url(self.repository)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as r, part.open("wb") as out:
                total = r.headers.get("Content-Length")
                total_i = int(total) if total and total.isdigit() else None
                done = 0
                while chunk := r.read(CHUNK):
                    out.write(chunk)
                    h.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(a.name, done, total_i)
        except (urllib.error.URLError, OSError) as e:
            part.unlink(missing_ok=True)
            raise ArtifactError(f"cannot download {url}: {e}") from e
        got = h.hexdigest()
        if got != expected:
            part.unlink(missing_ok=True)
            raise ArtifactError(
                f"{a.coordinate}: checksum mismatch (downloaded sha1 {got}, published {expected}); "
                "the partial file was removed"
            )
        part.replace(dest)
        st = dest.stat()
        self._marker(a).write_text(
            json.dumps({"sha1": got, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "url": url})
        )
        return dest, True

    def verify_now(self, a: Artifact) -> bool:
        """Re-hash the cached file against its marker (used by `govlake setup --verify`)."""
        p, m = self.path(a), self._marker(a)
        if not (p.is_file() and m.is_file()):
            return False
        return json.loads(m.read_text()).get("sha1") == _file_sha1(p)


def extract_tarball(
    tarball: Path, dest: Path, keep_prefixes: Iterable[str], stamp: str
) -> tuple[Path, bool]:
    """Unpack the members of ``tarball`` under ``keep_prefixes`` (relative to its top folder).

    Hard links that point to members left out are materialised as files (Trino's tarball links
    jars across plugin folders). Returns (top folder, extracted_now). A stamp file makes a second
    call a no-op.
    """
    stamp_file = dest / ".extracted"
    if stamp_file.is_file() and stamp_file.read_text() == stamp:
        tops = [p for p in dest.iterdir() if p.is_dir()]
        if len(tops) == 1:
            return tops[0], False
    if dest.exists():
        shutil.rmtree(dest)
    tmp = dest.with_name(dest.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    prefixes = tuple(keep_prefixes)

    def kept(name: str) -> bool:
        _, _, rest = name.partition("/")
        return bool(rest) and rest.startswith(prefixes)

    with tarfile.open(tarball) as tf:
        members = tf.getmembers()
        top = members[0].name.partition("/")[0] if members else None
        wanted = {m.name for m in members if kept(m.name)}
        if not wanted or top is None:
            raise ArtifactError(f"{tarball.name}: none of {prefixes} found in the archive")
        # Hard-link targets outside the kept folders are extracted too, so that one sequential pass
        # suffices (a gzip stream cannot seek back), and removed afterwards: the links keep the data.
        link_targets = {m.linkname for m in members if m.name in wanted and m.islnk()}
        chosen = [m for m in members if m.name in wanted or m.name in link_targets]
        tf.extractall(tmp, members=chosen, filter="data")
    for name in sorted(link_targets - wanted, reverse=True):
        (tmp / name).unlink(missing_ok=True)
    for d in sorted((p for p in tmp.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):  # folders left empty by that removal
            d.rmdir()
    tmp.replace(dest)
    stamp_file.write_text(stamp)
    return dest / top, True


def artifact_path(settings: Settings, name: str) -> Path:
    """The verified cached file of the artifact ``name`` in ``infra/artifacts.yaml``."""
    cache = ArtifactCache(settings.cache_dir, settings.maven.repository)
    for a in load_manifest(settings.root / "infra" / "artifacts.yaml"):
        if a.name == name:
            if not cache.is_verified(a):
                raise ArtifactError(f"{a.coordinate} is not in the cache yet: run `make setup` first.")
            return cache.path(a)
    raise ArtifactError(f"artifact {name!r} is not listed in infra/artifacts.yaml")


def pyspark_jars_dir() -> Path:
    """The jars folder of the installed pyspark package (Spark, Hive metastore 2.3, DataNucleus)."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise ArtifactError("pyspark is not installed in this environment: run `make setup`.")
    return Path(spec.origin).parent / "jars"
