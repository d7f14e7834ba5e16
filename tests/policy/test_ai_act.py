from __future__ import annotations

import copy
import re

import pytest

from licenselens.policy.ai_act import public_summary, validate
from licenselens.policy.fair_use import RulesError
from licenselens.rules import load_yaml

NOT_STATED = "not stated in the manifest"


def dataset(name: str, kind: str, stage: str = "pretraining", tokens: int = 10000, documents: int = 20, **over) -> dict:
    ds = {
        "name": name,
        "stage": stage,
        "kind": kind,
        "source": f"https://{name}.example.org/dump",
        "documents": documents,
        "tokens": tokens,
        "tdm_opt_out_share": 0.0,
        "tdm_opt_out_documents": 0,
    }
    ds.update(over)
    return ds


def evidence(**extra) -> dict:
    datasets = [
        dataset(
            "common-crawl-slice", "web", tokens=30000, documents=50, tdm_opt_out_documents=5, tdm_opt_out_share=0.1
        ),
        dataset("books-excerpts", "books", tokens=9000, documents=12, tdm_opt_out_documents=1, tdm_opt_out_share=0.083),
        dataset("wiki", "encyclopedia", tokens=12000),
        dataset("tiny-faq", "qa", tokens=100, documents=2),
        dataset("chat-sft", "qa", "sft", tokens=900, documents=4, source=None),
    ]
    ev = {
        "model": {"name": "lens-demo-1b", "use": "generative"},
        "totals": {"datasets": 5, "documents": 88, "tokens": 52000},
        "datasets": {d["name"]: d for d in datasets},
    }
    ev.update(extra)
    return ev


def fields(summary: dict) -> dict:
    return {f["id"]: f for s in summary["sections"] for f in s["fields"]}


def test_sections_follow_the_template_and_every_field_is_filled_or_not_stated():
    summary = public_summary(evidence())
    assert [(s["id"], s["title"]) for s in summary["sections"]] == [
        ("1", "General information"),
        ("2", "List of data sources"),
        ("3", "Relevant data processing aspects"),
    ]
    assert "Art. 53(1)(d)" in summary["template"]["legal_basis"]
    for f in fields(summary).values():
        assert isinstance(f["value"], str) and f["value"].strip(), f
        assert "{" not in f["value"] and "None" != f["value"]
    f = fields(summary)
    # Nothing in the evidence says who the provider is or how data was processed: said so, not guessed.
    for key in ("1.1.a", "1.2.c", "1.3.d", "2.3.b", "3.1.a", "3.1.d", "3.2.a", "3.3.a", "3.3.b"):
        assert f[key]["value"] == NOT_STATED, key
    assert f["1.2.a"]["value"] == "lens-demo-1b"
    assert f["1.3.a"]["value"] == "Text"
    assert (
        f["1.3.b"]["value"]
        == "Text: Less than 1 billion tokens (52,000 tokens in 88 documents of 5 datasets, as measured)"
    )


def test_datasets_are_listed_under_their_source_type():
    f = fields(public_summary(evidence()))
    assert f["2.1.a"]["value"].startswith("Yes: 3 of the 5 datasets")
    large = f["2.1.c"]["items"]
    assert [item.split(":")[0] for item in large] == ["books-excerpts", "wiki"]  # tiny-faq is under 3 % of public data
    assert "https://wiki.example.org/dump" in f["2.1.c"]["value"]
    assert f["2.1.d"]["value"].startswith("1 smaller dataset(s), 100 tokens in all: tiny-faq")
    assert f["2.3.a"]["value"].startswith("Yes: 1 of the 5")
    assert "common-crawl-slice" in f["2.3.f"]["value"]
    assert f["2.3.g"]["items"] == ["common-crawl-slice.example.org"]
    assert "chat-sft" in f["2.6.b"]["value"] and NOT_STATED in f["2.6.b"]["value"]  # no source in the manifest
    assert f["2.5.a"]["value"] == "No dataset of this type among the 5 in the manifest"
    assert f["2.2.1.b"]["value"] == "None in the manifest"


def test_a_manifest_source_type_overrides_the_mapping():
    ev = evidence()
    ev["datasets"]["chat-sft"]["source_type"] = "synthetic"
    f = fields(public_summary(ev))
    assert f["2.5.a"]["value"].startswith("Yes: 1 of the 5") and "chat-sft" in f["2.5.b"]["value"]
    assert f["2.6.a"]["value"].startswith("No dataset")


def test_opt_outs_are_reported_as_measured():
    f = fields(public_summary(evidence()))
    assert "checked 88 documents of 5 datasets" in f["3.1.b"]["value"]
    assert "found 6 (6.8 %) in 2 dataset(s)" in f["3.1.b"]["value"]
    assert f["3.1.c"]["items"] == [
        "common-crawl-slice: 5 of 50 documents (10.0 %)",
        "books-excerpts: 1 of 12 documents (8.3 %)",
    ]
    assert f["3.1.d"]["value"] == NOT_STATED


def test_what_the_manifest_states_is_shown():
    ev = evidence(
        processing={"opt_outs_removed": True, "pii_removed": False, "dedup": None, "crawlers": ["LensBot/1.0"]}
    )
    ev["model"].update(provider="Example AI GmbH, Berlin", knowledge_cutoff="2025-03")
    f = fields(public_summary(ev))
    assert f["3.1.d"]["value"] == "Yes" and f["3.3.a"]["value"] == "No" and f["3.3.b"]["value"] == NOT_STATED
    assert f["2.3.b"]["value"] == "LensBot/1.0"
    assert f["1.1.a"]["value"] == "Example AI GmbH, Berlin" and f["1.3.d"]["value"] == "2025-03"


def test_without_datasets_nothing_is_invented():
    f = fields(public_summary({"model": {}, "datasets": {}}))
    assert f["1.3.a"]["value"] == f["1.3.b"]["value"] == f["3.1.b"]["value"] == NOT_STATED
    assert f["1.2.a"]["value"] == NOT_STATED


def broken(edit) -> str:
    rules = copy.deepcopy(load_yaml("ai_act_summary.yaml"))
    edit(rules)
    with pytest.raises(RulesError) as info:
        validate(rules)
    return str(info.value)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda r: r["sections"][0]["fields"][0].update(value="computed:provider"),
            r"sections\.1\.fields\.1\.1\.a\.value: 'computed:provider' is not",
        ),
        (
            lambda r: r["sections"][1]["fields"][0].update(value="computed:uses"),
            r"fields\.2\.1\.a\.value: 'computed:uses'",
        ),
        (lambda r: r["sections"][1]["fields"][0].update(value="computed:uses:scraped"), r"'computed:uses:scraped'"),
        (
            lambda r: r["source_types"][0].update(type="annotated"),
            r"source_types\[1\]\.type: 'annotated' is not one of",
        ),
        (lambda r: r["source_types"][0].update(when={"knd": ["web"]}), r"source_types\[1\]\.when\.knd: unknown metric"),
        (lambda r: r["source_types"].pop(), r"source_types: must be a list of rules ending with `when: otherwise`"),
        (lambda r: r["size_bands"][1].update(below=5), r"size_bands\[2\]\.below: must be a whole number"),
        (lambda r: r["content_types"].pop("code"), r"content_types: missing field\(s\) code"),
        (lambda r: r["sections"][0]["fields"][1].update(id="1.1.a"), r"fields\.1\.1\.a: duplicate id"),
    ],
)
def test_bad_rules_name_the_field(edit, expected):
    message = broken(edit)
    assert message.startswith("ai_act_summary.yaml: ")
    assert re.search(expected, message), message
