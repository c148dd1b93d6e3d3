"""GET /metrics: Prometheus text with bounded labels."""

from tests.app.helpers import run


def test_metrics_count_requests_runs_sessions_and_errors(client, session_id):
    run(client, session_id, "y = 1 + 2\ny")
    client.get("/v1/sessions/s_unknown")
    text = client.get("/metrics").text
    assert 'autograd_http_requests_total{method="POST",route="/v1/sessions/{session_id}/run",' \
           'status="200"} 1.0' in text
    assert 'route="/v1/sessions/{session_id}",status="404"' in text
    assert 'autograd_errors_total{code="not_found"} 1.0' in text
    assert 'autograd_run_duration_seconds_count{endpoint="run",outcome="ok"} 1.0' in text
    assert "autograd_run_steps_count" in text
    assert "autograd_sessions_alive 1.0" in text
    assert session_id not in text


def test_unmatched_paths_share_one_label(client):
    client.get("/nope/1")
    client.get("/nope/2")
    assert 'route="unmatched",status="404"} 2.0' in client.get("/metrics").text


def test_metrics_are_open_with_auth_on(make_client):
    assert make_client(api_keys=["k"]).get("/metrics").status_code == 200


def test_each_app_has_its_own_registry(make_client):
    first, second = make_client(), make_client()
    first.get("/v1/health/live")
    assert 'route="/v1/health/live"' not in second.get("/metrics").text
