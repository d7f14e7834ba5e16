from __future__ import annotations

import copy
import re

import pytest

from licenselens.policy.fair_use import RISKS, US_FACTORS, RulesError, assess, load_rules, validate
from licenselens.rules import load_yaml
from licenselens.types.corpus import KINDS


def dataset(name: str, kind: str = "web", stage: str = "pretraining", **over) -> dict:
    """A dataset's evidence as the audit writes it: by default clean (nothing reproduced, no signals)."""
    ds = {
        "name": name,
        "stage": stage,
        "kind": kind,
        "declared_license": None,
        "source": f"https://example.org/{name}",
        "documents": 40,
        "tokens": 20000,
        "license_share": 0.5,
        "categories": {"Permissive": 0.4, "Public Domain": 0.1, "none": 0.5},
        "all_rights_reserved_share": 0.0,
        "non_commercial_share": 0.0,
        "mismatch_share": 0.0,
        "tdm_opt_out_share": 0.0,
        "tdm_opt_out_documents": 0,
        "pii_share": 0.0,
        "duplicate_share": 0.0,
        "outputs_checked": 8,
        "outputs_with_spans": 0,
        "outputs_verbatim": 0,
        "outputs_near_verbatim": 0,
        "regurgitation_rate": 0.0,
        "longest_span_tokens": 0,
        "longest_span_chars": 0,
        "copied_token_share": 0.0,
        "documents_reproduced": 0,
        "documents_reproduced_share": 0.0,
        "near_best_similarity": 0.0,
    }
    ds.update(over)
    ds.setdefault("governing_categories", ds["categories"])  # the text states every licence there is
    ds.setdefault("declared_only_share", 0.0)
    return ds


def evidence(*datasets: dict, use: str = "generative", processing: dict | None = None) -> dict:
    ev = {
        "model": {"name": "lens-demo-1b", "use": use},
        "totals": {
            "datasets": len(datasets),
            "documents": sum(d["documents"] for d in datasets),
            "tokens": sum(d["tokens"] for d in datasets),
            "outputs_checked": 8,
        },
        "datasets": {d["name"]: d for d in datasets},
    }
    if processing is not None:
        ev["processing"] = processing
    return ev


# A book dataset that the model regurgitates: 3 of 8 outputs copy it, one span of 240 tokens.
REGURGITATED_BOOKS = dataset(
    "books-excerpts",
    "books",
    documents=12,
    tokens=9000,
    license_share=0.1,
    categories={"Permissive": 0.05, "none": 0.9},
    all_rights_reserved_share=0.5,
    outputs_with_spans=4,
    outputs_verbatim=2,
    outputs_near_verbatim=1,
    regurgitation_rate=0.375,
    longest_span_tokens=240,
    longest_span_chars=1300,
    copied_token_share=0.12,
    documents_reproduced=3,
    documents_reproduced_share=0.25,
    near_best_similarity=0.91,
)


def us(result: dict, name: str) -> dict:
    return {f["id"]: f for f in result["datasets"][name]["us"]["factors"]}


def point(result: dict, name: str, place: str, point_id: str) -> dict:
    j = next(j for j in result["datasets"][name]["jurisdictions"] if j["id"] == place)
    return next(p for p in j["points"] if p["id"] == point_id)


def all_positions(result: dict):
    for entry in result["datasets"].values():
        yield from entry["us"]["factors"]
        for j in entry["jurisdictions"]:
            yield from j["points"]


def test_every_dataset_gets_four_factors_three_jurisdictions_and_filled_texts():
    kinds = [
        dataset(f"d-{kind}", kind, stage) for kind, stage in zip(KINDS, ["pretraining", "sft", "rlhf", "domain"] * 2)
    ]
    result = assess(evidence(*kinds, REGURGITATED_BOOKS, dataset("no-outputs", "qa", outputs_checked=0)))
    assert "not legal advice" in result["disclaimer"]
    assert len(result["datasets"]) == len(KINDS) + 2
    for entry in result["datasets"].values():
        assert [f["id"] for f in entry["us"]["factors"]] == list(US_FACTORS)
        assert [j["id"] for j in entry["jurisdictions"]] == ["eu", "jp", "cn"]
        assert entry["us"]["overall_risk"] == max((f["risk"] for f in entry["us"]["factors"]), key=RISKS.index)
        for j in entry["jurisdictions"]:
            assert j["overall_risk"] == max((p["risk"] for p in j["points"]), key=RISKS.index)
    for p in all_positions(result):
        assert p["risk"] in RISKS
        assert "{" not in p["position"] and "}" not in p["position"], p["position"]
        assert p["authorities"] and all(a["url"].startswith("http") for a in p["authorities"])
        assert all(set(e) == {"metric", "label", "value"} and e["value"] for e in p["evidence"])


def test_regurgitated_books_make_amount_and_market_high_and_cite_the_numbers():
    result = assess(evidence(REGURGITATED_BOOKS, dataset("clean-books", "books")))
    bad, clean = us(result, "books-excerpts"), us(result, "clean-books")
    assert bad["amount"]["risk"] == bad["market"]["risk"] == "high"
    assert "240 tokens" in bad["amount"]["position"] and "12.0%" in bad["amount"]["position"]
    assert "3 of its 12 documents" in bad["amount"]["position"]
    assert "3 of 8 checked outputs (37.5%)" in bad["market"]["position"]
    assert {
        "metric": "regurgitation_rate",
        "label": "Checked outputs reproducing this dataset",
        "value": "37.5 %",
    } in bad["market"]["evidence"]
    assert "Kadrey v. Meta Platforms, Inc." in [a["name"] for a in bad["market"]["authorities"]]
    assert result["datasets"]["books-excerpts"]["us"]["overall_risk"] == "high"
    # The same kind of data, nothing reproduced: the positions change with the evidence.
    assert clean["amount"]["risk"] == clean["market"]["risk"] == "low"
    assert "None of the 8 checked outputs" in clean["amount"]["position"]
    assert point(result, "books-excerpts", "jp", "non-enjoyment")["risk"] == "high"
    assert point(result, "clean-books", "jp", "non-enjoyment")["risk"] == "low"


def test_public_domain_text_is_not_a_copyright_risk_however_much_is_reproduced():
    """A public-domain classic reproduced by outputs: fair use is not reached; a protected twin stays high."""
    copied = {
        k: v
        for k, v in REGURGITATED_BOOKS.items()
        if k not in ("name", "kind", "categories", "governing_categories", "declared_only_share")
    }
    classics = dataset(
        "classics",
        "books",
        categories={"none": 1.0},
        governing_categories={"Public Domain": 1.0},
        declared_only_share=1.0,
        **copied,
    )
    result = assess(evidence(classics, REGURGITATED_BOOKS))
    pd_factors, protected = us(result, "classics"), us(result, "books-excerpts")
    assert {f["risk"] for f in pd_factors.values()} == {"low"}
    assert "100% of the documents of classics are in the public domain" in pd_factors["purpose"]["position"]
    assert "fair use is not reached" in pd_factors["purpose"]["position"]
    assert "3 of 8 checked outputs reproduce" in pd_factors["purpose"]["position"]
    assert {
        "metric": "declared_only_share",
        "label": "Documents whose licence is only declared (text silent)",
        "value": "100.0 %",
    } in pd_factors["purpose"]["evidence"]
    for place, point_id in (("jp", "non-enjoyment"), ("jp", "proviso"), ("cn", "limitations")):
        assert point(result, "classics", place, point_id)["risk"] == "low"
        assert point(result, "books-excerpts", place, point_id)["risk"] == "high"
    assert protected["amount"]["risk"] == protected["market"]["risk"] == "high"
    # 80 % public domain is under this policy's threshold: the copying is weighed again
    mostly = dataset(
        "mostly", "books", categories={"none": 1.0}, governing_categories={"Public Domain": 0.8, "none": 0.2}, **copied
    )
    assert us(assess(evidence(mostly)), "mostly")["market"]["risk"] == "high"


def test_openly_licensed_text_turns_reproduction_into_a_licence_compliance_question():
    copied = {
        k: v
        for k, v in REGURGITATED_BOOKS.items()
        if k not in ("name", "kind", "categories", "governing_categories", "declared_only_share")
    }
    wiki = dataset(
        "wiki",
        "encyclopedia",
        categories={"Copyleft Limited": 0.8, "none": 0.2},
        governing_categories={"Copyleft Limited": 1.0},
        declared_only_share=0.2,
        **copied,
    )
    factors = us(assess(evidence(wiki)), "wiki")
    assert [factors[f]["risk"] for f in ("purpose", "amount", "market")] == ["medium"] * 3
    assert "licence compliance" in factors["purpose"]["position"]
    assert "3 of 8 checked outputs (37.5%)" in factors["purpose"]["position"]
    assert "up to 240 tokens" in factors["amount"]["position"]
    # nothing reproduced: the open licence leaves nothing to weigh
    clean = dataset("wiki", "encyclopedia", governing_categories={"Copyleft Limited": 1.0})
    assert {f["risk"] for f in us(assess(evidence(clean)), "wiki").values()} == {"low"}


def test_unchecked_outputs_are_said_to_be_unmeasured():
    result = assess(evidence(dataset("web", outputs_checked=0)))
    amount = us(result, "web")["amount"]
    assert amount["risk"] == "medium" and "no outputs were checked" in amount["position"]


def test_missing_measurements_are_stated_not_guessed():
    ds = dataset("partial", "books")
    del ds["longest_span_tokens"], ds["categories"], ds["governing_categories"]
    result = assess(evidence(ds))
    texts = " ".join(p["position"] for p in all_positions(result))
    assert "not measured" in texts and "{" not in texts


def test_legal_corpus_cites_china_art_5_and_others_do_not():
    result = assess(evidence(dataset("statutes", "legal"), dataset("novels", "books")))
    legal = point(result, "statutes", "cn", "subject-matter")
    assert legal["risk"] == "low"
    assert "Art. 5 excludes from protection laws and regulations" in legal["position"]
    assert "judicial" in legal["position"]
    assert "Art. 5" in legal["statute"]
    assert point(result, "novels", "cn", "subject-matter")["risk"] == "medium"
    assert "excludes only official documents" in point(result, "novels", "cn", "subject-matter")["position"]
    assert "Georgia v. Public.Resource.Org, Inc." in [
        a["name"] for a in us(result, "statutes")["nature"]["authorities"]
    ]


def test_non_generative_use_cites_ross_and_is_high_risk():
    ds = dataset("headnotes", "legal")
    ross = "Thomson Reuters Enterprise Centre GmbH v. Ross Intelligence Inc."
    purpose = us(assess(evidence(ds, use="non-generative")), "headnotes")["purpose"]
    assert purpose["risk"] == "high"
    assert "Ross" in purpose["position"] and ross in [a["name"] for a in purpose["authorities"]]
    generative = us(assess(evidence(ds)), "headnotes")["purpose"]
    assert generative["risk"] == "low" and ross not in [a["name"] for a in generative["authorities"]]


@pytest.mark.parametrize(
    "processing, share, expected",
    [
        (None, 0.025, "medium"),
        (None, 0.10, "high"),
        ({"opt_outs_removed": None}, 0.10, "high"),
        ({"opt_outs_removed": False}, 0.025, "high"),
        ({"opt_outs_removed": True}, 0.10, "low"),
        (None, 0.0, "low"),
    ],
)
def test_eu_art_4_follows_the_measured_opt_outs(processing, share, expected):
    ds = dataset("crawl", "web", documents=40, tdm_opt_out_share=share, tdm_opt_out_documents=round(share * 40))
    tdm = point(assess(evidence(ds, processing=processing)), "crawl", "eu", "tdm")
    assert tdm["risk"] == expected
    if share:
        assert f"{round(share * 40)} of the 40 documents of crawl ({share:.1%}" in tdm["position"]
        assert {
            "metric": "tdm_opt_out_documents",
            "label": "Documents with a TDM reservation",
            "value": str(round(share * 40)),
        } in tdm["evidence"]
    else:
        assert "found no reservation" in tdm["position"]


def test_research_organisation_relies_on_art_3():
    ev = evidence(dataset("crawl", tdm_opt_out_share=0.1, tdm_opt_out_documents=4))
    ev["model"]["research_organisation"] = True
    tdm = point(assess(ev), "crawl", "eu", "tdm")
    assert tdm["risk"] == "low" and "Art. 3" in tdm["position"]


def test_median_overall_is_a_rule_in_the_yaml():
    rules = copy.deepcopy(load_yaml("fair_use.yaml"))
    rules["us"]["overall"] = "median"
    entry = assess(evidence(REGURGITATED_BOOKS), rules)["datasets"]["books-excerpts"]["us"]
    risks = sorted((RISKS.index(f["risk"]) for f in entry["factors"]), reverse=True)
    assert entry["overall_risk"] == RISKS[risks[1]] and entry["overall_basis"].startswith("median of")


def broken(edit) -> str:
    rules = copy.deepcopy(load_yaml("fair_use.yaml"))
    edit(rules)
    with pytest.raises(RulesError) as info:
        validate(rules, "fair_use.yaml")
    return str(info.value)


def purpose_alt(rules: dict, n: int = 0) -> dict:
    return rules["us"]["factors"][0]["positions"][n]


def test_shipped_rules_are_valid():
    assert load_rules()["us"]["factors"]


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda r: purpose_alt(r).update(when={"regurgitation_rat": {"gte": 0.1}}),
            r"us\.factors\.purpose\.positions\[1\]\.when\.regurgitation_rat: unknown metric 'regurgitation_rat'",
        ),
        (
            lambda r: purpose_alt(r).update(risk="severe"),
            r"us\.factors\.purpose\.positions\[1\]\.risk: 'severe' is not one of low, medium, high",
        ),
        (
            lambda r: r["us"]["factors"][0]["positions"].pop(),
            r"us\.factors\.purpose\.positions: must be a list of alternatives ending with `when: otherwise`",
        ),
        (
            lambda r: purpose_alt(r).update(when="otherwise"),
            r"us\.factors\.purpose\.positions\[1\]\.when: `otherwise` must be the last alternative",
        ),
        (
            lambda r: purpose_alt(r).update(text="{outputs_verbatm} outputs"),
            r"us\.factors\.purpose\.positions\[1\]\.text: unknown placeholder \{outputs_verbatm\}",
        ),
        (
            lambda r: purpose_alt(r).update(text="{name:.1%} outputs"),
            r"us\.factors\.purpose\.positions\[1\]\.text: bad format in a placeholder",
        ),
        (
            lambda r: purpose_alt(r).update(text="a { brace"),
            r"us\.factors\.purpose\.positions\[1\]\.text: not a valid template",
        ),
        (
            lambda r: purpose_alt(r).update(when={"regurgitation_rate": {"gte": "regurgitation_hi"}}),
            r"when\.regurgitation_rate\.gte: 'regurgitation_hi' is not a number, a name under thresholds or a metric",
        ),
        (
            lambda r: purpose_alt(r).update(when={"regurgitation_rate": {"above": 0.1}}),
            r"when\.regurgitation_rate\.above: unknown comparison",
        ),
        (lambda r: purpose_alt(r).update(when={"kind": ["book"]}), r"when\.kind: \['book'\] not among web, books"),
        (
            lambda r: purpose_alt(r).update(when={"any": [{"model_us": "generative"}]}),
            r"when\.any\[1\]\.model_us: unknown metric",
        ),
        (
            lambda r: purpose_alt(r).update(authorities=["rosss"]),
            r"positions\[1\]\.authorities: unknown authorities \['rosss'\]",
        ),
        (lambda r: purpose_alt(r).update(evidence=["regurgitation"]), r"positions\[1\]\.evidence: unknown evidence"),
        (
            lambda r: r["jurisdictions"][1]["points"][0]["positions"][0].update(risk="hgh"),
            r"jurisdictions\.jp\.points\.non-enjoyment\.positions\[1\]\.risk: 'hgh'",
        ),
        (lambda r: r["us"]["factors"].pop(), r"us\.factors: must be the four factors"),
        (lambda r: r["nature"].pop("books"), r"nature: missing field\(s\) books"),
        (
            lambda r: r["thresholds"].update(regurgitation_high="ten percent"),
            r"thresholds\.regurgitation_high: must be a number",
        ),
        (
            lambda r: r["metrics"]["kind"].update(format="percent"),
            r"metrics\.kind\.format: 'percent' is not one of text",
        ),
        (lambda r: r.pop("disclaimer"), r"top level: missing field\(s\) disclaimer"),
    ],
)
def test_bad_rules_name_the_field(edit, expected):
    message = broken(edit)
    assert message.startswith("fair_use.yaml: ")
    assert re.search(expected, message), message
