#!/usr/bin/env python3
"""Load test: `licenselens serve` under a real HTTP client at concurrency 1, 8 and 32, beside in-process checks.

Run by hand from the repository root::

    .venv/bin/python bench/serve_load.py [--index DIR --corpus JSONL] [--requests 600] [--workers 2]

Without ``--index`` the samples are indexed into a temporary folder and their
model outputs are the requests. With ``--index`` and ``--corpus`` (the JSONL
the index was built from) the requests are 1,000-token outputs made as
overlap_bench.py makes them (a third verbatim, a third edited, a third
original). The server runs as a separate process (``--workers`` processes);
the client is httpx's async client, the same fixed count of POST /v1/check
requests at each concurrency, after one pass over them that warms every
worker (the peer makes the same pass). The peer is the same checks called in process
(``OverlapIndex.check``, no HTTP): the ratio is what the service costs.

Results: stdout and bench/results/serve_load-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from overlap_bench import BIN, make_outputs, read_docs  # noqa: E402


def percentiles(times: list[float]) -> dict:
    ms = np.array(times) * 1000
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)}


async def load(base: str, texts: list[str], concurrency: int) -> dict:
    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as client:

        async def one(text: str) -> None:
            async with gate:
                started = time.perf_counter()
                response = await client.post("/v1/check", json={"text": text})
                times.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(one(t) for t in texts))
        wall = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "requests": len(texts),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(texts) / wall, 1),
        **percentiles(times),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path)
    parser.add_argument("--corpus", type=Path, help="JSONL the index was built from (requests are drawn from it)")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv])}
    with tempfile.TemporaryDirectory(prefix="licenselens-serve-load-") as tmp:
        index = args.index
        if index is None:
            index = Path(tmp) / "index"
            subprocess.run(
                [
                    str(BIN / "licenselens"),
                    "index",
                    "build",
                    str(REPO / "samples" / "licenselens.toml"),
                    "-o",
                    str(index),
                    "-j",
                    "2",
                ],
                check=True,
                capture_output=True,
            )
        if args.corpus:
            outputs = [t for _, t in make_outputs(read_docs(args.corpus, 20_000_000), 300, random.Random(0))]
        else:
            lines = (REPO / "samples" / "outputs" / "model-outputs.jsonl").read_text(encoding="utf-8").splitlines()
            outputs = [json.loads(line)["text"] for line in lines if line.strip()]
        texts = [outputs[i % len(outputs)] for i in range(args.requests)]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [
                str(BIN / "licenselens"),
                "serve",
                "--index",
                str(index),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            results["index"] = httpx.get(base + "/healthz").json()["index"]
            asyncio.run(load(base, texts, 2 * args.workers))  # one pass first: every worker warm, as in process
            results["http"] = [asyncio.run(load(base, texts, c)) for c in (1, 8, 32)]
        finally:
            server.terminate()
            server.wait()
        from licenselens.overlap import OverlapIndex

        checker = OverlapIndex(str(index))
        for text in texts:  # the same warm pass
            checker.check(text)
        times = []
        started = time.perf_counter()
        for text in texts:
            t = time.perf_counter()
            checker.check(text)
            times.append(time.perf_counter() - t)
        wall = time.perf_counter() - started
        results["in_process"] = {"requests_per_s": round(len(texts) / wall, 1), **percentiles(times)}
    print(
        f"index: {results['index']['tokens']:,} tokens, {results['index']['parts']} part(s); "
        f"{args.requests} requests, server workers {args.workers}"
    )
    print(f"{'':>14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    peer = results["in_process"]
    print(f"{'in process':>14} {peer['requests_per_s']:>8} {peer['p50_ms']:>8} {peer['p95_ms']:>8} {peer['p99_ms']:>8}")
    for row in results["http"]:
        print(
            f"{'http c=' + str(row['concurrency']):>14} {row['requests_per_s']:>8} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['p99_ms']:>8}  (x{row['requests_per_s'] / peer['requests_per_s']:.2f} "
            f"of in-process throughput; statuses {row['statuses']})"
        )
    out = HERE / "results" / f"serve_load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
