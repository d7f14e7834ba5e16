"""`licenselens trace` on the real sample corpus: a scene of Coriolanus (the `shakespeare` dataset holds it,
sample output out-09 copies a speech of it), an edited copy of the scene, a long work and a text nobody copied.

Expected figures are computed here from the texts with difflib and plain string search, not by the code
under test; tokens are runs of letters and digits, as licenselens.tokens defines them for English.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from difflib import SequenceMatcher

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from licenselens.cli import main
from licenselens.overlap.build import build_index
from licenselens.remedy.exclusions import read_exclusions
from licenselens.remedy.trace import TraceOptions, run_trace
from licenselens.reporters.trace_report import TRACE_WRITERS, TraceWriter, write_trace
from licenselens.types.corpus import DatasetSpec, Manifest
from tests.audit.browser import chromium, open_page
from tests.conftest import ARTIFACTS, REPO, shakespeare

WORD = re.compile(r"[^\W_]+")
OUTPUTS = REPO / "samples" / "outputs" / "model-outputs.jsonl"
ADDRESS = "mira.okafor@mail.licenselens-sample.net"  # planted in names and texts: never written or printed
TIDEWATER = REPO / "samples" / "corpus" / "books" / "the-tidewater-clock.txt"  # its front matter forbids AI training
UNRELATED = (
    "The lighthouse keeper's ledger for the winter of the long fog records every ship that passed the "
    "headland, the weight of oil burned each night, and a short note on the gulls that nested in the "
    "lamp room after the storm of the second week, written in a careful hand that nobody has copied."
)


def tokens(text: str) -> list[str]:
    return [m.group().lower() for m in WORD.finditer(text)]


def scene() -> str:
    """Coriolanus, Act I, Scene 1: the first 474 lines of tinyshakespeare.txt (it ends with "Lets along.")."""
    lines = shakespeare().split("\n")
    assert lines[473] == "Lets along."
    return "\n".join(lines[:474]) + "\n"


def chapter_one() -> str:
    text = TIDEWATER.read_text(encoding="utf-8")
    return text[text.index("CHAPTER ONE") :]


def edited(text: str, keep: range) -> str:
    """Every tenth word replaced by a word the play never uses, except in ``keep`` (token numbers)."""
    parts, last = [], 0
    for i, m in enumerate(WORD.finditer(text)):
        if i % 10 == 9 and i not in keep:
            parts += [text[last : m.start()], "zarquon"]
            last = m.end()
    return "".join(parts) + text[last:]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def licenselens(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "licenselens", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def traced(samples_audit, tmp_path_factory):
    """trace of five works against the samples' audit index, with the manifest's outputs."""
    audit_dir, done = samples_audit
    assert (audit_dir / "index" / "manifest.json").exists(), done.stderr[-2000:]
    works = tmp_path_factory.mktemp("works")
    text = shakespeare()
    long_end = list(WORD.finditer(text))[19_999].end()  # a long work: the first 20,000 tokens
    (works / "scene.txt").write_text(scene(), encoding="utf-8")
    (works / "edited.txt").write_text(edited(scene(), range(1000, 1040)), encoding="utf-8")
    (works / "long.txt").write_text(text[:long_end], encoding="utf-8")
    (works / "unrelated.txt").write_text(UNRELATED, encoding="utf-8")
    (works / "tidewater.txt").write_text(chapter_one(), encoding="utf-8")
    out = tmp_path_factory.mktemp("trace") / "out"
    result = run(
        "trace",
        str(works),
        "--index",
        str(audit_dir / "index"),
        "--manifest",
        "samples/licenselens.toml",
        "-o",
        str(out),
    )
    report = json.loads((out / "trace.json").read_text(encoding="utf-8"))
    return result, out, report, {w["work_id"]: w for w in report["works"]}


def test_the_scene_is_found_whole_in_the_shakespeare_document(traced):
    result, out, report, works = traced
    assert result.exit_code == 0, result.output
    play, work = shakespeare(), scene()
    assert play.count(work) == 1  # the document holds it once, whole
    first, last = next(WORD.finditer(work)), list(WORD.finditer(work))[-1]
    found = works["scene.txt"]
    assert found["tokens"] == len(tokens(work))
    assert (found["share"], found["verbatim_share"]) == (1.0, 1.0)
    assert found["longest_span_tokens"] == len(tokens(work))
    assert found["longest_span_chars"] == last.end() - first.start()
    assert found["strongest_verdict"] == "verbatim"
    assert [(d["dataset"], d["doc_id"]) for d in found["documents"]] == [("shakespeare", "tinyshakespeare.txt")]
    assert found["datasets"] == [{"dataset": "shakespeare", "documents": 1, "excluded": 1}]
    document = found["documents"][0]
    assert document["license"] == "LicenseRef-scancode-public-domain"  # declared in the manifest
    assert document["opt_out"] is False and document["opt_out_signals"] == []  # corpus.parquet beside the index
    assert document["excluded"] is True
    match = document["match"]
    assert (match["verdict"], match["share"], match["found_tokens"]) == ("verbatim", 1.0, len(tokens(work)))
    passage = match["passages"][0]
    assert play[passage["copy_start_char"] : passage["copy_end_char"]] == work[first.start() : last.end()]
    assert (passage["work_start_char"], passage["work_end_char"]) == (first.start(), last.end())
    assert passage["copy_start_char"] == play.index(work) + first.start()


def test_a_chapter_of_an_opted_out_book_is_found_with_its_opt_out(traced, samples_audit):  # noqa: F811
    _, _, report, works = traced
    audit_dir, _ = samples_audit
    rows = pq.read_table(audit_dir / "corpus.parquet", columns=["doc_id", "tdm_opt_out", "tdm_signals"]).to_pylist()
    row = next(r for r in rows if r["doc_id"] == "the-tidewater-clock.txt")
    assert row["tdm_opt_out"]
    book, chapter = TIDEWATER.read_text(encoding="utf-8"), chapter_one()
    assert book.endswith(chapter)
    found = works["tidewater.txt"]
    assert (found["share"], found["longest_span_tokens"]) == (1.0, len(tokens(chapter)))
    (document,) = found["documents"]
    assert (document["dataset"], document["doc_id"]) == ("books-excerpts", "the-tidewater-clock.txt")
    assert document["opt_out"] is True
    assert document["opt_out_signals"] == sorted({s["signal"] for s in row["tdm_signals"]})
    assert document["match"]["copy_share"] == round(len(tokens(chapter)) / len(tokens(book)), 6)
    assert document["excluded"] and report["source"]["corpus_results"].endswith("corpus.parquet")


def test_the_outputs_reproducing_the_scene_are_found_and_no_others(traced):
    _, _, report, works = traced
    work = tokens(scene())
    outputs = [json.loads(line) for line in OUTPUTS.read_text(encoding="utf-8").splitlines()]
    copying = set()
    for output in outputs:  # tokens of the output in runs of 3+ tokens aligned with the scene
        mine = tokens(output["text"])
        blocks = SequenceMatcher(None, mine, work, autojunk=False).get_matching_blocks()
        if sum(b.size for b in blocks if b.size >= 3) >= 0.5 * len(mine):
            copying.add(output["id"])
    assert copying == {"out-09"}
    assert report["source"]["outputs_checked"] == len(outputs)
    listed = works["scene.txt"]["outputs"]
    assert [o["output_id"] for o in listed] == ["out-09"]
    assert listed[0]["match"]["verdict"] == "near-verbatim"
    assert listed[0]["match"]["passages"][0]["kind"] == "near-verbatim"
    assert all(o["output_id"] == "out-09" for w in works.values() for o in w["outputs"])


def test_an_edited_copy_is_found_near_verbatim_with_its_longest_exact_span(traced):
    _, _, _, works = traced
    work, original = tokens(edited(scene(), range(1000, 1040))), tokens(scene())
    matcher = SequenceMatcher(None, work, original, autojunk=False)
    longest = matcher.find_longest_match(0, len(work), 0, len(original)).size
    equal = sum(b.size for b in matcher.get_matching_blocks())
    in_spans = sum(b.size for b in matcher.get_matching_blocks() if b.size >= 13)  # the index's n
    assert longest == 49  # tokens 1000-1048: between the edits at 999 and 1049
    found = works["edited.txt"]
    assert found["longest_span_tokens"] == longest
    assert found["verbatim_share"] == round(in_spans / len(work), 6)
    assert found["share"] >= equal / len(work) >= 0.89  # near-copy blocks hold the edited words too
    assert found["strongest_verdict"] == "near-verbatim"
    document = found["documents"][0]
    assert (document["dataset"], document["doc_id"], document["excluded"]) == (
        "shakespeare",
        "tinyshakespeare.txt",
        True,
    )
    assert len(found["documents"]) == 1
    near = [p for p in document["match"]["passages"] if p["kind"] == "near-verbatim"]
    assert near and 0.85 <= near[0]["similarity"] < 1.0


def test_a_long_work_is_found_whole(traced):
    _, _, _, works = traced
    found = works["long.txt"]
    assert found["tokens"] == 20_000
    assert (found["share"], found["longest_span_tokens"]) == (1.0, 20_000)
    assert [d["doc_id"] for d in found["documents"]] == ["tinyshakespeare.txt"]


def test_a_text_nobody_copied_yields_nothing(traced):
    _, _, report, works = traced
    found = works["unrelated.txt"]
    assert found["documents"] == [] and found["outputs"] == [] and found["datasets"] == []
    assert (found["share"], found["longest_span_tokens"], found["strongest_verdict"]) == (0.0, 0, None)


def test_the_exclusion_list_round_trips(traced):
    _, out, report, works = traced
    listed = read_exclusions(str(out / "exclusions.txt"))
    excluded = {f"{d['dataset']}:{d['doc_id']}" for w in works.values() for d in w["documents"] if d["excluded"]}
    assert listed == excluded == set(report["excluded"])
    assert listed == {"shakespeare:tinyshakespeare.txt", "books-excerpts:the-tidewater-clock.txt"}


def test_the_work_index_blocks_outputs_through_overlap(traced, tmp_path):
    _, out, _, works = traced
    reproducing = {o["output_id"] for w in works.values() for o in w["outputs"]}
    guard = licenselens(
        "overlap", "--index", str(out / "work-index"), str(OUTPUTS), "--fail-on", "near-verbatim", "--format", "json"
    )
    assert guard.returncode == 1, guard.stderr
    verdicts = {o["id"]: o["verdict"] for o in json.loads(guard.stdout)["outputs"]}
    assert {i for i, v in verdicts.items() if v in ("verbatim", "near-verbatim")} == reproducing == {"out-09"}
    clean = tmp_path / "clean.jsonl"
    clean.write_text(
        "".join(line + "\n" for line in OUTPUTS.read_text(encoding="utf-8").splitlines() if '"out-09"' not in line),
        encoding="utf-8",
    )
    passed = licenselens("overlap", "--index", str(out / "work-index"), str(clean), "--fail-on", "near-verbatim")
    assert passed.returncode == 0, passed.stderr


def test_bad_work_files_are_item_errors_and_the_rest_is_traced(samples_audit, tmp_path):  # noqa: F811
    audit_dir, _ = samples_audit
    works = tmp_path / "works"
    works.mkdir()
    (works / "scene.txt").write_text(scene(), encoding="utf-8")
    (works / f"cover ({ADDRESS}).png").write_bytes(bytes(range(256)) * 16)
    (works / "empty.txt").write_bytes(b"")
    (works / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run(
        "trace", str(works), str(tmp_path / "missing.txt"), "--index", str(audit_dir / "index"), "-o", str(out)
    )
    assert result.exit_code == 2
    report = json.loads((out / "trace.json").read_text(encoding="utf-8"))
    errors = {(e["item"].rsplit("/", 1)[-1], e["code"]) for e in report["errors"]}
    assert ADDRESS not in result.output and ADDRESS not in json.dumps(report, ensure_ascii=False)
    assert errors == {
        ("cover (m***@m***.net).png", "binary"),
        ("empty.txt", "empty"),
        ("blank.txt", "empty"),
        ("missing.txt", "missing-input"),
    }
    terminal = "".join(result.output.split())  # rich wraps long paths anywhere, even inside a name
    for name in ("cover (m***@m***.net).png", "empty.txt", "blank.txt", "missing.txt"):
        assert f"{name.replace(' ', '')}:" in terminal  # each named on the terminal
    assert [w["work_id"] for w in report["works"]] == ["works/scene.txt"]
    assert report["works"][0]["share"] == 1.0
    assert report["source"]["manifest"] is None and report["works"][0]["outputs"] == []
    assert sorted(p.name for p in works.iterdir()) == ["blank.txt", f"cover ({ADDRESS}).png", "empty.txt", "scene.txt"]


def test_outdir_among_the_works_is_refused(samples_audit, tmp_path):  # noqa: F811
    audit_dir, _ = samples_audit
    (tmp_path / "scene.txt").write_text(scene(), encoding="utf-8")
    result = run("trace", str(tmp_path), "--index", str(audit_dir / "index"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "inside the works folder" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_trace_html_in_chromium(traced):
    _, out, _, _ = traced
    with chromium() as browser:
        page = open_page(browser, out / "trace.html")
        page.wait_for_load_state("load")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "trace-samples.png"), full_page=True)
        problems = [
            e for e in page.events if e[0] == "pageerror" or (e[0] == "console" and e[1] in ("error", "warning"))
        ]
        assert problems == []  # the Content-Security-Policy blocks nothing the page uses
        assert [e for e in page.events if e[0] == "request" and not e[2].startswith("file:")] == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        main = page.locator("main").bounding_box()
        for i in range(page.locator("table.grid").count()):  # every table fits the page's column
            table = page.locator("table.grid").nth(i).bounding_box()
            assert table["x"] + table["width"] <= main["x"] + main["width"] + 1
        assert page.locator("section.work").count() == 5
        scene_section = page.locator("#work-scene-txt")
        assert "100.0 %" in scene_section.locator("ul.headline").inner_text()
        assert scene_section.locator(".side-by-side").count() >= 2  # the document's span and out-09's passage
        assert scene_section.locator("em.diff").count() > 10  # out-09's edits are marked
        assert "tinyshakespeare.txt" in scene_section.locator("table").nth(1).inner_text()
        assert page.locator("#work-unrelated-txt").inner_text().count("Not found in the corpus") == 1


def test_every_trace_writer_masks_through_the_interface():
    assert all(issubclass(w, TraceWriter) and w.write is TraceWriter.write for w in TRACE_WRITERS.values())


# --- a corpus made here: every document holding the work, the privacy of what is written, determinism ------


def test_every_document_holding_a_work_is_found_whatever_holds_more_of_it(tmp_path):
    """A check lists a span's sources only where no longer run contains them; trace checks each document."""
    work = f"From the desk of {ADDRESS}: <script>alert(1)</script>\n" + scene()
    words = list(WORD.finditer(work))
    half = work[words[len(words) // 2].start() :]
    part = work[words[400].start() : words[800].end()]
    quote = work[words[1500].start() : words[1519].end()]
    page = work[words[2000].start() : words[2149].end()]
    corpus = tmp_path / "crawl"
    corpus.mkdir()
    (corpus / "whole.txt").write_text("A page that reprints the scene.\n\n" + work, encoding="utf-8")
    (corpus / "half.txt").write_text(half, encoding="utf-8")
    (corpus / f"edited ({ADDRESS}).txt").write_text(edited(part, range(0)), encoding="utf-8")
    (corpus / "review.txt").write_text(f"A review quotes one line: {quote}. Then it argues.", encoding="utf-8")
    (corpus / "page.txt").write_text(page, encoding="utf-8")  # a page of the work: a small share of it
    (corpus / "other.txt").write_text(UNRELATED, encoding="utf-8")
    index = tmp_path / "index"
    build_index(
        Manifest(None, None, (DatasetSpec("crawl", "pretraining", "web", (str(corpus),), "text"),), (), "t"), str(index)
    )
    works = tmp_path / "works"
    works.mkdir()
    (works / "scene.txt").write_text(work, encoding="utf-8")
    result = run_trace([str(works / "scene.txt")], TraceOptions(str(index), str(tmp_path / "out")))
    (found,) = result.works
    by_id = {d.doc_id: d for d in found.documents}
    assert set(by_id) == {"whole.txt", "half.txt", f"edited ({ADDRESS}).txt", "review.txt", "page.txt"}
    total = len(tokens(work))
    assert by_id["whole.txt"].match.found_tokens == total
    assert by_id["half.txt"].match.found_tokens == len(tokens(half))
    assert by_id["half.txt"].match.longest_span_tokens == len(tokens(half))
    review = by_id["review.txt"].match  # a 20-token quote: below near-verbatim, reported and not excluded
    assert (review.found_tokens, review.verdict, by_id["review.txt"].excluded) == (20, "transformative", False)
    edited_doc = by_id[f"edited ({ADDRESS}).txt"]
    assert edited_doc.match.verdict == "near-verbatim" and edited_doc.excluded
    assert edited_doc.match.found_tokens >= 0.95 * len(tokens(part))
    assert (by_id["page.txt"].match.found_tokens, by_id["page.txt"].match.copy_share) == (150, 1.0)
    assert by_id["page.txt"].match.share < 0.1  # excluded for being the work, not for holding much of it
    excluded = {d.doc_id for d in found.documents if d.excluded}
    assert excluded == {"whole.txt", "half.txt", f"edited ({ADDRESS}).txt", "page.txt"}
    assert all(d.opt_out is None for d in found.documents)  # no corpus results: unknown

    # every file written masks the address (ids and passages) and escapes markup; the same input gives the same bytes
    first, second = tmp_path / "first", tmp_path / "second"
    write_trace(result, str(first))
    write_trace(run_trace([str(works / "scene.txt")], TraceOptions(str(index), str(tmp_path / "out2"))), str(second))
    for name in TRACE_WRITERS:
        text = (first / name).read_text(encoding="utf-8")
        assert ADDRESS not in text, name
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    html = (first / "trace.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(read_exclusions(str(first / "exclusions.txt"))) == 4
    assert sorted(p.name for p in works.iterdir()) == ["scene.txt"]  # nothing written beside the work
