"""Prometheus metrics, one registry per app instance (tests build many apps in one process).

Labels are bounded: route *templates*, status codes, error codes, endpoint names. Never a
session id, a variable name or an API key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric

RUN_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STEP_BUCKETS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)


class ReplicaRegistry(CollectorRegistry):
    """A registry whose every sample carries ``replica="<name>"`` (one of many replicas: their
    metrics stay apart wherever they are collected together)."""

    def __init__(self, replica: str) -> None:
        super().__init__(auto_describe=True)
        self.replica = replica

    def collect(self) -> Iterator[Metric]:
        for metric in super().collect():
            labelled = Metric(metric.name, metric.documentation, metric.type, metric.unit)
            labelled.samples = [sample._replace(labels={**sample.labels,
                                                        "replica": self.replica})
                                for sample in metric.samples]
            yield labelled


class Metrics:
    def __init__(self, replica: str | None = None) -> None:
        """``replica``: label every metric with this replica's name."""
        self.registry = (ReplicaRegistry(replica) if replica
                         else CollectorRegistry(auto_describe=True))
        self.requests = Counter(
            "autograd_http_requests_total", "HTTP requests by method, route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.request_seconds = Histogram(
            "autograd_http_request_duration_seconds", "Time to answer an HTTP request.",
            ["method", "route"], buckets=RUN_BUCKETS, registry=self.registry,
        )
        self.run_seconds = Histogram(
            "autograd_run_duration_seconds", "Time a program ran (excluding queueing).",
            ["endpoint", "outcome"], buckets=RUN_BUCKETS, registry=self.registry,
        )
        self.run_steps = Histogram(
            "autograd_run_steps", "Steps a successful program took.", ["endpoint"],
            buckets=STEP_BUCKETS, registry=self.registry,
        )
        self.sessions_alive = Gauge(
            "autograd_sessions_alive", "Sessions currently alive.", registry=self.registry,
        )
        self.sessions_created = Counter(
            "autograd_sessions_created_total", "Sessions created.", registry=self.registry,
        )
        self.sessions_expired = Counter(
            "autograd_sessions_expired_total", "Sessions ended by their idle TTL.",
            registry=self.registry,
        )
        self.hosts_started = Counter(
            "autograd_hosts_started_total", "Session host processes started.",
            registry=self.registry,
        )
        self.host_exits = Counter(
            "autograd_host_exits_total", "Session hosts that ended: killed (past a deadline, "
            "at shutdown) or died.", ["reason"], registry=self.registry,
        )
        self.hosts_alive = Gauge(
            "autograd_hosts_alive", "Session host processes alive.", registry=self.registry,
        )
        self.restore_seconds = Histogram(
            "autograd_session_restore_duration_seconds",
            "Time a host took to restore a session from the store (replay).",
            buckets=RUN_BUCKETS, registry=self.registry,
        )
        self.errors = Counter(
            "autograd_errors_total", "Error replies by problem code.", ["code"],
            registry=self.registry,
        )

        # labelled children by (method, route, status): ``labels()`` re-validates its
        # arguments on every call, a few µs per request; same cardinality as the metrics
        self._request_children: dict[tuple[str, str, int], tuple] = {}
        self._run_children: dict[str, tuple] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = self._request_children[key] = (
                self.requests.labels(method=method, route=route, status=str(status)),
                self.request_seconds.labels(method=method, route=route))
        children[0].inc()
        children[1].observe(seconds)

    def observe_run(self, endpoint: str, seconds: float, steps: int) -> None:
        """A run that finished without error."""
        children = self._run_children.get(endpoint)
        if children is None:
            children = self._run_children[endpoint] = (
                self.run_seconds.labels(endpoint=endpoint, outcome="ok"),
                self.run_steps.labels(endpoint=endpoint))
        children[0].observe(seconds)
        children[1].observe(steps)

    def track_sessions(self, count: Callable[[], int]) -> None:
        self.sessions_alive.set_function(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
