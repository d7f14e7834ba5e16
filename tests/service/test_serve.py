"""`licenselens serve` as a serving pipeline calls it: a real server process, real HTTP requests."""

import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ..conftest import REPO

OUTPUTS = REPO / "samples" / "outputs" / "model-outputs.jsonl"


def licenselens(*args):
    return subprocess.run(
        [sys.executable, "-m", "licenselens", *args], capture_output=True, text=True, cwd=REPO, timeout=600
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(index, *args):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "licenselens", "serve", "--index", str(index), "--port", str(port), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read())
        try:
            if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not start")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "index"
    proc = licenselens("index", "build", "samples/licenselens.toml", "-o", str(path), "-j", "2")
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture(scope="module")
def server(index):
    proc, base = start(index, "--max-body", "200000", "--max-batch", "8")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def samples():
    return [json.loads(line) for line in OUTPUTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_checks_are_what_overlap_json_gives(index, server):
    proc = licenselens("overlap", "--index", str(index), "--format", "json", str(OUTPUTS))
    want = {o["id"]: o for o in json.loads(proc.stdout)["outputs"]}
    for sample in samples():
        got = httpx.post(server + "/v1/check", json={"text": sample["text"], "id": sample["id"]}, timeout=60)
        assert got.status_code == 200 and got.json() == want[sample["id"]]
    batch = [{"text": s["text"], "id": s["id"]} for s in samples()[:8]]
    got = httpx.post(server + "/v1/check/batch", json={"outputs": batch}, timeout=60)
    assert got.status_code == 200 and got.json()["outputs"] == [want[b["id"]] for b in batch]
    assert {o["verdict"] for o in want.values()} >= {"verbatim", "near-verbatim", "transformative"}


def test_concurrent_requests_get_their_own_answers(server):
    texts = [s["text"] for s in samples()] * 4
    with httpx.Client(timeout=120) as client:
        serial = [client.post(server + "/v1/check", json={"text": t}).json() for t in texts[:11]]
        with ThreadPoolExecutor(16) as pool:
            together = list(pool.map(lambda t: client.post(server + "/v1/check", json={"text": t}).json(), texts))
    assert together == serial * 4


def test_bad_requests_get_clear_json_errors_and_the_server_carries_on(server):
    cases = [
        (b"not json", 400, "not JSON"),
        (b'{"txt": "a"}', 422, "Field required"),
        (b'{"text": 5}', 422, "valid string"),
        (b'{"text": "a", "extra": 1}', 422, "Extra inputs"),
        (json.dumps({"text": "x" * 300_000}).encode(), 413, "over 200000 bytes"),
    ]
    for body, status, words in cases:
        got = httpx.post(server + "/v1/check", content=body, headers={"content-type": "application/json"})
        assert got.status_code == status, (body[:40], got.text)
        assert words in json.dumps(got.json()) and "Traceback" not in got.text
    many = {"outputs": [{"text": "a"}] * 9}
    got = httpx.post(server + "/v1/check/batch", json=many)
    assert got.status_code == 413 and "at most 8" in got.json()["error"]
    assert httpx.post(server + "/v1/check/batch", json={"outputs": []}).status_code == 422
    json_type = {"content-type": "application/json"}
    chunked = httpx.post(server + "/v1/check", content=iter([b'{"text": "a"}']), headers=json_type)
    assert chunked.status_code == 411 and "Content-Length" in chunked.json()["error"]  # no length: chunked
    assert httpx.post(server + "/v1/check", content=b'{"text": "a"}').status_code == 415  # not said to be JSON
    assert _lying_length(server, 100_000) == 411  # a length and a longer chunked body: refused, not read
    assert httpx.get(server + "/v2/nothing").json() == {"error": "not found"}
    assert httpx.get(server + "/v1/check").status_code == 405
    assert httpx.get(server + "/healthz").json()["status"] == "ok"


def _lying_length(server: str, size: int) -> int:
    """Content-Length: 10 and a chunked body of ``size`` bytes, sent by hand; the status line's code."""
    host, port = server.removeprefix("http://").split(":")
    body = json.dumps({"text": "x" * size}).encode()
    request = (
        b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(request)
        return int(conn.recv(100).split(b" ")[1])


def test_health_answers_while_checks_queue(index):
    """Many slow checks at once: /healthz still answers at once, and beyond --max-concurrency a 503."""
    proc, base = start(index, "--max-concurrency", "12")
    long_text = " ".join(s["text"] for s in samples()) * 20
    try:
        with ThreadPoolExecutor(24) as pool:
            checks = [
                pool.submit(httpx.post, base + "/v1/check", json={"text": long_text}, timeout=300) for _ in range(10)
            ]
            time.sleep(1.0)
            health = httpx.get(base + "/healthz", timeout=60)
            pending = sum(not f.done() for f in checks)  # checks run one at a time: most still wait
            over = [pool.submit(httpx.post, base + "/v1/check", json={"text": "a"}, timeout=300) for _ in range(8)]
            codes = [f.result().status_code for f in checks + over]
        assert health.status_code == 200 and pending >= 4, pending  # answered before the checks queued before it
        assert codes.count(503) >= 1 and set(codes) <= {200, 503}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_metrics_count_requests_latency_and_verdicts(server):
    def value(text, name, **labels):
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in text.splitlines():
            if line.startswith(name + "{") and line.split("{")[1].split("}")[0].split(",") == wanted.split(","):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = httpx.get(server + "/metrics").text
    verbatim = samples()[0]["text"]
    for _ in range(3):
        assert httpx.post(server + "/v1/check", json={"text": verbatim}).json()["verdict"] == "verbatim"
    assert (
        httpx.post(server + "/v1/check", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    )
    after = httpx.get(server + "/metrics").text
    assert (
        value(after, "licenselens_verdicts_total", verdict="verbatim")
        - value(before, "licenselens_verdicts_total", verdict="verbatim")
        == 3
    )
    ok = {"path": "/v1/check", "status": "200"}
    assert value(after, "licenselens_requests_total", **ok) - value(before, "licenselens_requests_total", **ok) == 3
    bad = {"path": "/v1/check", "status": "400"}
    assert value(after, "licenselens_requests_total", **bad) - value(before, "licenselens_requests_total", **bad) == 1
    assert value(after, "licenselens_request_seconds_count", path="/v1/check") >= 4
    assert "# TYPE licenselens_request_seconds histogram" in after


def test_openapi_describes_the_endpoints(server):
    spec = httpx.get(server + "/openapi.json").json()
    assert {"/v1/check", "/v1/check/batch", "/healthz", "/metrics"} <= set(spec["paths"])
    check = spec["paths"]["/v1/check"]["post"]
    assert "requestBody" in check and {"200", "413", "422"} <= set(check["responses"])
    assert "OutputResult" in spec["components"]["schemas"]


def test_an_index_damaged_under_the_server_gives_a_json_500_not_a_trace(index, tmp_path):
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(index, damaged)
    proc, base = start(damaged)
    try:
        for texts in damaged.glob("shards/*/texts.bin"):
            texts.unlink()  # a span's source text is read to verify it: now it cannot be
        got = httpx.post(base + "/v1/check", json={"text": samples()[0]["text"]}, timeout=60)
        assert got.status_code == 500 and got.json() == {"error": "internal error"}
        assert httpx.get(base + "/healthz").status_code == 200
        metrics = httpx.get(base + "/metrics").text
        assert 'licenselens_requests_total{path="/v1/check",status="500"} 1.0' in metrics
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "FileNotFoundError" in stderr  # the trace is in the server's log


def test_several_workers_and_a_bad_index(index, tmp_path):
    proc, base = start(index, "--workers", "2")
    try:
        got = httpx.post(base + "/v1/check", json={"text": samples()[0]["text"]}, timeout=60)
        assert got.status_code == 200 and got.json()["verdict"] == "verbatim"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    (tmp_path / "empty").mkdir()
    bad = licenselens("serve", "--index", str(tmp_path / "empty"), "--port", str(free_port()))
    assert bad.returncode == 2 and "not a licenselens index" in bad.stderr and "Traceback" not in bad.stderr
