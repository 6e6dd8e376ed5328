"""Prometheus metrics: requests and latency by route template and status, database pool usage.

Each app gets its own registry, so two apps in one process (tests) never share counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


class _PoolCollector(Collector):
    def __init__(self, pool_status: Callable[[], dict[str, int]]) -> None:
        self._pool_status = pool_status

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "kronos_db_pool_connections", "Database pool connections by state.", labels=["state"]
        )
        try:
            status = self._pool_status()
        except RuntimeError:  # no database yet (before startup or after shutdown)
            status = {}
        for state, value in status.items():
            family.add_metric([state], value)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kronos_http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kronos_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "kronos_http_requests_in_progress", "HTTP requests being served.", registry=self.registry
        )

        # Label children by label values: ``labels()`` takes a lock and checks its arguments on every call;
        # a request needs only a dict lookup. Bounded by the routes' templates (never raw paths).
        self._requests: dict[tuple[str, str, int], Counter] = {}
        self._latency: dict[tuple[str, str], Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request and record its latency."""
        counter = self._requests.get((method, route, status))
        if counter is None:
            counter = self._requests[(method, route, status)] = self.requests.labels(
                method, route, str(status)
            )
        counter.inc()
        histogram = self._latency.get((method, route))
        if histogram is None:
            histogram = self._latency[(method, route)] = self.latency.labels(method, route)
        histogram.observe(seconds)

    def watch_pool(self, pool_status: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_PoolCollector(pool_status))
