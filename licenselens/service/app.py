"""``licenselens serve``: the overlap guard as an HTTP JSON service (FastAPI on uvicorn).

The index is opened once per process; checks run one at a time in a worker
thread (``OverlapIndex.check`` is not thread-safe), so ``/healthz`` and
``/metrics`` answer while a check runs; more processes (``--workers``) check in
parallel over the same memory-mapped parts. Every response body goes through
``privacy.redact``, like every other way out; bad input gets a 4xx JSON error,
an unexpected failure a 500 JSON error, never a stack trace.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from licenselens.overlap.query import OverlapIndex
from licenselens.privacy import redact
from licenselens.stamp import tool_stamp
from licenselens.types.convert import to_jsonable
from licenselens.types.overlap import OutputResult

LOG = logging.getLogger("licenselens.serve")
ENVIRONMENT = "LICENSELENS_SERVE"  # the settings of worker processes started by uvicorn (``from_environment``)
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class ServiceLimits:
    max_body_bytes: int = 1 << 20
    max_batch: int = 64


class CheckRequest(BaseModel):
    """One model output to check."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="The output's text.")
    id: str = Field("-", max_length=512, description="A name for the output, echoed in the result.")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outputs: list[CheckRequest] = Field(min_length=1, description="Outputs, checked in order.")


class BatchResult(BaseModel):
    outputs: list[OutputResult]


class ErrorBody(BaseModel):
    error: str


ERRORS: dict[int | str, dict] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "Malformed request"),
        (411, "No Content-Length, or a Transfer-Encoding"),
        (415, "Not JSON"),
        (413, "Body or batch over the limits"),
        (422, "Not a valid request"),
    )
}


def _error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


class _Metrics:
    """Prometheus metrics of one app (its own registry: no process-wide state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "licenselens_requests", "HTTP requests by path and status.", ["path", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "licenselens_request_seconds",
            "Request latency by path.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.verdicts = Counter(
            "licenselens_verdicts", "Outputs checked, by overlap verdict.", ["verdict"], registry=self.registry
        )


def create_app(
    index_path: str, limits: ServiceLimits = ServiceLimits(), engine: str = "local", ray_address: str | None = None
) -> FastAPI:
    index = OverlapIndex(index_path, engine, ray_address)
    lock = threading.Lock()
    metrics = _Metrics()
    manifest = index.manifest
    app = FastAPI(
        title="licenselens guard",
        version=tool_stamp()["version"],
        description="Checks model outputs against a licenselens overlap index: verbatim spans, near copies, a "
        "verdict per output, as `licenselens overlap --format json` gives them.",
        docs_url=None,
        redoc_url=None,
    )
    known_paths = {"/v1/check", "/v1/check/batch", "/healthz", "/metrics", "/openapi.json"}

    def checked(items: list[CheckRequest]) -> list[dict]:
        with lock:
            results: list[OutputResult] = [index.check(item.text, item.id) for item in items]
        for result in results:
            metrics.verdicts.labels(result.verdict).inc()
        return [to_jsonable(r) for r in redact(results)]

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return _error(400, "the request body is not JSON")
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")} for e in exc.errors()
        ]
        return _error(422, "invalid request", problems=redact(problems))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal error")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail).lower())

    # responses are built here and returned as they are; the models document them in the OpenAPI description
    @app.post("/v1/check", summary="Check one output", response_model=OutputResult, responses=ERRORS)
    def check(request: CheckRequest) -> Response:
        """The output's spans, near copies and verdict (one element of `overlap --format json`'s outputs)."""
        return JSONResponse(checked([request])[0])

    @app.post("/v1/check/batch", summary="Check several outputs", response_model=BatchResult, responses=ERRORS)
    def check_batch(request: BatchRequest) -> Response:
        """Each output's result, in the order given."""
        if len(request.outputs) > limits.max_batch:
            return _error(413, f"at most {limits.max_batch} outputs a request", outputs=len(request.outputs))
        return JSONResponse({"outputs": checked(request.outputs)})

    # async: answered on the event loop, never queued behind checks in the worker threads
    @app.get("/healthz", summary="Liveness and the index served")
    async def healthz() -> dict:
        return {
            "status": "ok",
            "index": {
                "n": manifest["n"],
                "documents": manifest["counts"]["documents"],
                "tokens": manifest["counts"]["tokens"],
                "parts": len(manifest["parts"]),
                "tokeniser": manifest["tokeniser"],
            },
            "tool": tool_stamp(),
        }

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return _Guarded(app, limits, metrics, known_paths)  # type: ignore[return-value]  # an ASGI app like FastAPI's


class _Guarded:
    """The app behind its limits and metrics, as plain ASGI (a BaseHTTPMiddleware costs a task per request)."""

    def __init__(self, app: FastAPI, limits: ServiceLimits, metrics: _Metrics, paths: set[str]):
        self.app, self.limits, self.metrics, self.paths = app, limits, metrics, paths

    def __getattr__(self, name: str):  # openapi(), routes, state: the FastAPI app's
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"] if scope["path"] in self.paths else "other"
        status = [0]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        refused = _refused(scope, self.limits)
        received = [0]

        async def receiving():
            message = await receive()
            received[0] += len(message.get("body", b""))
            if received[0] > self.limits.max_body_bytes:  # Content-Length said less: the server's parser
                raise BodyTooLong()  # frames by it, so this is a last defence
            return message

        try:
            if refused is not None:
                await refused(scope, receive, sending)
            else:
                await self.app(scope, receiving, sending)
        except BodyTooLong:
            if not status[0]:
                await _error(413, f"request body over {self.limits.max_body_bytes} bytes")(scope, receive, sending)
        except Exception:  # logged with its trace on the server; the client gets none (the handler's JSON 500)
            LOG.exception("request failed")
            if not status[0]:
                await _error(500, "internal error")(scope, receive, sending)
        self.metrics.requests.labels(path, str(status[0])).inc()
        self.metrics.latency.labels(path).observe(time.perf_counter() - started)


class BodyTooLong(Exception):
    pass


def _refused(scope, limits: ServiceLimits) -> JSONResponse | None:
    """A request refused before its body is read: not JSON, chunked, no length, or too long."""
    if scope["method"] != "POST":
        return None
    headers = Headers(scope=scope)
    if "transfer-encoding" in headers:
        return _error(411, "a Content-Length header is required, and no Transfer-Encoding")
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return _error(415, "send JSON: Content-Type: application/json")
    length = headers.get("content-length")
    if length is None:
        return _error(411, "a Content-Length header is required")
    if not length.isdigit():
        return _error(400, "Content-Length is not a number")
    if int(length) > limits.max_body_bytes:
        return _error(413, f"request body over {limits.max_body_bytes} bytes", bytes=int(length))
    return None


def from_environment() -> FastAPI:
    """The app of a uvicorn worker process (``--workers``): settings from the environment the CLI set."""
    index, body, batch = json.loads(os.environ[ENVIRONMENT])
    return create_app(index, ServiceLimits(body, batch))
