"""Trino 476, single node (coordinator and worker in one JVM), with the Delta Lake catalog on the metastore."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from govlake.artifacts import artifact_path
from govlake.java import trino_jdk
from govlake.platform.process import PlatformError
from govlake.platform.service import Service, get_json
from govlake.settings import Settings


def trino_install_dir(settings: Settings) -> Path:
    tarball = artifact_path(settings, "trino-server")
    dest = settings.cache_dir / "trino" / tarball.name.removesuffix(".tar.gz")
    found = [p for p in dest.glob("trino-server-*") if p.is_dir()] if dest.is_dir() else []
    if not found or not (dest / ".extracted").is_file():
        raise PlatformError("the Trino server is not unpacked yet: run `make setup` first.")
    return found[0]


class Trino(Service):
    name = "trino"
    section = "trino"
    start_timeout = 180.0

    @property
    def etc_dir(self) -> Path:
        return self.s.state_dir / "trino" / "etc"

    @property
    def data_dir(self) -> Path:
        return self.s.state_dir / "trino" / "data"

    def catalog_properties(self) -> dict[str, dict[str, str]]:
        return {
            self.s.trino.catalog: {
                "connector.name": "delta_lake",
                "hive.metastore.uri": self.s.metastore.uri,
                "fs.native-local.enabled": "true",
                "local.location": "/",
                "delta.register-table-procedure.enabled": "true",
            },
            "tpch": {"connector.name": "tpch"},
        }

    def prepare(self) -> None:
        t = self.s.trino
        (self.etc_dir / "catalog").mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        node_id_file = self.s.state_dir / "trino" / "node.id"
        if not node_id_file.is_file():
            node_id_file.write_text(str(uuid.uuid4()))
        install = trino_install_dir(self.s)
        props = {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(t.port),
            "discovery.uri": f"http://{t.host}:{t.port}",
            "node.internal-address": t.host,
            "query.max-memory": t.query_max_memory,
            "query.max-memory-per-node": t.query_max_memory,
            "plugin.dir": str(install / "plugin"),
            "catalog.config-dir": str(self.etc_dir / "catalog"),
            "catalog.management": "static",
        }
        (self.etc_dir / "config.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.etc_dir / "log.properties").write_text("io.trino=INFO\n")
        for cat in (self.etc_dir / "catalog").glob("*.properties"):
            cat.unlink()
        for name, cprops in self.catalog_properties().items():
            (self.etc_dir / "catalog" / f"{name}.properties").write_text(
                "".join(f"{k}={v}\n" for k, v in cprops.items())
            )

    def jvm_options(self) -> list[str]:
        return [
            "-server",
            f"-Xmx{self.s.trino.heap}",
            "-XX:InitialRAMPercentage=5",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:+HeapDumpOnOutOfMemoryError",
            f"-XX:HeapDumpPath={self.data_dir}",
            "-XX:-OmitStackTraceInFastThrow",
            "-XX:ReservedCodeCacheSize=256M",
            "-XX:PerMethodRecompilationCutoff=10000",
            "-XX:PerBytecodeRecompilationCutoff=10000",
            "-Djdk.attach.allowAttachSelf=true",
            "-Djdk.nio.maxCachedBufferSize=2000000",
            "-Dfile.encoding=UTF-8",
            "-XX:+EnableDynamicAgentLoading",
            "--add-modules=jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true",
        ]

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        jdk = trino_jdk(self.s.java)
        install = trino_install_dir(self.s)
        node_id = (self.s.state_dir / "trino" / "node.id").read_text().strip()
        cmd = [
            str(jdk.java),
            *self.jvm_options(),
            "-Dnode.environment=govlake",
            f"-Dnode.id={node_id}",
            f"-Dnode.data-dir={self.data_dir}",
            f"-Dnode.bind-ip={self.s.trino.host}",
            f"-Dconfig={self.etc_dir / 'config.properties'}",
            f"-Dlog.levels-file={self.etc_dir / 'log.properties'}",
            "-cp", str(install / "lib" / "*"),
            "io.trino.server.TrinoServer",
        ]
        return cmd, dict(os.environ, JAVA_HOME=str(jdk.home)), self.data_dir

    def health(self) -> tuple[bool, str]:
        info = get_json(f"{self.s.trino.url}/v1/info")
        if info is None:
            return False, "not answering"
        if info.get("starting"):
            return False, "starting"
        return True, f"version {info.get('nodeVersion', {}).get('version', '?')}, up {info.get('uptime', '?')}"
