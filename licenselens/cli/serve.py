"""``licenselens serve``: the overlap guard as an HTTP JSON service."""

from __future__ import annotations

import json
import os

import click

from licenselens.cli.errors import InputError
from licenselens.cli.options import IndexLocation, query_engine_options


@click.command("serve")
@click.option("--index", "index_path", required=True, type=IndexLocation(), help="The index (a folder or URI).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (localhost by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8470, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes checking.")
@click.option("--max-body", type=click.IntRange(min=1), default=1 << 20, show_default=True, help="Bytes a request.")
@click.option("--max-batch", type=click.IntRange(min=1), default=64, show_default=True, help="Outputs a batch.")
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Connections and requests a process holds at once; beyond it a 503 (queued requests hold their bodies).",
)
@query_engine_options
def serve_command(index_path, host, port, workers, max_body, max_batch, max_concurrency, engine, ray_address) -> None:
    """Serve POST /v1/check, POST /v1/check/batch, GET /healthz, GET /metrics and GET /openapi.json."""
    import uvicorn

    from licenselens.overlap.query import IndexOpenError
    from licenselens.service.app import ENVIRONMENT, ServiceLimits, create_app

    limits = ServiceLimits(max_body, max_batch)
    if engine != "local" and workers > 1:
        raise click.UsageError("--engine ray holds the parts in actors shared by one server process: no --workers")
    try:
        app = create_app(
            index_path, limits, engine, ray_address
        )  # opened here first: a bad index fails before any port is bound
    except IndexOpenError as exc:
        raise InputError(str(exc)) from exc
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", limit_concurrency=max_concurrency)
        return
    from licenselens.overlap.remote import is_uri

    location = index_path if is_uri(index_path) else os.path.abspath(index_path)  # a URI: each worker's copy is current
    os.environ[ENVIRONMENT] = json.dumps([location, max_body, max_batch])
    uvicorn.run(
        "licenselens.service.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        limit_concurrency=max_concurrency,
    )
