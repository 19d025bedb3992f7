from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _database
from tests.faults.phones import FaultServer


@pytest.fixture
def fault_server(tmp_path: Path) -> Iterator[FaultServer]:
    """A gevent `facilitator serve` on a file database: SQLite in the test's folder, or with
    FACILITATOR_TEST_DATABASE_URL a fresh PostgreSQL schema."""
    database, finish = _database(tmp_path)
    instance = tmp_path / "instance"
    instance.mkdir()
    server = FaultServer(instance, database["SQLALCHEMY_DATABASE_URI"]).start()
    try:
        yield server
    finally:
        server.stop()
        finish(lambda: None)
