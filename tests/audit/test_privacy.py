"""Privacy of `licenselens audit samples/licenselens.toml`: it runs without a network and tries no
connection (checked in a network namespace with no interface up, and by an audit hook in every process),
and the personal information planted in the corpora (samples/corpus/EXPECTED.md) appears unmasked in no
output: no report, result, log or work file of OUTDIR, decoded by format, and not on stdout or stderr.

The one exception is by design: index/shards/*/texts.bin, the zstd-compressed corpus texts the overlap
index keeps to verify spans and quote source passages. It is a copy of the training data, not a report,
and must be kept and shared like the corpus itself (docs/reliability.md); the test checks that it does
hold the values, which also shows that the search below would find them.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.audit.conftest import FIXED_EPOCH
from tests.conftest import REPO

pytestmark = pytest.mark.slow

# every personal value planted in samples/ (EXPECTED.md); authors@example.org is at a reserved example
# domain, which identifies nobody and is deliberately not treated as personal information
PLANTED = {
    "email": [
        "mira.okafor@mail.licenselens-sample.net",
        "wangxm@mail.licenselens-sample.net",
        "priya.raman@mail.licenselens-sample.net",
        "li.na.case@mail.licenselens-sample.net",
    ],
    "phone": ["+1 415 555 0132", "+1 415 555 0178", "1-800-555-0199"],
    "cn_mobile": ["13812345678", "13987654321"],
    "cn_id": ["110101199003071233", "110101197908234560"],
    "payment_card": ["4111 1111 1111 1111"],
    "ip": ["192.0.2.44", "198.51.100.23", "2001:db8:4f2a::17", "192.0.2.10", "2001:db8::10"],
}
EVENTS = (
    "socket.connect",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.sendto",
    "socket.sendmsg",
    "socket.bind",
)

# loaded by every Python process of the run (PYTHONPATH); forked workers inherit the hook. One line of
# JSON per event; "probe" marks urllib3's import-time IPv6 check (a socket bound to ('::1', 0), nothing
# sent), which ScanCode's packagedcode triggers through pymaven -> requests -> urllib3.
SITECUSTOMIZE = textwrap.dedent('''
    import json, os, socket, sys

    _LOG = os.environ["LICENSELENS_NETWORK_LOG"]
    _EVENTS = set(os.environ["LICENSELENS_NETWORK_EVENTS"].split(","))

    def _probe():
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_name == "_has_ipv6" and "urllib3" in frame.f_code.co_filename:
                return True
            frame = frame.f_back
        return False

    def _record(event, args):
        internet = event == "socket.__new__" and args[1] in (socket.AF_INET, socket.AF_INET6)
        if event in _EVENTS or internet:
            with open(_LOG, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"pid": os.getpid(), "event": event, "args": repr(args[1:]),
                                     "probe": _probe()}) + "\\n")

    sys.addaudithook(_record)
''')


def variants(value: str) -> set[str]:
    """The value as planted and its digits without separators (a phone or card written another way)."""
    found = {value}
    digits = re.sub(r"[^0-9]", "", value)
    if "@" not in value and ":" not in value and value.count(".") != 3 and len(digits) >= 10:
        found.add(digits)
    return found


def network_events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def namespaces_work() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


def hooked_env(tmp: Path) -> dict:
    (tmp / "site").mkdir(exist_ok=True)
    (tmp / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp / "network.log"
    log.write_text("", encoding="utf-8")
    return {
        **os.environ,
        "PYTHONPATH": str(tmp / "site"),
        "LICENSELENS_NETWORK_LOG": str(log),
        "LICENSELENS_NETWORK_EVENTS": ",".join(EVENTS),
        "SOURCE_DATE_EPOCH": FIXED_EPOCH,
        "COLUMNS": "160",
    }


@pytest.fixture(scope="module")
def offline_audit(tmp_path_factory):
    """The audit in a user and network namespace (no interface up, not even loopback), with the hook."""
    if not namespaces_work():
        pytest.fail("`unshare -rn` is not available here: the no-network run cannot be made")
    tmp = tmp_path_factory.mktemp("privacy")
    env = hooked_env(tmp)
    out = tmp / "out"
    done = subprocess.run(
        [
            "unshare",
            "-rn",
            sys.executable,
            "-m",
            "licenselens",
            "audit",
            "samples/licenselens.toml",
            "-o",
            str(out),
            "--jobs",
            "2",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return out, done, Path(env["LICENSELENS_NETWORK_LOG"])


def test_the_hook_sees_connections_in_the_process_and_in_forked_workers(tmp_path):
    # the check below is only as good as the hook: it must see an attempt, also from a forked pool worker
    env = hooked_env(tmp_path)
    probe = textwrap.dedent('''
        import multiprocessing, socket
        def lookup(_):
            try:
                socket.getaddrinfo("localhost", 9)
            except OSError:
                pass
            return 0
        if __name__ == "__main__":
            with multiprocessing.get_context("fork").Pool(1) as pool:
                pool.map(lookup, [0])
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", 9))
            except OSError:
                pass
    ''')
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=120)
    events = network_events(Path(env["LICENSELENS_NETWORK_LOG"]))
    assert {e["event"] for e in events} >= {"socket.getaddrinfo", "socket.connect", "socket.__new__"}
    assert len({e["pid"] for e in events}) == 2  # the parent and its worker
    assert not any(e["probe"] for e in events)


def test_the_audit_runs_offline_and_tries_no_connection(offline_audit, record_property):
    out, done, log = offline_audit
    assert done.returncode == 0, done.stderr[-4000:]
    assert (out / "report.html").is_file() and (out / "report.html").stat().st_size > 10_000
    events = network_events(log)
    # not one lookup, connection or internet socket, but for urllib3's loopback probe at import
    assert [e for e in events if not e["probe"]] == []
    assert all(e["event"] == "socket.__new__" or e["args"] == "(('::1', 0),)" for e in events)
    record_property("probe_events", len(events))  # figures for docs/reliability.md (pytest --junitxml)


def texts_of(path: Path) -> list[str]:
    """What a reader of the file sees, by format: text (HTML also unescaped, tags removed), parquet rows,
    decompressed streams; other binary files as their bytes (latin-1, so any byte sequence is searched)."""
    data = path.read_bytes()
    if path.suffix == ".parquet":
        return [json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str)]
    if path.suffix == ".gz":
        import gzip

        data = gzip.decompress(data)
    elif path.suffix == ".zst":
        import zstandard

        data = zstandard.ZstdDecompressor().stream_reader(data).read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [data.decode("latin-1")]
    texts = [text]
    if path.suffix in (".html", ".htm", ".svg", ".xml"):
        texts += [html.unescape(text), html.unescape(re.sub(r"<[^>]*>", "", text))]
    if path.suffix == ".json":
        try:
            texts.append(json.dumps(json.loads(text), ensure_ascii=False))
        except ValueError:
            pass
    return texts


def corpus_copies(out: Path) -> list[Path]:
    return sorted((out / "index" / "shards").glob("*/texts.bin"))


def test_personal_information_never_appears_unmasked_in_any_output(offline_audit, record_property):
    out, done, _ = offline_audit
    assert done.returncode == 0, done.stderr[-4000:]
    copies = set(corpus_copies(out))
    files = [p for p in sorted(out.rglob("*")) if p.is_file() and p not in copies]
    assert {p.name for p in files} >= {
        "report.html",
        "report.md",
        "results.json",
        "corpus.parquet",
        "NOTICE.txt",
        "manifest.json",
        "docs.parquet",
    }
    assert any(".licenselens-work" in p.parts for p in files)  # the corpus shards' rows are searched too
    leaks = []
    for path in files:
        for text in texts_of(path):
            leaks += [
                (str(path.relative_to(out)), value)
                for values in PLANTED.values()
                for planted in values
                for value in variants(planted)
                if value in text
            ]
    for stream, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        leaks += [
            (stream, value)
            for values in PLANTED.values()
            for planted in values
            for value in variants(planted)
            if value in text
        ]
    assert sorted(set(leaks)) == []
    record_property("files_searched", len(files))
    record_property("values_searched", sum(len(variants(v)) for values in PLANTED.values() for v in values))
    # the masked samples are there instead: the report does show what kind of information was found
    report = (out / "report.md").read_text(encoding="utf-8") + (out / "results.json").read_text(encoding="utf-8")
    assert "**** **** **** 1111" in report or "payment_card" in report


def test_the_index_keeps_the_corpus_texts_themselves(offline_audit):
    # by design (see the module docstring): so it must be handled like the corpus, and the search works
    import zstandard

    out, _, _ = offline_audit
    corpus = []
    for texts in corpus_copies(out):
        offsets = np.load(texts.parent / "offsets.npy")
        data = texts.read_bytes()
        corpus += [
            zstandard.ZstdDecompressor().decompress(data[a:b]).decode("utf-8", "surrogatepass")
            for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())
        ]
    assert corpus
    everything = "\n".join(corpus)
    assert all(value in everything for values in PLANTED.values() for value in values)
    assert not any(
        value.encode() in b"".join(p.read_bytes() for p in corpus_copies(out))
        for values in PLANTED.values()
        for value in values
    )  # compressed, not readable as is
