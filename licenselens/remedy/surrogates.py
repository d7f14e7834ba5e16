"""Synthetic surrogates of personal information (rules/surrogates.yaml): the same type and format, valid by
the detector's own checks, from ranges reserved for examples where a standard reserves one.

The same value is replaced the same way within a document: the surrogate is drawn from a generator seeded
with the run's seed, the document and the value. The original is never written, nor derivable from the
surrogate. The ledger keeps digests of the surrogates (``surrogate_key``), so an audit of the cleaned
corpus counts them apart from personal data (docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from licenselens.rules import load_yaml
from licenselens.signals.pii import pii_hits, surrogate_key
from licenselens.signals.pii_checks import DIGITS, card_issuer, cn_id_check, luhn_ok
from licenselens.signals.pii_rules import pii_rules

RULES = "surrogates.yaml"


@cache
def _rules() -> dict:
    return load_yaml(RULES)


def _with_digits(template: str, digits: str) -> str:
    """``template`` with its ASCII digits replaced, in order, by ``digits``; separators, "+" and "X" kept."""
    out, it = [], iter(digits)
    for c in template:
        out.append(next(it) if c in DIGITS else c)
    return "".join(out)


def _drawn(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(count))


def _email(value: str, rng: random.Random) -> str:
    local = value.rpartition("@")[0]
    shaped = "".join(
        rng.choice(string.ascii_lowercase) if c.isalpha() else rng.choice(DIGITS) if c.isdigit() else c for c in local
    )
    return f"{shaped}@{rng.choice(_rules()['email']['domains'])}"


def _phone(value: str, rng: random.Random) -> str:
    rules = _rules()["phone"]
    digits = "".join(c for c in value if c in DIGITS)
    international = value.lstrip().startswith(("+", "00"))
    body = digits[2:] if value.lstrip().startswith("00") else digits
    lead = digits[: len(digits) - len(body)]
    if (international and body.startswith("1") and len(body) == 11) or (
        not international and len(body) in (10, 11) and (len(body) == 10 or body[0] == "1") and not body.startswith("0")
    ):
        one = body[: len(body) - 10]
        nanp = rules["north_american"]
        area = rng.choice("23456789") + _drawn(rng, 2)
        new = one + area + nanp["exchange"] + nanp["line_prefix"] + _drawn(rng, 2)
    elif body.startswith("44") and international and len(body) == 12:
        new = "44" + _uk(body[2:], rules, rng)
    elif not international and body.startswith("0") and len(body) == 11:
        new = "0" + _uk(body[1:], rules, rng)
    else:
        keep = _country_code_length(body) + 1 if international else 2
        new = body[:keep] + _drawn(rng, len(body) - keep)
    return _with_digits(value, lead + new)


def _uk(national: str, rules: dict, rng: random.Random) -> str:
    """A 10-digit UK number (without the trunk 0) from Ofcom's drama ranges."""
    base = rules["uk_mobile"] if national.startswith("7") else rules["uk_london"]
    return base + _drawn(rng, 10 - len(base))


def _country_code_length(digits: str) -> int:
    codes = pii_rules().country_codes
    return next((n for n in (1, 2, 3) if digits[:n] in codes), 1)


def _cn_mobile(value: str, rng: random.Random) -> str:
    digits = "".join(c for c in value if c in DIGITS)
    core = "1" + rng.choice(_rules()["cn_mobile"]["second_digits"]) + _drawn(rng, 9)
    return _with_digits(value, digits[: len(digits) - 11] + core)


def _cn_id(value: str, rng: random.Random) -> str:
    rules = _rules()["cn_id"]
    first, last = rules["birth_years"]
    start = date(first, 1, 1)
    born = start + timedelta(days=rng.randrange((date(last, 12, 31) - start).days + 1))
    first17 = f"{rng.choice(rules['provinces']):02d}0101{born:%Y%m%d}{_drawn(rng, 3)}"
    return first17 + cn_id_check(first17)


def _card(value: str, rng: random.Random) -> str:
    digits = "".join(c for c in value if c in DIGITS)
    prefixes = _rules()["payment_card"]["test_prefixes"]
    issuer = card_issuer(digits, pii_rules())
    prefix = rng.choice(prefixes.get(issuer) or prefixes["visa"])
    body = prefix + _drawn(rng, len(digits) - len(prefix) - 1)
    check = next(d for d in DIGITS if luhn_ok(body + d))
    return _with_digits(value, body + check)


def _ip(value: str, rng: random.Random) -> str:
    rules = _rules()["ip"]
    if ipaddress.ip_address(value).version == 4:
        return f"{rng.choice(rules['ipv4_networks'])}.{rng.randint(1, 254)}"
    return f"{rules['ipv6_prefix']}::{rng.randint(1, 0xFFFF):x}:{rng.randint(1, 0xFFFF):x}"


MAKERS = {
    "email": _email,
    "phone": _phone,
    "cn_mobile": _cn_mobile,
    "cn_id": _cn_id,
    "payment_card": _card,
    "ip": _ip,
}


def surrogate(pii_type: str, value: str, seed: str, document: str) -> str:
    """The surrogate of ``value`` in ``document``; never ``value`` itself."""
    digest = hashlib.sha256(f"{seed}\0{document}\0{pii_type}\0{value}".encode("utf-8", "surrogatepass")).digest()
    rng = random.Random(digest)
    for _ in range(100):
        made = MAKERS[pii_type](value, rng)
        if surrogate_key(pii_type, made) == surrogate_key(pii_type, value):
            continue
        # read as the same type: a drawn phone number must not read as a mainland mobile (addresses at the
        # reserved domains are not read at all)
        if pii_type == "email" or [hit[2] for hit in pii_hits(made)] == [pii_type]:
            return made
    raise RuntimeError(f"no surrogate found for a {pii_type}")  # 100 draws: cannot happen with the ranges above


@dataclass
class Replacer:
    """Replaces personal information in the fields of one document: the same value the same way in each."""

    seed: str
    document: str
    made: dict[tuple[str, str], str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def __call__(self, text: str) -> str:
        parts, last = [], 0
        for start, end, pii_type, value in pii_hits(text):
            key = (pii_type, value)
            if key not in self.made:
                self.made[key] = surrogate(pii_type, value, self.seed, self.document)
            self.counts[pii_type] += 1
            parts += [text[last:start], self.made[key]]
            last = end
        return "".join(parts) + text[last:] if parts else text

    def ledger(self) -> set[str]:
        return {surrogate_key(t, made) for (t, _), made in self.made.items()}
