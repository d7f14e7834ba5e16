"""The rules of ``rules/pii.yaml`` as one validated, compiled object, shared by ``pii`` (finding) and
``pii_checks`` (validating)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache

from licenselens.rules import load_yaml

PII_TYPES: tuple[str, ...] = ("email", "phone", "cn_mobile", "cn_id", "payment_card", "ip")


@dataclass(frozen=True)
class DigitPattern:
    kind: str  # key in rules/pii.yaml (phone patterns as "phone.<name>")
    pii_type: str
    pattern: re.Pattern
    min_digits: int  # a run with fewer digits cannot hold a match: the pattern is not run
    min_groups: int


@dataclass(frozen=True)
class PiiRules:
    email_anchor: str
    local_part: re.Pattern  # matched on the reversed text before "@"
    domain: re.Pattern
    reject_tlds: frozenset[str]
    ignore_local_parts: frozenset[str]
    ignore_domains: tuple[str, ...]
    private_tlds: frozenset[str]  # accepted beside the Public Suffix List's
    emphasis: tuple[str, ...]  # markers around an address that close it: _jane@x.org_
    ipv6_anchor: re.Pattern
    separators: str
    separator_table: bytes  # one byte by character code (0-255), 1 for run separators: numpy views it as bool
    max_separators: int
    digit_patterns: tuple[DigitPattern, ...]
    country_codes: frozenset[str]
    issuers: tuple[tuple[int, int, int, frozenset[int]], ...]  # prefix length, low, high, lengths
    issuer_names: tuple[str, ...]  # the issuer of each entry of ``issuers``
    provinces: frozenset[str]
    min_birth_year: int
    ip_exclude: tuple[str, ...]
    exclude_network: bool
    version_words: tuple[str, ...]
    masks: dict
    maybe: re.Pattern  # matches wherever an item could be: an anchor, or a digit run long enough to keep


# kind -> (type, fewest digits, fewest digit groups) a match of that kind has
_KINDS = {
    "cn_id": ("cn_id", 17, 1),
    "payment_card": ("payment_card", 13, 1),
    "cn_mobile": ("cn_mobile", 11, 1),
    "ipv4": ("ip", 4, 4),
    "phone.international": ("phone", 8, 1),
    "phone.north_american": ("phone", 10, 1),
    "phone.national": ("phone", 9, 1),
}


@cache
def pii_rules() -> PiiRules:
    data = load_yaml("pii.yaml")
    patterns = dict(data["patterns"])
    phones = patterns.pop("phone", {}) or {}
    patterns.update({f"phone.{name}": p for name, p in phones.items()})
    digit_patterns = []
    for kind, source in patterns.items():
        if kind not in _KINDS:
            raise ValueError(f"rules/pii.yaml: no validator for pattern {kind!r} (known: {', '.join(_KINDS)})")
        pii_type, min_digits, min_groups = _KINDS[kind]
        digit_patterns.append(DigitPattern(kind, pii_type, re.compile(source), min_digits, min_groups))
    table = bytearray(256)
    for c in data["digit_runs"]["separators"]:
        table[ord(c)] = 1
    country_codes: set[str] = set()
    for code in data["phone"]["country_codes"]:
        low, _, high = str(code).partition("-")
        country_codes.update(str(c) for c in range(int(low), int(high or low) + 1))
    issuers, issuer_names = [], []
    for name, issuer in data["payment_card"]["issuers"].items():
        for prefix in issuer["prefixes"]:
            low, _, high = str(prefix).partition("-")
            issuers.append((len(low), int(low), int(high or low), frozenset(issuer["lengths"])))
            issuer_names.append(name)
    ip = data["ip"]
    for name in ip["exclude"]:
        if not hasattr(ipaddress.IPv4Address, f"is_{name}"):
            raise ValueError(f"rules/pii.yaml: ip.exclude: no ipaddress property is_{name}")
    masks = data["mask"]
    if set(masks) != set(PII_TYPES):
        raise ValueError(f"rules/pii.yaml: mask needs exactly the types {', '.join(PII_TYPES)}")
    email = data["email"]
    return PiiRules(
        email_anchor=data["anchors"]["email"],
        local_part=re.compile(f"[{email['local_part_chars']}]{{1,65}}"),
        domain=re.compile(email["domain"]),
        reject_tlds=frozenset(t.lower() for t in email["reject_tlds"]),
        ignore_local_parts=frozenset(p.lower() for p in email["ignore_local_parts"]),
        emphasis=tuple(email.get("emphasis", ())),
        ignore_domains=tuple(d.lower() for d in email["ignore_domains"]),
        private_tlds=frozenset(t.lower() for t in email["private_tlds"]),
        ipv6_anchor=re.compile(data["anchors"]["ipv6"]),
        separators=data["digit_runs"]["separators"],
        separator_table=bytes(table),
        max_separators=int(data["digit_runs"]["max_separators"]),
        digit_patterns=tuple(digit_patterns),
        country_codes=frozenset(country_codes),
        issuers=tuple(issuers),
        issuer_names=tuple(issuer_names),
        provinces=frozenset(f"{code:02d}" for code in data["cn_id"]["province_codes"]),
        min_birth_year=int(data["cn_id"]["min_birth_year"]),
        ip_exclude=tuple(ip["exclude"]),
        exclude_network=bool(ip["exclude_network_addresses"]),
        version_words=tuple(w.lower() for w in ip["version_words"]),
        masks=masks,
        maybe=_maybe(data),
    )


def _maybe(data: dict) -> re.Pattern:
    """What every item needs (pii.py ``_digit_runs`` keeps runs of 7 digits, or of 4 groups): a string
    without a match has nothing to find, so short strings skip the whole search."""
    sep = "[" + re.escape(data["digit_runs"]["separators"]) + "]"
    most = int(data["digit_runs"]["max_separators"])
    return re.compile(
        "|".join(
            (
                re.escape(data["anchors"]["email"]),
                data["anchors"]["ipv6"],
                rf"[0-9](?:{sep}{{0,{most}}}[0-9]){{6}}",
                rf"[0-9]+(?:{sep}{{1,{most}}}[0-9]+){{3}}",
            )
        )
    )
