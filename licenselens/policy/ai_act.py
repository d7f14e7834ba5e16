"""The public summary of training content (AI Act Art. 53(1)(d)), laid out as the AI Office's template.

Labels, explanations and the mapping of datasets to the template's source types live in
rules/ai_act_summary.yaml. Values come only from the audit's evidence: a field it cannot
fill says "not stated in the manifest", never a guess.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from licenselens.policy.fair_use import DERIVED, FORMATS, NUMBERS, Checker, holds
from licenselens.rules import load_yaml
from licenselens.types.corpus import KINDS

RULES_FILE = "ai_act_summary.yaml"
SOURCE_TYPES = ("public", "licensed", "private", "crawled", "user", "synthetic", "other")
LOOKUPS = ("model", "processing", "totals")
# Computed values; True: needs a source type (computed:uses:crawled), None: takes one optionally.
COMPUTED = {
    "modalities": None,
    "size": False,
    "content_types": False,
    "stages": False,
    "opt_outs": False,
    "opt_out_datasets": False,
    "uses": True,
    "datasets": True,
    "large": True,
    "others": True,
    "domains": True,
}
PERCENT = FORMATS["percent"]


def load_rules() -> dict:
    return validate(load_yaml(RULES_FILE))


def validate(data: Any, source: str = RULES_FILE) -> dict:
    chk = Checker(source, allowed={"kind", "stage"} | (NUMBERS - DERIVED))  # a dataset's own evidence
    top = chk.mapping(
        data,
        "top level",
        {
            "title",
            "template",
            "intro",
            "not_stated",
            "large_share",
            "size_bands",
            "content_types",
            "source_types",
            "sections",
        },
    )
    for field in ("title", "intro", "not_stated"):
        chk.text(top[field], field)
    for field in chk.mapping(top["template"], "template", {"name", "publisher", "published", "legal_basis", "url"}):
        chk.text(top["template"][field], f"template.{field}")
    if (
        isinstance(top["large_share"], bool)
        or not isinstance(top["large_share"], (int, float))
        or not 0 < top["large_share"] < 1
    ):
        chk.fail("large_share", "must be a number between 0 and 1")
    bands = top["size_bands"]
    if not isinstance(bands, list) or not bands:
        chk.fail("size_bands", "must be a non-empty list")
    for n, band in enumerate(bands, 1):
        last = n == len(bands)
        chk.text(
            chk.mapping(band, f"size_bands[{n}]", {"label"} if last else {"label", "below"})["label"],
            f"size_bands[{n}].label",
        )
        if not last and (not isinstance(band["below"], int) or n > 1 and band["below"] <= bands[n - 2]["below"]):
            chk.fail(f"size_bands[{n}].below", "must be a whole number of tokens, larger than the band before")
    for kind, label in chk.mapping(top["content_types"], "content_types", set(KINDS)).items():
        chk.text(label, f"content_types.{kind}")
    rules = top["source_types"]
    if (
        not isinstance(rules, list)
        or not rules
        or not isinstance(rules[-1], dict)
        or rules[-1].get("when") != "otherwise"
    ):
        chk.fail("source_types", "must be a list of rules ending with `when: otherwise`")
    for n, rule in enumerate(rules, 1):
        chk.mapping(rule, f"source_types[{n}]", {"type", "when"})
        chk.one_of(rule["type"], SOURCE_TYPES, f"source_types[{n}].type")
        chk.condition(rule["when"], f"source_types[{n}].when")
    if not isinstance(top["sections"], list) or not top["sections"]:
        chk.fail("sections", "must be a non-empty list")
    seen = set()
    for n, section in enumerate(top["sections"], 1):
        chk.mapping(section, f"sections[{n}]", {"id", "title", "fields"})
        where = f"sections.{chk.text(section['id'], f'sections[{n}].id')}"
        chk.text(section["title"], f"{where}.title")
        for i, field in enumerate(section["fields"] if isinstance(section["fields"], list) else [None], 1):
            chk.mapping(field, f"{where}.fields[{i}]", {"id", "label", "value"}, {"explanation"})
            at = f"{where}.fields.{chk.text(field['id'], f'{where}.fields[{i}].id')}"
            if field["id"] in seen:
                chk.fail(at, "duplicate id")
            seen.add(field["id"])
            chk.text(field["label"], f"{at}.label")
            if "explanation" in field:
                chk.text(field["explanation"], f"{at}.explanation")
            _check_value(chk, field["value"], f"{at}.value")
    return top


def _check_value(chk: Checker, spec, where: str):
    src, _, rest = spec.partition(":") if isinstance(spec, str) else ("", "", "")
    name, _, kind = rest.partition(":")
    if src in LOOKUPS and rest:
        return
    takes = COMPUTED.get(name, "unknown")
    if (
        src != "computed"
        or takes == "unknown"
        or (kind and kind not in SOURCE_TYPES)
        or (takes is not None and takes != bool(kind))
    ):
        chk.fail(
            where,
            f"{spec!r} is not model:KEY, processing:KEY, totals:KEY or computed:NAME[:TYPE] "
            f"(names: {', '.join(COMPUTED)}; types: {', '.join(SOURCE_TYPES)})",
        )


def source_type(ds: dict, rules: dict) -> str:
    """The template section listing a dataset: the manifest's own `source_type`, else the first rule that holds."""
    if ds.get("source_type") in SOURCE_TYPES:
        return ds["source_type"]
    facts = {**ds, "kind": ds.get("kind") if ds.get("kind") in KINDS else "other"}
    return next(r["type"] for r in rules["source_types"] if holds(r["when"], facts))


def _tokens(group: dict) -> int:
    return sum(int(ds.get("tokens") or 0) for ds in group.values())


def _count(n, noun: str) -> str:
    return f"{int(n or 0):,} {noun}{'' if int(n or 0) == 1 else 's'}"


def _describe(name: str, ds: dict, rules: dict, of: int = 0) -> str:
    share = f", {PERCENT(ds.get('tokens', 0) / of)} of this type" if of else ""
    return (
        f"{name}: {ds.get('kind') or rules['not_stated']}, {ds.get('stage') or rules['not_stated']}, "
        f"{int(ds.get('tokens') or 0):,} tokens in {_count(ds.get('documents'), 'document')}{share}; "
        f"source {ds.get('source') or rules['not_stated']}"
    )


def _computed(name: str, group: dict, every: dict, evidence: dict, rules: dict) -> str | list[str]:
    """A value for computed:NAME, from `group` (the datasets of one source type, or all of them)."""
    if name == "modalities":
        return "Text" if _tokens(group) else rules["not_stated"] if group is every else "None in the manifest"
    if name == "uses":
        return (
            f"Yes: {len(group)} of the {len(every)} datasets in the manifest ({_tokens(group):,} tokens)"
            if group
            else f"No dataset of this type among the {len(every)} in the manifest"
        )
    if name == "size":
        total = int((evidence.get("totals") or {}).get("tokens") or _tokens(every))
        docs = int(
            (evidence.get("totals") or {}).get("documents") or sum(int(d.get("documents") or 0) for d in every.values())
        )
        band = next(b["label"] for b in rules["size_bands"] if "below" not in b or total < b["below"])
        return (
            f"Text: {band} ({total:,} tokens in {docs:,} documents of {len(every)} datasets, as measured)"
            if total
            else rules["not_stated"]
        )
    if name in ("content_types", "stages"):
        totals: dict[str, list[int]] = {}
        for ds in every.values():
            key = (
                rules["content_types"].get(ds.get("kind"), ds.get("kind"))
                if name == "content_types"
                else ds.get("stage")
            )
            totals.setdefault(key or rules["not_stated"], [0, 0])[0] += 1
            totals[key or rules["not_stated"]][1] += int(ds.get("tokens") or 0)
        return [
            f"{key}: {n} dataset(s), {t:,} tokens" for key, (n, t) in sorted(totals.items(), key=lambda kv: -kv[1][1])
        ]
    tokens = _tokens(group)
    large = {n: ds for n, ds in group.items() if tokens and (ds.get("tokens") or 0) / tokens > rules["large_share"]}
    if name in ("datasets", "large"):
        return [
            _describe(n, ds, rules, tokens) for n, ds in (group if name == "datasets" else large).items()
        ] or "None in the manifest"
    if name == "others":
        rest = {n: ds for n, ds in group.items() if n not in large}
        return (
            f"{len(rest)} smaller dataset(s), {_tokens(rest):,} tokens in all: {', '.join(rest)}"
            if rest
            else "None in the manifest"
        )
    if name == "domains":
        hosts = [
            urlparse(ds.get("source") or "").hostname
            for ds in sorted(group.values(), key=lambda d: -(d.get("tokens") or 0))
        ]
        return list(dict.fromkeys(h for h in hosts if h)) or rules["not_stated"]
    measured = {n: ds for n, ds in every.items() if ds.get("tdm_opt_out_documents") is not None}
    opted = {n: ds for n, ds in measured.items() if ds["tdm_opt_out_documents"]}
    if not measured:
        return rules["not_stated"]
    if name == "opt_out_datasets":
        return [
            f"{n}: {int(ds['tdm_opt_out_documents']):,} of {int(ds.get('documents') or 0):,} documents "
            f"({PERCENT(ds.get('tdm_opt_out_share') or 0)})"
            for n, ds in opted.items()
        ] or "None in the manifest"
    docs = sum(int(ds.get("documents") or 0) for ds in measured.values())
    found = sum(int(ds["tdm_opt_out_documents"]) for ds in opted.values())
    return (
        f"licenselens checked {docs:,} documents of {len(measured)} datasets for text-and-data-mining reservations "
        f"(machine-readable signals such as noai robots tags, TDMRep and AI-crawler rules, and reservations in terms "
        f"of use) and found {found:,} ({PERCENT(found / docs if docs else 0)}) in {len(opted)} dataset(s)."
    )


def _show(value, rules: dict) -> str | list[str]:
    if value is None or value == "" or value == []:
        return rules["not_stated"]
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)


def public_summary(evidence: dict, rules: dict | None = None) -> dict:
    """The template's sections, each field's value a string (lists also given as `items`)."""
    rules = load_rules() if rules is None else validate(rules, "<rules>")
    every = evidence.get("datasets") or {}
    groups: dict[str, dict] = {t: {} for t in SOURCE_TYPES}
    for name, ds in every.items():
        groups[source_type(ds, rules)][name] = ds
    sections = []
    for section in rules["sections"]:
        fields = []
        for field in section["fields"]:
            src, _, rest = field["value"].partition(":")
            if src in LOOKUPS:
                value = _show((evidence.get(src) or {}).get(rest), rules)
            else:
                name, _, kind = rest.partition(":")
                value = _show(_computed(name, groups[kind] if kind else every, every, evidence, rules), rules)
            out = {
                "id": field["id"],
                "label": field["label"],
                "value": "; ".join(value) if isinstance(value, list) else value,
            }
            if isinstance(value, list):
                out["items"] = value
            if field.get("explanation"):
                out["explanation"] = " ".join(field["explanation"].split())
            fields.append(out)
        sections.append({"id": section["id"], "title": section["title"], "fields": fields})
    return {
        "title": rules["title"],
        "template": dict(rules["template"]),
        "intro": " ".join(rules["intro"].split()),
        "sections": sections,
    }
