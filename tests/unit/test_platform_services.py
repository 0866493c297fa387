"""The platform's services: start order, and each one's address and port variable from its settings section."""

import pytest

from govlake import platform
from govlake.platform.metastore import Metastore
from govlake.platform.postgres import Postgres
from govlake.platform.service import Service
from govlake.platform.spark_connect import SparkConnect
from govlake.platform.spark_thrift import SparkThrift
from govlake.platform.trino import Trino
from govlake.settings import load_settings


def test_services_start_in_dependency_order_and_thrift_only_when_dbt_uses_it(settings):
    settings.dbt.start_thrift, settings.dbt.method = False, "session"
    airflow = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]
    assert [s.name for s in platform.services(settings)] == ["postgres", "metastore", "trino", "spark-connect",
                                                             *airflow]
    settings.dbt.method = "thrift"
    assert [s.name for s in platform.services(settings)] == ["postgres", "metastore", "trino", "spark-connect",
                                                             "spark-thrift", *airflow]
    settings.airflow.start, settings.spark_connect.start, settings.dbt.method = False, False, "session"
    assert [type(s) for s in platform.services(settings)] == [Postgres, Metastore, Trino]


@pytest.mark.parametrize(("cls", "variable", "address"), [
    (Postgres, "GOVLAKE_POSTGRES__PORT", lambda s: (s.postgres.host, s.postgres.port)),
    (Metastore, "GOVLAKE_METASTORE__PORT", lambda s: (s.metastore.host, s.metastore.port)),
    (Trino, "GOVLAKE_TRINO__PORT", lambda s: (s.trino.host, s.trino.port)),
    (SparkThrift, "GOVLAKE_DBT__THRIFT_PORT", lambda s: (s.dbt.thrift_host, s.dbt.thrift_port)),
    (SparkConnect, "GOVLAKE_SPARK_CONNECT__PORT", lambda s: (s.spark_connect.host, s.spark_connect.port)),
])
def test_address_comes_from_the_section_and_the_named_variable_moves_the_port(monkeypatch, cls, variable, address):
    s = load_settings()
    svc = cls(s)
    assert (svc.host, svc.port) == address(s)
    assert svc.setting == variable
    monkeypatch.setenv(variable, "45678")
    assert cls(load_settings()).port == 45678


def test_a_service_without_a_section_says_so(settings):
    class Nameless(Service):
        name = "nameless"

    with pytest.raises(NotImplementedError, match="Nameless names no settings section"):
        _ = Nameless(settings).port
