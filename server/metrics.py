"""Prometheus metrics of one app instance (its own registry, so tests do not collide)."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from server.errors import Handler, answered_status

REGISTRY = CollectorRegistry()
REQUESTS = Counter("redhall_http_requests_total", "HTTP requests", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("redhall_http_request_seconds", "HTTP request latency", ["route"],
                    registry=REGISTRY)
# a live tour's 20 Hz pose tick: how late each ran (time the event loop was busy elsewhere),
# how long it took, and the ticks lost when it fell a whole tick behind
TICK_LATENESS = Histogram("redhall_tour_tick_lateness_seconds", "Pose tick start lateness",
                          buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
                          registry=REGISTRY)
TICK_SECONDS = Histogram("redhall_tour_tick_seconds", "Pose tick duration",
                         buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1), registry=REGISTRY)
TICKS_LOST = Counter("redhall_tour_ticks_lost_total", "Pose ticks skipped after falling "
                     "behind", registry=REGISTRY)


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except Exception as exc:
        status = answered_status(exc)
        raise
    finally:
        REQUESTS.labels(request.method, name, str(status)).inc()
        LATENCY.labels(name).observe(time.perf_counter() - started)
