"""Schemathesis against the service's OpenAPI schema: generated requests to every operation
(bounded: a few examples each) never get a 5xx. Runs are stand-ins that fail at once, so the
property is about the service, not the model."""

from __future__ import annotations

from pathlib import Path

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error

import web_helpers
from corredor.web import ServeSettings, create_app
from corredor.web.jobs import JobManager

pytestmark = pytest.mark.xdist_group("web-schema")

_store = Path(__import__("tempfile").mkdtemp(prefix="corredor-schema-"))
_settings = ServeSettings(store=_store, extra_hosts=("testserver", "localhost"), warm=False)
_jobs = JobManager(_store, warm=False, runner=web_helpers.instant_fail, queue_limit=50)
app = create_app(_settings, jobs=_jobs)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> object:
    with TestClient(app):  # starts and stops the worker pool
        yield


@schema.exclude(path_regex=r"/events$").parametrize()
@hypothesis.settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_no_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])


def test_progress_stream_of_an_unknown_job_is_a_404() -> None:
    with TestClient(app) as c:
        assert c.get("/api/jobs/job-%00/events").status_code in (404, 422)


def test_generated_requests_reach_the_handlers() -> None:
    """Not all refused at the door (host check, token): the property above means something."""
    op = schema["/api/health"]["GET"]
    case = op.Case()
    assert case.call().status_code == 200
