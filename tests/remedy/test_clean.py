"""`licenselens clean` on a corpus of every input format, built from real text: what it keeps, what it removes
and why, the formats it writes back, and the same bytes whatever the engine or the number of workers."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from licenselens.corpus.runner import CorpusOptions, run_corpus
from licenselens.remedy.clean import CleanError, CleanOptions, run_clean
from licenselens.remedy.writers import WRITERS
from licenselens.sources.manifest import load_manifest
from licenselens.sources.readers import READERS, read_documents
from licenselens.types.corpus import Document

from ..conftest import REPO, mencius_paragraphs, shakespeare

NOAI = '\n<meta name="robots" content="noai">'


def _passages(count: int, size: int, start: int = 0) -> list[str]:
    text = shakespeare()
    return [text[start + i * size : start + (i + 1) * size] for i in range(count)]


def build(root: Path) -> Path:
    """Seven datasets in six formats, with planted opt-outs, personal data, duplicates (exact, near, across
    datasets, and two texts that become one once their addresses are masked) and a broken line."""
    p = _passages(60, 1200)
    web = [{"id": f"w{i:02d}", "text": t, "meta": {"rank": i, "tags": ["a", "b"]}} for i, t in enumerate(p[:40])]
    web[3]["text"] += NOAI  # opt-out
    web[5]["text"] += "\n\nQuestions: anna.k@mailbox.org or +1 415 555 0132."  # personal data, kept masked
    web.append({"id": "w40", "text": web[7]["text"], "meta": None})  # exact duplicate of w07
    web.append({"id": "w41", "text": web[8]["text"].replace(" the ", " thee ", 3), "meta": None})  # near
    web.append({"id": "w42", "text": p[50] + "\nContact: anna.k@mailhost.org"})
    web.append({"id": "w43", "text": p[50] + "\nContact: anna.b@mailbox.org"})  # w42 once both are masked
    web.append({"id": "w44", "text": p[51]})  # excluded by the list
    lines = [json.dumps(r, ensure_ascii=False) for r in web]
    lines.insert(20, "{broken json")
    (root / "web.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    with gzip.open(root / "zh.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i, para in enumerate(mencius_paragraphs()[:40]):
            text = para + ("联系电话 13812345678。" if i == 4 else "")
            fh.write(json.dumps({"id": f"z{i:02d}", "text": text}, ensure_ascii=False) + "\n")

    import zstandard

    zst = "".join(json.dumps({"id": f"s{i}", "text": t}) + "\n" for i, t in enumerate(_passages(10, 900, 200_000)))
    (root / "sft.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(zst.encode()))

    table = pa.table(
        {
            "id": [f"p{i}" for i in range(12)],
            "text": _passages(12, 1000, 400_000),
            "score": [float(i) / 4 for i in range(12)],
        }
    )
    pq.write_table(table, root / "articles.parquet")

    import datasets

    qa = [
        {"id": f"q{i}", "question": q, "answer": a}
        for i, (q, a) in enumerate(zip(_passages(8, 300, 600_000), _passages(8, 700, 610_000)))
    ]
    qa[2]["answer"] += " My server is at 81.2.69.160."
    datasets.Dataset.from_list(qa).save_to_disk(str(root / "qa"), max_shard_size="4KB")

    (root / "records.json").write_text(
        json.dumps([{"id": f"j{i}", "text": t} for i, t in enumerate(_passages(5, 800, 700_000))]), encoding="utf-8"
    )
    folder = root / "books"
    folder.mkdir()
    for i, t in enumerate(_passages(4, 2000, 800_000)):
        (folder / f"ch{i}.txt").write_text(t, encoding="utf-8")
    (folder / "copy.txt").write_text(p[10], encoding="utf-8")  # a web page again: a duplicate across datasets
    (folder / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (root / "exclude.txt").write_text("# a rights holder's request\ndocs:w44\n", encoding="utf-8")
    (root / "licenselens.toml").write_text(
        """
policy = "commercial-model"
[[datasets]]
name = "docs"
stage = "pretraining"
kind = "web"
paths = ["web.jsonl"]
[[datasets]]
name = "zh"
stage = "pretraining"
kind = "books"
paths = ["zh.jsonl.gz"]
[[datasets]]
name = "sft"
stage = "sft"
kind = "qa"
paths = ["sft.jsonl.zst"]
[[datasets]]
name = "articles"
stage = "pretraining"
kind = "encyclopedia"
paths = ["articles.parquet"]
[[datasets]]
name = "qa"
stage = "pretraining"
kind = "qa"
paths = ["qa"]
format = "arrow"
text_field = ["question", "answer"]
[[datasets]]
name = "records"
stage = "domain"
kind = "legal"
paths = ["records.json"]
[[datasets]]
name = "books"
stage = "pretraining"
kind = "books"
paths = ["books"]
format = "text"
""",
        encoding="utf-8",
    )
    return root / "licenselens.toml"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dirty"))


@pytest.fixture(scope="module")
def cleaned(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("cleaned")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "licenselens",
            "clean",
            str(corpus),
            "-o",
            str(out),
            "-j",
            "2",
            "--exclude",
            str(corpus.parent / "exclude.txt"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc


def _docs(manifest: Path) -> dict[tuple[str, str], Document]:
    found = {}
    for spec in load_manifest(manifest).datasets:
        for item in read_documents(spec):
            if isinstance(item, Document):
                found[spec.name, item.doc_id] = item
    return found


def test_a_writer_for_every_reader():
    assert set(WRITERS) == set(READERS)


def test_what_is_removed_and_why(cleaned):
    out, _ = cleaned
    removed = {
        (r["dataset"], r["doc_id"]): (r["reason"], r["rule"])
        for r in pq.read_table(out / "removed.parquet").to_pylist()
    }
    assert removed[("docs", "w03")] == ("opt-out", "robots-noai")
    assert removed[("docs", "w40")] == ("duplicate", "docs:w07")
    assert removed[("docs", "w41")] == ("near-duplicate", "docs:w08")
    assert removed[("docs", "w43")] == ("duplicate", "docs:w42")  # the same text once both addresses are masked
    assert removed[("docs", "w44")] == ("excluded", None)
    assert removed[("books", "copy.txt")] == ("duplicate", "docs:w10")
    assert removed[("docs", "")][0] == "malformed-json"
    assert ("books", "") in removed and removed[("books", "")][0] == "skipped-binary"
    assert removed[("zh", "z13")] == ("duplicate", "zh:z11")  # Mencius repeats a saying: real text has duplicates
    assert len(removed) == 9


def test_every_document_is_kept_or_removed(corpus, cleaned):
    out, _ = cleaned
    summary = json.loads((out / "clean-summary.json").read_text(encoding="utf-8"))
    before, after = _docs(corpus), _docs(out / "licenselens.toml")
    removed = [r for r in pq.read_table(out / "removed.parquet").to_pylist() if r["doc_id"]]
    assert len(after) + len(removed) == len(before) == summary["totals"]["documents"]
    assert set(after) | {(r["dataset"], r["doc_id"]) for r in removed} == set(before)
    assert summary["totals"]["kept"] == len(after)


def test_formats_fields_and_order_are_kept(corpus, cleaned):
    out, _ = cleaned
    data = out / "data"
    web = [json.loads(line) for line in (data / "docs" / "web.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in web][:5] == ["w00", "w01", "w02", "w04", "w05"]  # order kept, w03 gone
    assert web[0]["meta"] == {"rank": 0, "tags": ["a", "b"]} and list(web[0]) == ["id", "text", "meta"]
    assert "anna.k@mailbox.org" not in web[4]["text"] and "+1 415 555 0132" not in web[4]["text"]
    assert web[1]["text"] == json.loads((corpus.parent / "web.jsonl").read_text().splitlines()[1])["text"]
    with gzip.open(data / "zh" / "zh.jsonl.gz", "rt", encoding="utf-8") as fh:
        zh = [json.loads(line) for line in fh]
    assert len(zh) == 39 and "13812345678" not in zh[4]["text"] and "联系电话" in zh[4]["text"]
    import zstandard

    sft = zstandard.ZstdDecompressor().stream_reader(open(data / "sft" / "sft.jsonl.zst", "rb")).read()
    assert len(sft.decode().splitlines()) == 10
    articles = pq.read_table(data / "articles" / "articles.parquet")
    assert articles.schema == pq.read_schema(corpus.parent / "articles.parquet")
    assert articles.column("score").to_pylist() == [i / 4 for i in range(12)]
    import datasets

    qa = datasets.load_from_disk(str(data / "qa" / "qa"))
    assert len(qa) == 8 and "81.2.69.160" not in qa[2]["answer"] and qa[2]["question"] == _passages(8, 300, 600_000)[2]
    assert json.loads((data / "records" / "records.json").read_text(encoding="utf-8"))[0]["id"] == "j0"
    assert sorted(p.name for p in (data / "books" / "books").iterdir()) == ["ch0.txt", "ch1.txt", "ch2.txt", "ch3.txt"]
    assert (data / "books" / "books" / "ch1.txt").read_bytes() == (corpus.parent / "books" / "ch1.txt").read_bytes()


def test_the_cleaned_corpus_measures_clean(cleaned, tmp_path):
    """Measured again by the corpus pipeline: no opt-out, no personal data, no duplicate of either kind."""
    out, _ = cleaned
    run = run_corpus(load_manifest(out / "licenselens.toml"), CorpusOptions(output_dir=str(tmp_path), jobs=2))
    totals = run.summary["totals"]
    assert totals["documents"] == json.loads((out / "clean-summary.json").read_text())["totals"]["kept"]
    for key in ("tdm_opt_out", "personal_information", "duplicates", "near_duplicates"):
        assert totals[key]["documents"] == 0, key
    assert totals["errors"] == 0
    cleaned_manifest = load_manifest(out / "licenselens.toml")
    assert dict(cleaned_manifest.processing) == {"opt_outs_removed": True, "pii_removed": True, "dedup": True}


def test_synthetic_surrogates_are_counted_apart_and_runs_repeat(corpus, tmp_path):
    manifest = load_manifest(corpus)
    runs = [
        run_clean(
            manifest,
            CleanOptions(
                output_dir=str(tmp_path / name),
                pii="synthetic",
                seed="s1",
                corpus=CorpusOptions(jobs=jobs, dedup_memory=memory),
            ),
        )
        # the second run holds 2 kept documents' keys in memory, the rest in its work folder's file
        for name, jobs, memory in (("one", 1, 10**6), ("two", 2, 2))
    ]
    assert not list((tmp_path / "two").rglob("repeats-*.sqlite"))  # removed when done
    one, two = tmp_path / "one", tmp_path / "two"
    files = sorted(p.relative_to(one) for p in (one / "data").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in (two / "data").rglob("*") if p.is_file())
    for name in [*files, Path("removed.parquet"), Path("pii-surrogates.txt"), Path("licenselens.toml")]:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert runs[0].summary == runs[1].summary
    # w42 and w43 differ once replaced (each document its own surrogates), but nearly repeat each other
    assert runs[0].summary["datasets"][0]["pii_replaced"] == {"email": 2, "phone": 1}
    removed = {r["doc_id"]: r["reason"] for r in pq.read_table(one / "removed.parquet").to_pylist()}
    assert removed["w43"] == "near-duplicate"
    measured = run_corpus(load_manifest(one / "licenselens.toml"), CorpusOptions(output_dir=str(tmp_path / "m")))
    pii = [d["personal_information"] for d in measured.summary["datasets"]]
    # a phone, a mobile and an IP address recognised from the ledger; the two addresses at example.org are
    # not personal data to the detector at all (reserved domains)
    assert sum(d["documents"] for d in pii) == 0 and sum(d["synthetic_surrogates"] for d in pii) == 3


def test_drop_mode_drops_what_holds_personal_data(corpus, tmp_path):
    run = run_clean(load_manifest(corpus), CleanOptions(output_dir=str(tmp_path), pii="drop"))
    removed = {
        (r["dataset"], r["doc_id"]): r["reason"] for r in pq.read_table(tmp_path / "removed.parquet").to_pylist()
    }
    for key in (("docs", "w05"), ("docs", "w42"), ("docs", "w43"), ("zh", "z04"), ("qa", "q2")):
        assert removed[key] == "personal-information", key
    assert run.summary["totals"]["documents_changed"] == 0


def test_bad_exclusion_list_and_output_inside_the_input(corpus, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("docs:w01\nno colon here\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "licenselens", "clean", str(corpus), "-o", str(tmp_path / "o"), "--exclude", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "bad.txt:2: expected DATASET:DOC_ID" in proc.stderr
    assert not (tmp_path / "o").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "licenselens", "clean", str(corpus), "-o", str(corpus.parent / "books" / "out")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "inside dataset 'books'" in proc.stderr
    assert not (corpus.parent / "books" / "out").exists()


@pytest.mark.slow
def test_ray_engine_writes_the_same_corpus(corpus, cleaned, tmp_path):
    """The same bytes as the local run of the `cleaned` fixture (the CLI, 2 workers, the same exclusions)."""
    pytest.importorskip("ray")
    exclude = frozenset(line for line in (corpus.parent / "exclude.txt").read_text().splitlines() if ":" in line)
    options = CleanOptions(
        output_dir=str(tmp_path / "ray"), exclude=exclude, corpus=CorpusOptions(engine="ray", jobs=2)
    )
    run_clean(load_manifest(corpus), options)
    local, ray_out = cleaned[0], tmp_path / "ray"
    files = sorted(p.relative_to(local) for p in local.rglob("*") if p.is_file() and "before" not in p.parts)
    assert files and files == sorted(
        p.relative_to(ray_out) for p in ray_out.rglob("*") if p.is_file() and "before" not in p.parts
    )
    for name in files:
        if name.name != "clean-summary.json":
            assert (local / name).read_bytes() == (ray_out / name).read_bytes(), name


def test_a_killed_clean_resumes_and_writes_the_same_corpus(corpus, cleaned, tmp_path):
    """Killed while its shards are measured and decided (small shards, so there are many), `clean` run again
    reuses the finished ones and writes the same bytes as the uninterrupted run of the `cleaned` fixture."""
    out, exclude = tmp_path / "resumed", corpus.parent / "exclude.txt"
    command = [sys.executable, "-m", "licenselens", "clean", str(corpus), "-o", str(out), "-j", "2"]
    proc = subprocess.Popen(
        [*command, "--shard-size", "0.01", "--exclude", str(exclude)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    shards = out / "before" / ".licenselens-work" / "shards"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and _finished(shards) < 4:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _finished(shards)
    assert done >= 4 and not (out / "clean-summary.json").exists()  # killed before it finished
    listed = frozenset(line for line in exclude.read_text().splitlines() if ":" in line)
    options = CleanOptions(
        output_dir=str(out), exclude=listed, corpus=CorpusOptions(jobs=2, shard_bytes=int(0.01 * 2**20))
    )
    run = run_clean(load_manifest(corpus), options)
    assert run.before.shards_reused >= done and run.before.shards > run.before.shards_reused
    local = cleaned[0]
    files = sorted(p.relative_to(local) for p in local.rglob("*") if p.is_file() and "before" not in p.parts)
    assert files == sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file() and "before" not in p.parts)
    for name in files:
        if name.name != "clean-summary.json":  # its totals are compared below
            assert (local / name).read_bytes() == (out / name).read_bytes(), name
    assert run.summary["totals"] == json.loads((local / "clean-summary.json").read_text())["totals"]


def _finished(shards: Path) -> int:
    """Shards measured and decided: a shard's measurements and, beside them, its decisions (NAME-clean...)."""
    done = {p.parent.name for p in shards.glob("*/done.json")}
    return sum(any(other.startswith(name + "-clean") for other in done) for name in done)


def test_an_input_changed_after_it_was_measured_is_not_written(corpus, tmp_path):
    """A text changed under the same id, size and modification time after the measuring is refused when it
    would be written, not copied unmeasured (its personal data never looked at)."""
    root = tmp_path / "changed"
    shutil.copytree(corpus.parent, root)
    manifest = load_manifest(root / corpus.name)
    options = CleanOptions(output_dir=str(tmp_path / "out"), corpus=CorpusOptions(jobs=1))
    run_clean(manifest, options)
    web = root / "web.jsonl"  # w01, kept by the first run
    lines = web.read_bytes().split(b"\n")
    stat = web.stat()
    secret = b"SECRET anna.k@mailbox.org "
    stretch = re.search(rb"(?<![\\A-Za-z])[A-Za-z ,;:.']{%d}" % len(secret), lines[1].split(b'"text"', 1)[1])
    assert stretch is not None
    changed = lines[1].replace(stretch.group(), secret, 1)
    assert len(changed) == len(lines[1]) and json.loads(changed)["id"] == "w01"
    web.write_bytes(b"\n".join([lines[0], changed, *lines[2:]]))
    os.utime(web, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the shard's name cannot tell
    with pytest.raises(CleanError, match="changed after it was measured"):
        run_clean(manifest, options)
    assert b"anna.k@mailbox.org" not in b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*.jsonl"))
