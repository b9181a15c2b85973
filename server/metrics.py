"""Prometheus metrics of one app instance (its own registry, so tests do not collide)."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from server.errors import Handler

REGISTRY = CollectorRegistry()
REQUESTS = Counter("redhall_http_requests_total", "HTTP requests", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("redhall_http_request_seconds", "HTTP request latency", ["route"],
                    registry=REGISTRY)


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
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        REQUESTS.labels(request.method, name, str(status)).inc()
        LATENCY.labels(name).observe(time.perf_counter() - started)
