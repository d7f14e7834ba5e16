"""Fair-use and text-and-data-mining positions per dataset, argued from the audit's measured evidence.

Texts, thresholds and conditions live in rules/fair_use.yaml for counsel to edit (docs/fair-use.md).
The file is validated on load, so a typo is an error naming the field, not a KeyError while a report
renders; per factor, the first alternative whose `when` holds gives the position and its risk.
"""

from __future__ import annotations

import operator
import string
from collections.abc import Callable, Mapping
from typing import Any

from licenselens.rules import load_yaml
from licenselens.sources.manifest import PROCESSING_KEYS
from licenselens.types.corpus import KINDS, STAGES

RULES_FILE = "fair_use.yaml"
RISKS = ("low", "medium", "high")
NATURES = ("creative", "factual", "functional", "mixed")
US_FACTORS = ("purpose", "nature", "amount", "market")
NOT_STATED, NOT_MEASURED = "not stated in the manifest", "not measured"
# Evidence keys of a dataset (the audit's contract), then numbers derived from them here.
COUNTS = {
    "documents",
    "tokens",
    "tdm_opt_out_documents",
    "outputs_checked",
    "outputs_with_spans",
    "outputs_verbatim",
    "outputs_near_verbatim",
    "longest_span_tokens",
    "longest_span_chars",
    "documents_reproduced",
    "outputs_reproducing",
    "verbatim_min_tokens",
}
SHARES = {
    "license_share",
    "all_rights_reserved_share",
    "non_commercial_share",
    "mismatch_share",
    "tdm_opt_out_share",
    "pii_share",
    "duplicate_share",
    "near_duplicate_share",
    "regurgitation_rate",
    "copied_token_share",
    "documents_reproduced_share",
    "near_best_similarity",
    "open_share",
    "no_licence_share",
    "near_min_similarity",
    "public_domain_share",
    "declared_only_share",
}
NUMBERS = COUNTS | SHARES
DERIVED = {
    "open_share",
    "no_licence_share",
    "public_domain_share",
    "outputs_reproducing",
    "verbatim_min_tokens",
    "near_min_similarity",
}
PUBLIC_DOMAIN = "Public Domain"  # ScanCode's category
TEXTS = {"name", "kind", "stage", "source", "declared_license", "model_name", "model_use", "nature"}
FLAG = (True, False, None)  # None: the manifest does not say
CHOICES = {
    "kind": KINDS,
    "stage": STAGES,
    "nature": NATURES,
    "model_use": ("generative", "non-generative"),
    "opt_outs_removed": FLAG,
    "pii_removed": FLAG,
    "dedup": FLAG,
    "research_organisation": FLAG,
    "source_stated": FLAG,
}
OPS = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}
FORMATS: dict[str, Callable[[Any], str]] = {
    "percent": lambda v: f"{v * 100:.1f} %",
    "count": lambda v: f"{int(v):,}",
    "tokens": lambda v: f"{int(v):,} tokens",
    "similarity": lambda v: f"{v:.2f}",
    "text": str,
}


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the field."""


class _Missing:
    """Stands in for a value the evidence lacks: formats as a phrase whatever the format spec."""

    def __init__(self, text: str):
        self.text = text

    def __format__(self, spec: str) -> str:
        return self.text


def render(text: str, facts: dict) -> str:
    values = {k: _Missing(NOT_STATED if k in TEXTS else NOT_MEASURED) if v is None else v for k, v in facts.items()}
    return " ".join(text.format_map(values).split())


def _same(a, b) -> bool:
    return a == b and type(a) is type(b)  # so `0` is not taken for `false`


def holds(cond, facts: dict) -> bool:
    """All entries of a condition hold; a measurement the evidence lacks never holds."""
    if cond == "otherwise":
        return True
    for key, want in cond.items():
        value = facts.get(key)
        if key == "any":
            ok = any(holds(c, facts) for c in want)
        elif key in NUMBERS:  # a comparison against a number, a threshold or another metric
            limits = [(OPS[op], facts.get(x) if isinstance(x, str) else x) for op, x in want.items()]
            ok = value is not None and all(x is not None and op(value, x) for op, x in limits)
        else:
            ok = any(_same(value, w) for w in (want if isinstance(want, list) else [want]))
        if not ok:
            return False
    return True


class Checker:
    """Validation helpers shared with the AI Act summary rules; errors name source and field."""

    def __init__(self, source: str, thresholds: dict | None = None, allowed: set | None = None):
        self.source, self.thresholds = source, thresholds or {}
        self.allowed = allowed if allowed is not None else NUMBERS | set(CHOICES)
        names = NUMBERS | TEXTS | set(self.thresholds)
        self.sample = {k: 1 if k in COUNTS else 0.5 if k in SHARES else "x" for k in names} | self.thresholds

    def fail(self, where: str, problem: str):
        raise RulesError(f"{self.source}: {where}: {problem}")

    def mapping(self, value, where: str, required: set, optional: set | frozenset = frozenset()) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be a mapping with {', '.join(sorted(required))}")
        if missing := required - set(value):
            self.fail(where, f"missing field(s) {', '.join(sorted(missing))}")
        if extra := set(value) - required - optional:
            self.fail(where, f"unknown field(s) {', '.join(sorted(extra))}")
        return value

    def one_of(self, value, choices, where: str):
        if value not in choices:
            self.fail(where, f"{value!r} is not one of {', '.join(choices)}")

    def text(self, value, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "must be a non-empty string")
        return value

    def condition(self, cond, where: str):
        if cond == "otherwise":
            return
        if not isinstance(cond, dict) or not cond:
            self.fail(where, "must be `otherwise` or a non-empty mapping of conditions")
        for key, want in cond.items():
            at = f"{where}.{key}"
            if key == "any":
                if not isinstance(want, list) or not want or "otherwise" in want:
                    self.fail(at, "must be a non-empty list of conditions")
                for n, sub in enumerate(want, 1):
                    self.condition(sub, f"{at}[{n}]")
            elif key not in self.allowed:
                self.fail(at, f"unknown metric {key!r}; known: {', '.join(sorted(self.allowed))}")
            elif key in NUMBERS:
                if not isinstance(want, dict) or not want:
                    self.fail(at, "must be a comparison such as {gte: 0.05}")
                for op, x in want.items():
                    if op not in OPS:
                        self.fail(f"{at}.{op}", f"unknown comparison; use one of {', '.join(OPS)}")
                    if (
                        isinstance(x, bool)
                        or not isinstance(x, (int, float))
                        and x not in NUMBERS | set(self.thresholds)
                    ):
                        self.fail(f"{at}.{op}", f"{x!r} is not a number, a name under thresholds or a metric")
            else:
                bad = [
                    w
                    for w in (want if isinstance(want, list) else [want])
                    if not any(_same(w, c) for c in CHOICES[key])
                ]
                if bad or want == []:
                    self.fail(at, f"{bad or want!r} not among {', '.join(map(str, CHOICES[key]))}")

    def template(self, text, where: str):
        self.text(text, where)
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            self.fail(where, f"not a valid template ({exc}); write {{{{ for a literal brace")
        for field in fields:
            if field not in self.sample:
                self.fail(where, f"unknown placeholder {{{field}}}; known: {', '.join(sorted(self.sample))}")
        try:
            render(text, self.sample)
        except (ValueError, TypeError) as exc:
            self.fail(where, f"bad format in a placeholder: {exc}")


def load_rules() -> dict:
    return validate(load_yaml(RULES_FILE))


def validate(data: Any, source: str = RULES_FILE) -> dict:
    top = Checker(source).mapping(
        data,
        "top level",
        {"disclaimer", "nature", "open_categories", "thresholds", "metrics", "authorities", "us", "jurisdictions"},
        {"description"},
    )
    for field in ("thresholds", "metrics", "authorities"):
        if not isinstance(top[field], dict):
            Checker(source).fail(field, "must be a mapping")
    chk = Checker(source, top["thresholds"])
    for name, value in top["thresholds"].items():
        if name in NUMBERS | TEXTS or isinstance(value, bool) or not isinstance(value, (int, float)):
            chk.fail(f"thresholds.{name}", "must be a number, under a name that is not an evidence key")
    chk.text(top["disclaimer"], "disclaimer")
    for kind, value in chk.mapping(top["nature"], "nature", set(KINDS)).items():
        chk.one_of(value, NATURES, f"nature.{kind}")
    if not isinstance(top["open_categories"], list) or not all(isinstance(c, str) for c in top["open_categories"]):
        chk.fail("open_categories", "must be a list of ScanCode licence categories")
    for metric, spec in top["metrics"].items():
        chk.one_of(metric, sorted(NUMBERS | TEXTS), f"metrics.{metric}")
        chk.text(chk.mapping(spec, f"metrics.{metric}", {"label", "format"})["label"], f"metrics.{metric}.label")
        chk.one_of(
            spec["format"],
            ["text"] if metric in TEXTS else [f for f in FORMATS if f != "text"],
            f"metrics.{metric}.format",
        )
    for ref, spec in top["authorities"].items():
        for field in chk.mapping(spec, f"authorities.{ref}", {"name", "cite", "url"}):
            chk.text(spec[field], f"authorities.{ref}.{field}")
    _group(chk, top, chk.mapping(top["us"], "us", {"title", "overall", "factors"}), "us", "factors")
    if [f["id"] for f in top["us"]["factors"]] != list(US_FACTORS):
        chk.fail("us.factors", f"must be the four factors of §107 in order: {', '.join(US_FACTORS)}")
    if not isinstance(top["jurisdictions"], list) or not top["jurisdictions"]:
        chk.fail("jurisdictions", "must be a non-empty list")
    for n, item in enumerate(top["jurisdictions"], 1):
        chk.mapping(item, f"jurisdictions[{n}]", {"id", "title", "overall", "points"})
        _group(chk, top, item, f"jurisdictions.{chk.text(item['id'], f'jurisdictions[{n}].id')}", "points")
    if len({j["id"] for j in top["jurisdictions"]}) != len(top["jurisdictions"]):
        chk.fail("jurisdictions", "duplicate id")
    return top


def _group(chk: Checker, top: dict, group: dict, where: str, key: str):
    """Factors or points: alternatives ending in `when: otherwise`, plus optional notes."""
    chk.text(group["title"], f"{where}.title")
    chk.one_of(group["overall"], ("highest", "median"), f"{where}.overall")
    if not isinstance(group[key], list) or not group[key]:
        chk.fail(f"{where}.{key}", "must be a non-empty list")
    for n, item in enumerate(group[key], 1):
        chk.mapping(
            item, f"{where}.{key}[{n}]", {"id", "title", "statute", "positions"}, {"authorities", "evidence", "notes"}
        )
        at = f"{where}.{key}.{chk.text(item['id'], f'{where}.{key}[{n}].id')}"
        for field in ("title", "statute"):
            chk.text(item[field], f"{at}.{field}")
        _refs(chk, top, item, at)
        alts = item["positions"]
        if (
            not isinstance(alts, list)
            or not alts
            or not isinstance(alts[-1], dict)
            or alts[-1].get("when") != "otherwise"
        ):
            chk.fail(f"{at}.positions", "must be a list of alternatives ending with `when: otherwise`")
        for part, entries in (("positions", alts), ("notes", item.get("notes") or [])):
            for i, alt in enumerate(entries, 1):
                pat, position = f"{at}.{part}[{i}]", part == "positions"
                chk.mapping(
                    alt,
                    pat,
                    {"when", "text", "risk"} if position else {"when", "text"},
                    {"authorities", "evidence"} if position else {"authorities"},
                )
                chk.condition(alt["when"], f"{pat}.when")
                if position and alt["when"] == "otherwise" and i < len(alts):
                    chk.fail(f"{pat}.when", "`otherwise` must be the last alternative")
                if position:
                    chk.one_of(alt["risk"], RISKS, f"{pat}.risk")
                chk.template(alt["text"], f"{pat}.text")
                _refs(chk, top, alt, pat)


def _refs(chk: Checker, top: dict, item: dict, where: str):
    for field, section in (("authorities", "authorities"), ("evidence", "metrics")):
        refs = item.get(field, [])
        if not isinstance(refs, list) or (unknown := [r for r in refs if r not in top[section]]):
            chk.fail(
                f"{where}.{field}",
                f"unknown {field} {unknown if isinstance(refs, list) else refs!r}; define them under `{section}`",
            )


def facts(evidence: Mapping[str, Any], name: str, rules: dict, overlap: dict | None = None) -> dict:
    """What conditions and placeholders see for one dataset; None where the evidence is silent.
    ``overlap``: rules/overlap.yaml, the thresholds the overlap check itself used (read here when not given)."""
    ds, model = evidence["datasets"][name], evidence.get("model") or {}
    f = {k: ds.get(k) for k in NUMBERS} | {k: ds.get(k) for k in ("stage", "source", "declared_license")}
    for k in COUNTS & set(ds):
        f[k] = None if ds[k] is None else int(ds[k])
    cats = ds.get("governing_categories")  # the licence that governs each document, detected or declared
    f["open_share"] = sum(cats.get(c) or 0.0 for c in rules["open_categories"]) if cats else None
    f["public_domain_share"] = cats.get(PUBLIC_DOMAIN, 0.0) if cats else None
    f["no_licence_share"] = cats.get("none", 0.0) if cats else None
    if ds.get("outputs_verbatim") is not None and ds.get("outputs_near_verbatim") is not None:
        f["outputs_reproducing"] = int(ds["outputs_verbatim"]) + int(ds["outputs_near_verbatim"])
    overlap = overlap or load_yaml("overlap.yaml")
    f["verbatim_min_tokens"] = overlap["verbatim"]["min_span_tokens"]
    f["near_min_similarity"] = overlap["near_verbatim"]["min_similarity"]
    kind = ds.get("kind") if ds.get("kind") in KINDS else "other"
    f |= {
        "name": name,
        "kind": kind,
        "nature": rules["nature"][kind],
        "model_name": model.get("name"),
        "model_use": model.get("use"),
        "research_organisation": model.get("research_organisation"),
        "source_stated": bool(ds.get("source")),
    }
    f |= {k: (evidence.get("processing") or {}).get(k) for k in PROCESSING_KEYS}
    return f | rules["thresholds"]


def _judge(item: dict, f: dict, rules: dict) -> dict:
    alt = next(a for a in item["positions"] if holds(a["when"], f))
    notes = [n for n in item.get("notes") or [] if holds(n["when"], f)]
    refs = (
        item.get("authorities", []) + alt.get("authorities", []) + [r for n in notes for r in n.get("authorities", [])]
    )
    metrics = item.get("evidence", []) + alt.get("evidence", [])
    shown = []
    for m in dict.fromkeys(metrics):
        spec, value = rules["metrics"][m], f.get(m)
        shown.append(
            {
                "metric": m,
                "label": spec["label"],
                "value": FORMATS[spec["format"]](value)
                if value is not None
                else NOT_STATED
                if m in TEXTS
                else NOT_MEASURED,
            }
        )
    return {
        "id": item["id"],
        "title": item["title"],
        "statute": item["statute"],
        "risk": alt["risk"],
        "position": " ".join(render(t, f) for t in [alt["text"]] + [n["text"] for n in notes]),
        "evidence": shown,
        "authorities": [{"id": r, **rules["authorities"][r]} for r in dict.fromkeys(refs)],
    }


def _overall(method: str, items: list[dict]) -> dict:
    ranks = sorted((RISKS.index(i["risk"]) for i in items), reverse=True)
    pick = ranks[0] if method == "highest" else ranks[(len(ranks) - 1) // 2]
    return {
        "overall_risk": RISKS[pick],
        "overall_basis": f"{method} of " + ", ".join(f"{i['id']} {i['risk']}" for i in items),
    }


def assess(evidence: Mapping[str, Any], rules: dict | None = None) -> dict:
    """Per dataset: the four US factors and each jurisdiction's points, with risks, evidence and authorities."""
    rules = load_rules() if rules is None else validate(rules, "<rules>")
    datasets, overlap = {}, load_yaml("overlap.yaml")
    for name in evidence.get("datasets") or {}:
        f = facts(evidence, name, rules, overlap)
        us = rules["us"]
        factors = [_judge(item, f, rules) for item in us["factors"]]
        places = []
        for j in rules["jurisdictions"]:
            points = [_judge(item, f, rules) for item in j["points"]]
            places.append({"id": j["id"], "title": j["title"], **_overall(j["overall"], points), "points": points})
        datasets[name] = {
            "us": {"title": us["title"], **_overall(us["overall"], factors), "factors": factors},
            "jurisdictions": places,
        }
    return {"disclaimer": " ".join(rules["disclaimer"].split()), "datasets": datasets}
