"""One PostgreSQL server and one local Spark per test run, shared by every engine test.

Neither is ever skipped: an engine that cannot start fails the tests that need it (``make test``
installs what they need, see the Makefile's ``engines`` target).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from itpcohort.engines import connect_engine, spark_session
from tests.engines.servers import PostgresServer, postgres_server


@pytest.fixture(scope="session")
def postgres_server_address() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this test run (``servers.postgres_server``)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_backend(postgres_server_address: PostgresServer) -> Iterator[Any]:
    """An Ibis PostgreSQL backend on the server of this test run."""
    server = postgres_server_address
    backend = connect_engine(
        "postgres", host=server.host, port=server.port, user=server.user, dbname=server.database
    )
    try:
        yield backend
    finally:
        backend.disconnect()


@pytest.fixture(scope="session")
def spark_backend() -> Iterator[Any]:
    """An Ibis PySpark backend on a ``local[2]`` session started for this test run."""
    session = spark_session()
    try:
        yield connect_engine("spark", session=session)
    finally:
        session.stop()


@pytest.fixture(scope="session")
def engine_backends(postgres_backend: Any, spark_backend: Any) -> dict[str, Any]:
    """Every engine of ``store.engines.ENGINES``, by name."""
    return {
        "duckdb": connect_engine("duckdb"),
        "postgres": postgres_backend,
        "spark": spark_backend,
    }
