"""Scale-out fixtures: PostgreSQL, Redis and nginx must be there in CI; locally they skip with a reason."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scale.cluster import Cluster, fresh_database, need, nginx_binary, postgres_problem, redis_problem


@pytest.fixture
def postgres_url() -> Iterator[str]:
    problem = postgres_problem()
    need(problem is None, problem or "")
    with fresh_database() as url:
        yield url


@pytest.fixture
def nginx_ok() -> None:
    need(nginx_binary() is not None, "nginx is not installed (apt-get install nginx-light)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Shared by a module's tests (starting one costs seconds); a test that kills a worker goes last."""
    for problem in (postgres_problem(), redis_problem()):
        need(problem is None, problem or "")
    need(nginx_binary() is not None, "nginx is not installed (apt-get install nginx-light)")
    with fresh_database() as url:
        c = Cluster(tmp_path_factory.mktemp("cluster"), url, workers=2)
        try:
            yield c
        finally:
            c.close()
