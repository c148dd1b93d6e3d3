"""A bounded, deterministic schemathesis run against the app's own OpenAPI document:
no 5xx, and every reply matches the documented status codes, content types and schemas."""

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from app.main import create_app  # noqa: E402
from tests.app.conftest import make_settings  # noqa: E402

app = create_app(make_settings(
    max_steps=2_000, run_timeout_s=0.5, max_tensor_elements=10_000, max_loop_iterations=1_000,
    max_recursion_depth=20, max_body_bytes=256 * 1024, max_sessions=10_000,
    api_keys=["fuzz-key"],
))
AUTH = {"X-API-Key": "fuzz-key"}
# The coverage phase enumerates the recursive program schema's many variants and takes minutes;
# the examples and fuzzing phases (bounded by max_examples) are kept.
CONFIG = schemathesis.Config.from_dict({"seed": 20261125,
                                        "phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def a_session_to_aim_at():
    """Most generated session ids are unknown (404 is right); one real session is kept too."""
    from fastapi.testclient import TestClient

    TestClient(app).post("/v1/sessions", headers=AUTH)


@schema.parametrize()
@settings(max_examples=100, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_own_openapi(case):
    # A schema-valid program may still fail to compile or run (400 syntax_error/program_error
    # is the contract), so "valid data must be accepted" does not apply; everything else does.
    case.call_and_validate(headers=AUTH,
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])
