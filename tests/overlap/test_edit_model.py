"""The edit model does what its record says, and nothing else."""

from __future__ import annotations

import random

from licenselens.tokens import tokens

from .edit_model import Doc, _lexed, indel, make_case, rename, reorder, substitute, vocabulary
from .near_truth import STDLIB, chinese_docs, code_docs, shakespeare_docs


def test_substitutions_change_exactly_the_logged_tokens():
    plays = shakespeare_docs(3)
    vocab = vocabulary(plays[2:], "en")
    passage = plays[0].text[2_000:3_500]
    for mode, rate in (("random", 1 / 5), ("periodic", 1 / 6)):
        edited, edits = substitute(passage, "en", random.Random(3), vocab, rate, mode)
        before, after = tokens(passage), tokens(edited)
        assert len(before) == len(after)
        changed = [k for k, (x, y) in enumerate(zip(before, after)) if x != y]
        assert changed == [e["token"] for e in edits]
        if mode == "periodic":
            assert {b - a for a, b in zip(changed, changed[1:])} == {6}
        assert abs(len(edits) - len(before) * rate) <= 1


def test_chinese_edits_touch_cjk_characters_only():
    chapter = chinese_docs(3)[0].text
    vocab = vocabulary([Doc("x", "y", "zh", chinese_docs(6)[5].text)], "zh")
    edited, edits = indel(chapter[:600], "zh", random.Random(4), vocab, 1 / 8)
    inserted = sum(e["op"] == "insert" for e in edits)
    deleted = sum(e["op"] == "delete" for e in edits)
    assert len(tokens(edited)) == len(tokens(chapter[:600])) + inserted - deleted
    assert all(len(e.get("new", e.get("old"))) == 1 for e in edits)


def test_sentence_swaps_keep_every_character():
    passage = shakespeare_docs(1)[0].text[:1_500]
    edited, edits = reorder(passage, "en", random.Random(5), 2)
    assert sorted(edited) == sorted(passage) and edited != passage and len(edits) == 2


def test_renames_are_consistent_and_change_names_only():
    text = (STDLIB / "textwrap.py").read_text(encoding="utf-8")
    vocab = vocabulary(code_docs(4), "code")
    start = text.find("\ndef ") + 1
    end = text.find("\n", start + 2_000) + 1
    edited, edits = rename(text, start, end, random.Random(6), vocab, 3)
    mapping = {e["old"]: e["new"] for e in edits}
    old, new = _lexed(text[start:end]), _lexed(edited)
    assert [t for _, t, _ in old] == [t for _, t, _ in new]
    for (_, kind, a), (_, _, b) in zip(old, new):
        assert b == (mapping[a] if a in mapping and str(kind) == "Token.Name" else a)


def test_a_case_is_its_record():
    docs = shakespeare_docs(4)
    vocab = vocabulary(docs[3:], "en")
    case = make_case(42, "substitute", {"rate": 1 / 8, "mode": "random"}, docs[:3], docs[3:], vocab)
    again = make_case(42, "substitute", {"rate": 1 / 8, "mode": "random"}, docs[:3], docs[3:], vocab)
    assert case.output == again.output and case.record == again.record
    record = case.record
    assert len(tokens(case.output)) == record["output_tokens"] <= 2_000
    a, b = record["output_passage_chars"]
    source = next(d for d in docs if d.doc_id == record["source"]["doc_id"]).text
    original = source[slice(*record["source"]["chars"])]
    assert len(tokens(case.output[a:b])) == len(tokens(original)) == record["passage_tokens"]
    before = docs[3].text[slice(*record["before"]["chars"])]
    assert case.output.startswith(before) and case.output[a:b] != original
