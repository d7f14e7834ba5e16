"""Validation of candidate personal data found by ``pii``: checksums, dates, Luhn, issuer and
country codes, ``ipaddress`` properties. Each validator gets the matched value, the text, its
position and the rules of ``rules/pii.yaml``."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from functools import cache

from publicsuffixlist import PublicSuffixList

from licenselens.signals.pii_rules import PiiRules

DIGITS = "0123456789"
_DIGIT_GROUP = re.compile(r"[0-9]+")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def excluded(addr, rules: PiiRules) -> bool:
    return any(getattr(addr, f"is_{name}") for name in rules.ip_exclude)


# --- everything made of digits ---


BARE_KINDS = frozenset({"cn_mobile", "payment_card", "cn_id"})


def cn_id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident identity number."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _CN_ID_WEIGHTS)) % 11]


def _valid_cn_id(value: str, text: str, at: int, rules: PiiRules) -> bool:
    if value[:2] not in rules.provinces:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not rules.min_birth_year <= born.year or born > date.today():
        return False
    return cn_id_check(value[:17]) == value[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i & 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_issuer(digits: str, rules: PiiRules) -> str | None:
    """The issuer (rules/pii.yaml) whose prefixes and lengths a card number fits."""
    for (size, low, high, lengths), name in zip(rules.issuers, rules.issuer_names):
        if len(digits) in lengths and low <= int(digits[:size]) <= high:
            return name
    return None


def _valid_card(value: str, text: str, at: int, rules: PiiRules) -> bool:
    digits = value.replace(" ", "").replace("-", "")
    return card_issuer(digits, rules) is not None and luhn_ok(digits)


def _valid_ipv4(value: str, text: str, at: int, rules: PiiRules) -> bool:
    try:
        addr = ipaddress.IPv4Address(value)  # octets 0-255, no leading zeros
    except ValueError:
        return False
    if (rules.exclude_network and value.endswith(".0")) or excluded(addr, rules):
        return False
    if len(value) == 7:
        return False  # 2.5.5.2, 1.2.3.4: sections and versions far more often than hosts
    before = text[max(0, at - 24) : at].lower().rstrip(" \t:=#('\"")
    return not any(
        before.endswith(w) and (len(before) == len(w) or not before[-len(w) - 1].isalnum()) for w in rules.version_words
    )


def _valid_international(value: str, text: str, at: int, rules: PiiRules) -> bool:
    groups = _DIGIT_GROUP.findall(value.replace("(0)", "", 1))
    if value.startswith("00"):
        if len(groups) == 1:
            return False  # 00 and digits without a separator: a number
        groups[0] = groups[0][2:]
    digits = "".join(groups)
    if not 8 <= len(digits) <= 15:
        return False
    national = groups[1:]
    if national and (sum(map(len, national)) < 7 or sum(len(g) == 1 for g in national) > 1):
        return False
    # the country code: the first group when it is separated, else the start of the digits
    code = (
        groups[0]
        if national and len(groups[0]) <= 3
        else next((digits[:n] for n in (1, 2, 3) if digits[:n] in rules.country_codes), "")
    )
    if code not in rules.country_codes:
        return False
    return code != "1" or digits[1] in "23456789"  # +1: a NANP area code


def _valid_north_american(value: str, text: str, at: int, rules: PiiRules) -> bool:
    if "(" in value:
        return True
    separators = {c for c in value if c not in DIGITS}
    return len(separators) == 1 and separators != {" "}  # "256 512 1024" is a list of numbers


def _valid_national(value: str, text: str, at: int, rules: PiiRules) -> bool:
    digits = sum(c in DIGITS for c in value)
    rest = value.partition(")")[2] if value.startswith("(") else value
    separators = {c for c in rest if c not in DIGITS}
    groups = _DIGIT_GROUP.findall(value)
    if separators == {"."} and (len(groups) < 3 or any(len(g) > 4 or g.startswith("00") for g in groups)):
        return False
    if all(len(g) == 2 for g in groups):
        if len(groups) != 5:  # 01 23 45 67 89, the French way
            return False
    elif groups[1].startswith("0"):
        return False  # subscriber numbers do not start with 0: 0123 0123456, 08-01-3697739 are not phones
    return 9 <= digits <= 12 and len(separators) <= 1


VALIDATORS = {
    "cn_id": _valid_cn_id,
    "payment_card": _valid_card,
    "cn_mobile": lambda value, text, at, rules: True,  # the pattern says it all
    "ipv4": _valid_ipv4,
    "phone.international": _valid_international,
    "phone.north_american": _valid_north_american,
    "phone.national": _valid_national,
}


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the Public Suffix List the package ships: no network


def known_suffix(domain: str, rules: PiiRules) -> bool:
    """A real top-level domain (or one of the private ones networks use): ``this@MainActivity.window`` and
    ``h@self.proj.weight`` are code, not addresses."""
    return domain.rsplit(".", 1)[-1] in rules.private_tlds or bool(
        _suffixes().publicsuffix(domain, accept_unknown=False)
    )
