"""Coverage-guided fuzzing (atheris, libFuzzer) of the parsers that read untrusted text.

Run: .venv/bin/python bench/fuzz_parsers.py [-max_total_time=60] [other libFuzzer flags]

The first byte of an input picks the target, the rest is its payload (bytes,
or text decoded as UTF-8 with surrogateescape, so lone surrogates occur):

- spdx:     clean_tag_value, parse_spdx_tag (ExpressionError only) and the spdx-tag detector
- tokens:   token_spans / count_tokens against TOKEN_PATTERN (a differential check)
- pii:      find_pii and mask_text
- jsonl:    JsonlReader.plan and read on the payload as a .jsonl, .jsonl.gz or .jsonl.zst file
- manifest: load_manifest on the payload as licenselens.toml (Manifest or ManifestError)
- phrases:  the TDM opt-out and notice phrase detectors behind their anchor scanner

Seeds are real inputs (samples/ lines, tags, the sample manifest). A target
raising anything but its documented errors is a crash: libFuzzer stops, writes
the input under bench/results/fuzz/ and exits non-zero. libFuzzer ends the
process with C exit(), so the fuzzing runs in a child process and this one
prints the summary: ``fuzz_parsers: N inputs in S s, C crashes`` (exit code
that of libFuzzer: 0 when nothing crashed).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["licenselens"]):
    from license_expression import ExpressionError

    from licenselens.detectors.base import Content
    from licenselens.detectors.spdx_tags import SpdxTagDetector, clean_tag_value, parse_spdx_tag
    from licenselens.signals.anchors import AnchorScanner, lowered
    from licenselens.signals.phrases import phrase_rules
    from licenselens.signals.pii import PII_TYPES, find_pii, mask_text
    from licenselens.sources.jsonl import JsonlReader
    from licenselens.sources.manifest import ManifestError, load_manifest
    from licenselens.tokens import TOKEN_PATTERN, count_tokens, token_spans
    from licenselens.types.corpus import DatasetSpec, Document, DocumentError

REPO = Path(__file__).resolve().parent.parent
WORKDIR = "LICENSELENS_FUZZ_WORK"  # the child's scratch folder, made and removed by the parent
WORK = Path(os.environ.get(WORKDIR, "."))
TDM, NOTICES = phrase_rules("tdm_signals.yaml"), phrase_rules("corpus_notices.yaml")
SCANNER = AnchorScanner({"tdm": TDM.anchors, "notices": NOTICES.anchors})
SPEC = DatasetSpec(
    name="fuzz",
    stage="pretraining",
    kind="web",
    paths=(),
    format="jsonl",
    fields=(("license", "license"), ("url", "url")),
)
CHILD = "LICENSELENS_FUZZ_CHILD"


def text_of(payload: bytes) -> str:
    return payload.decode("utf-8", "surrogateescape")


def fuzz_spdx(payload: bytes) -> None:
    text = text_of(payload)
    value = clean_tag_value(text)
    assert clean_tag_value(value) == value
    try:
        spdx, keys = parse_spdx_tag(value)
        assert spdx and keys
    except ExpressionError:
        pass
    findings = SpdxTagDetector().detect(Content(location="", name="", text=text, timeout=10))
    assert all(d.license_expression_spdx for d in findings.detections)


def fuzz_tokens(payload: bytes) -> None:
    text = text_of(payload)
    starts, ends = token_spans(text)
    expected = [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]
    assert list(zip(starts.tolist(), ends.tolist())) == expected, text
    assert count_tokens(text) == len(expected)
    assert len(lowered(text)) == len(text)


def fuzz_pii(payload: bytes) -> None:
    text = text_of(payload)
    found = find_pii(text)
    assert set(found.counts) <= set(PII_TYPES) and all(n > 0 for n in found.counts.values())
    assert len(found.samples) <= 5
    masked = mask_text(text)
    assert isinstance(masked, str) and (masked == text) == (not found.counts)


def fuzz_jsonl(payload: bytes) -> None:
    kind, payload = (payload[0] % 4, payload[1:]) if payload else (0, b"")
    if kind == 0:
        path = WORK / "input.jsonl"
        path.write_bytes(payload)
    elif kind == 1:  # a valid gzip stream of the payload
        path = WORK / "input.jsonl.gz"
        path.write_bytes(gzip.compress(payload, mtime=0))
    else:  # the payload itself as a compressed file: mostly corrupt
        path = WORK / ("input.jsonl.gz" if kind == 2 else "input.jsonl.zst")
        path.write_bytes(payload)
    reader = JsonlReader()
    spec = DatasetSpec(**{**SPEC.__dict__, "paths": (str(path),)})
    for shard in reader.plan(spec, str(path), 64):  # tiny shards: many line boundaries
        if isinstance(shard, DocumentError):
            continue
        for item in reader.read(spec, shard):
            assert isinstance(item, (Document, DocumentError)), item


def fuzz_manifest(payload: bytes) -> None:
    path = WORK / "licenselens.toml"
    path.write_bytes(payload)
    try:
        manifest = load_manifest(path)
    except ManifestError:
        return
    assert manifest.datasets


def fuzz_phrases(payload: bytes) -> None:
    text = text_of(payload)
    anchors = SCANNER.scan(lowered(text))
    for rules, group in ((TDM, "tdm"), (NOTICES, "notices")):
        for signal, line in rules.find(text, anchors[group]):
            assert signal and 1 <= line <= text.count("\n") + 1


TARGETS = (fuzz_spdx, fuzz_tokens, fuzz_pii, fuzz_jsonl, fuzz_manifest, fuzz_phrases)


def test_one_input(data: bytes) -> None:
    if data:
        TARGETS[data[0] % len(TARGETS)](data[1:])


def seeds() -> Path:
    """Real inputs for every target, in a folder libFuzzer reads as its starting corpus."""
    folder = WORK / "seeds"
    folder.mkdir()
    pages = (REPO / "samples" / "corpus" / "web" / "pages.jsonl").read_bytes().splitlines(keepends=True)
    by_target = {
        fuzz_spdx: [
            b"(MIT OR Apache-2.0) */",
            b"GPL-2.0-or-later WITH Classpath-exception-2.0",
            b"// SPDX-License-Identifier: MIT\n# SPDX-FileCopyrightText: 2024 Jane\n",
            b"LicenseRef-x AND (",
        ],
        fuzz_tokens: [b"\xe5\xad\x9f\xe5\xad\x90 Hello, WORLD_2 caf\xc3\xa9 x\xc2\xb2 \xed\xa0\x80"],
        fuzz_pii: [line for line in pages if b"@" in line or b"4111" in line][:4]
        + [b"call +1 415 555 0132 or 13812345678, id 110101199003071233, ip 2001:db8::10"],
        fuzz_jsonl: [b"\x00" + b"".join(pages[:3]), b"\x01" + pages[3], b"\x00{broken\n[1]\n\"x\"\n{\"text\": 3}\n"],
        fuzz_manifest: [(REPO / "samples" / "licenselens.toml").read_bytes()],
        fuzz_phrases: [line for line in pages if b"noai" in line or b"tdm" in line or b"rights" in line][:4],
    }
    count = 0
    for target, inputs in by_target.items():
        for payload in inputs:
            (folder / f"seed-{count}").write_bytes(bytes([TARGETS.index(target)]) + payload)
            count += 1
    return folder


def drive(args: list[str]) -> int:
    """Run the fuzzer in a child, pass its output through, and summarise."""
    work, started = tempfile.mkdtemp(prefix="licenselens-fuzz-"), time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, __file__, *args],
            env={**os.environ, CHILD: "1", WORKDIR: work},
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        runs, artifacts = 0, []
        for line in proc.stderr:
            sys.stderr.write(line)
            if done := re.match(r"(?:Done |#)(\d+)\s", line):  # status lines, and the last one
                runs = int(done.group(1))
            elif written := re.search(r"Test unit written to (\S+)", line):
                artifacts.append(written.group(1))
        code = proc.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    crashes = 0 if code == 0 and not artifacts else max(1, len(artifacts))
    print(
        f"fuzz_parsers: {'at least ' if crashes else ''}{runs} inputs in {time.monotonic() - started:.0f} s, "
        f"{crashes} crashes" + (f" (inputs: {', '.join(artifacts)})" if artifacts else ""),
        flush=True,
    )
    return code


def main() -> None:
    args = sys.argv[1:]
    if not any(a.startswith(("-max_total_time=", "-runs=")) for a in args):
        args.append("-max_total_time=60")
    if not any(a.startswith("-timeout=") for a in args):
        args.append("-timeout=10")  # an input that takes this long (seconds) is reported as a hang
    if not any(a.startswith("-artifact_prefix=") for a in args):
        artifacts = REPO / "bench" / "results" / "fuzz"
        artifacts.mkdir(parents=True, exist_ok=True)
        args.append(f"-artifact_prefix={artifacts}{os.sep}")
    if os.environ.get(CHILD) != "1":
        sys.exit(drive(args))
    if not any(not a.startswith("-") for a in args):
        args.append(str(seeds()))
    atheris.Setup([sys.argv[0], *args], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
