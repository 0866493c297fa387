"""Find the JDKs govlake needs: Java 17 for Spark and the metastore, Java >= 24 for Trino 476."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from govlake.errors import GovlakeError
from govlake.settings import JavaSettings


class JavaNotFound(GovlakeError):
    """No suitable JDK; the message is one sentence naming what is needed."""


@dataclass(frozen=True)
class Jdk:
    home: Path
    major: int
    version: str

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"


def read_jdk(home: Path) -> Jdk | None:
    """A JDK described by its ``release`` file, or None when ``home`` is not a usable JDK."""
    release = home / "release"
    if not (home / "bin" / "java").is_file() or not release.is_file():
        return None
    m = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.M)
    if not m:
        return None
    version = m.group(1)
    head = version.split(".")[0]
    major = int(version.split(".")[1]) if head == "1" else int(re.sub(r"\D.*", "", head) or 0)
    return Jdk(home.resolve(), major, version)


def installed_jdks(search_dirs: list[Path]) -> list[Jdk]:
    seen: dict[Path, Jdk] = {}
    for d in search_dirs:
        if not d.is_dir():
            continue
        for child in sorted(d.iterdir()):
            jdk = read_jdk(child)
            if jdk and jdk.home not in seen:
                seen[jdk.home] = jdk
    return sorted(seen.values(), key=lambda j: (j.major, j.version))


def spark_jdk(cfg: JavaSettings) -> Jdk:
    if cfg.spark_home:
        jdk = read_jdk(cfg.spark_home)
        if not jdk or jdk.major != cfg.spark_major:
            raise JavaNotFound(
                f"java.spark_home={cfg.spark_home} is not a Java {cfg.spark_major} JDK, "
                f"which Spark and the Hive Metastore need."
            )
        return jdk
    for jdk in installed_jdks(cfg.search_dirs):
        if jdk.major == cfg.spark_major:
            return jdk
    raise JavaNotFound(
        f"Spark and the Hive Metastore need a Java {cfg.spark_major} JDK and none was found in "
        f"{', '.join(map(str, cfg.search_dirs))}: install openjdk-{cfg.spark_major}-jdk-headless "
        f"or set GOVLAKE_JAVA__SPARK_HOME."
    )


def trino_jdk(cfg: JavaSettings) -> Jdk:
    if cfg.trino_home:
        jdk = read_jdk(cfg.trino_home)
        if not jdk or jdk.major < cfg.trino_min_major:
            raise JavaNotFound(
                f"java.trino_home={cfg.trino_home} is not a Java >= {cfg.trino_min_major} JDK, "
                f"which Trino 476 needs."
            )
        return jdk
    candidates = [j for j in installed_jdks(cfg.search_dirs) if j.major >= cfg.trino_min_major]
    if candidates:
        return candidates[-1]
    raise JavaNotFound(
        f"Trino 476 needs a Java >= {cfg.trino_min_major} JDK and none was found in "
        f"{', '.join(map(str, cfg.search_dirs))}: install a Temurin 25 JDK "
        f"(temurin-25-jdk) or set GOVLAKE_JAVA__TRINO_HOME."
    )
