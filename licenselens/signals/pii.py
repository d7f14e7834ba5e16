"""Personal information in corpus documents: how much of each type, and masked samples.

``find_pii`` runs on every document of training corpora, so ordinary text must
cost next to nothing. No pattern is ever run over a whole document (Python's
``re`` tries a character-class pattern at every position: ~130 MB/s):

- e-mail: only where ``"@"`` occurs; the local part is read backwards from it;
- IPv6: only where two colons are at most four hex digits apart;
- everything else (phones, Chinese mobiles and identity numbers, payment cards,
  IPv4) has ASCII digits. ``str.__contains__`` (memchr) skips digit-free text;
  otherwise numpy finds the digits (2 GB/s) and groups them into runs joined by
  at most two separators. Only runs with enough digits reach the patterns of
  ``rules/pii.yaml``, matched on the run and a few characters around it, and
  what they match is validated in ``pii_checks`` (checksums, dates, Luhn, ``ipaddress``).

Decisions (the data behind them is in ``rules/pii.yaml``):

- counts are occurrences, not distinct values; a stretch of text counts for one
  type only, in the order e-mail, IPv6, cn_id, payment_card, cn_mobile, IPv4,
  phone (``13812345678@qq.com`` is an e-mail, ``+86 138 1234 5678`` a cn_mobile);
- a number inside a word, a decimal, a file name (``.jpg``), a formula
  (``16656250000*p``) or a longer group (``3 4111 1111 1111 1111``) is not
  counted, nor a bare mobile, card or id number in a list of numbers of another
  length (``(26214400, 16384000000)``: numeric arrays in code); a record whose
  other fields are not all numbers (a CSV row: ``赵磊,610113195201070413,…``) is
  no such list, and its numbers count;
- phones need a ``+``/``00`` prefix with a real country code, a North American
  area code written with ``-``, ``.`` or parentheses, or a national trunk ``0``:
  a bare run of digits (``4155550132``, timestamps, ids), a seven-digit local
  number, a ZIP+4 code or ``+2147483647`` is not a phone;
- IP addresses count, private ones included (they identify hosts and networks),
  but not unspecified, loopback, multicast or reserved ones, nor networks
  (``x.y.z.0``, ``2001:db8::``), dotted quads of single digits (``2.5.5.2`` is
  a section far more often than a host; ``1.1.1.1`` and ``8.8.8.8`` are public
  resolvers anyway) or quads after words such as "version" or "section";
- a compressed IPv6 address (``::``) counts only when its first group has four
  hex digits from 2000 up (global, ULA, link-local) or when it is IPv4-mapped
  (``::ffff:a.b.c.d``): ``f32::add`` and ``a[1::2]`` are code;
- e-mail addresses at example domains (RFC 2606) and of machine users (``git@``,
  ``noreply@``) identify nobody and are not counted; domains may be
  internationalised (``bücher-nordlicht.de``), and an address in Markdown
  emphasis (``_jane@x.org_``) ends at its closing marker;
- only ASCII digits are read: full-width digits (``１３８…``) are not detected.

Masking shows a few characters at most (``mask`` caps it at four letters or
digits and half of the value, whatever the YAML says), so no full value can be
rebuilt from a sample; formats and separators are kept to show what was found.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from licenselens.signals.pii_checks import BARE_KINDS, DIGITS, VALIDATORS, excluded, known_suffix
from licenselens.signals.pii_rules import PII_TYPES, PiiRules, pii_rules

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class PiiFindings:
    """What ``find_pii`` found in one document.

    ``counts``: occurrences by type, only types found (in ``PII_TYPES`` order);
    a plain dict so findings pickle cheaply between worker processes; treat it
    as read-only (it takes no part in the hash). ``samples``: distinct masked
    samples ``"<type>:<masked>"``, in text order, at most ``max_samples``.
    """

    counts: dict[str, int] = field(default_factory=dict, hash=False)
    samples: tuple[str, ...] = ()
    surrogates: int = 0  # items that are synthetic surrogates of a cleaned corpus (not counted in ``counts``)


MAX_SHOWN = 4  # letters or digits of one value a sample may show, whatever rules/pii.yaml says
# written inside numbers by word processors and CJK input methods: read as their ASCII forms
_NARROW = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "（": "(", "）": ")", "＋": "+"})
_WIDE = tuple(chr(c) for c in _NARROW)
_SHORT = 256  # strings this short are tested for the shortcut of mask_text
_CONTEXT = 3  # characters around a digit run that its patterns see ("+", "(", the "X" of an id)
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_HEX_COLON = frozenset("0123456789abcdefABCDEF:.")


def pii_hits(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, type, value) of every item of personal information, in text order."""
    rules = pii_rules()
    hits: list[tuple[int, int, str, str]] = []
    if any(c in text for c in _WIDE):  # no-break spaces, full-width brackets: one for one, offsets kept
        text = text.translate(_NARROW)
    if rules.email_anchor in text:
        _find_emails(text, rules, hits)
    _find_ipv6(text, rules, hits)
    if any(d in text for d in DIGITS):  # memchr: digit-free text skips numpy altogether
        _find_digit_items(text, rules, hits)
    return sorted(hits)


def mask_text(text: str, same_length: bool = False) -> str:
    """``text`` with every item of personal information masked (``privacy.redact`` applies it to outputs);
    ``same_length``: each mask padded with ``*`` to its value's length, so offsets into ``text`` (spans of a
    model output) still point at the same passages."""
    if len(text) < _SHORT and not any(c in text for c in _WIDE) and not pii_rules().maybe.search(text):
        return text  # names, paths, ids: nothing any item needs
    parts, last = [], 0
    for start, end, pii_type, value in pii_hits(text):
        shown = mask(pii_type, value)
        if same_length and len(shown) < end - start:
            at = max(shown.find("*"), 0)
            shown = shown[:at] + "*" * (end - start - len(shown)) + shown[at:]
        elif same_length and len(shown) > end - start:  # a short address: j***@***.org is longer than jo@x.org
            shown = "*" * (end - start)
        parts += [text[last:start], shown]
        last = end
    return "".join(parts) + text[last:] if parts else text


def mask_around(text: str, cuts: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """``text`` masked as a whole, and where each of ``cuts`` (offsets in ``text``) falls in the masked text: a
    cut inside an item moves to the item's start, so a cut passage never shows part of a value on one side."""
    hits = [(start, end, mask(pii_type, value)) for start, end, pii_type, value in pii_hits(text)]
    moved = []
    for cut in cuts:
        position, shift = cut, 0
        for start, end, shown in hits:
            if end <= cut:
                shift += len(shown) - (end - start)
            else:
                position = min(cut, start)
                break
        moved.append(position + shift)
    parts, last = [], 0
    for start, end, shown in hits:
        parts += [text[last:start], shown]
        last = end
    return "".join(parts) + text[last:], tuple(moved)


def surrogate_key(pii_type: str, value: str) -> str:
    """What identifies an item whatever its separators: the digest of its digits (a mobile's last 11), its
    address (lowercase) or its IP address; a cleaned corpus's ledger lists its surrogates by this key."""
    if pii_type == "email":
        core = value.lower()
    elif pii_type == "ip":
        try:
            core = ipaddress.ip_address(value).compressed
        except ValueError:
            core = value
    else:
        core = "".join(c for c in value.upper() if c in DIGITS or c == "X")
        core = core[-11:] if pii_type == "cn_mobile" else core
    return hashlib.sha256(f"{pii_type}:{core}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def find_pii(text: str, max_samples: int = 5, surrogates: frozenset[str] = frozenset()) -> PiiFindings:
    """Personal information in ``text``: counts by type and masked samples (see the module doc); items
    whose ``surrogate_key`` is in ``surrogates`` (a cleaned corpus's ledger) are counted apart."""
    hits = pii_hits(text)
    if not hits:
        return PiiFindings()
    found = {t: 0 for t in PII_TYPES}
    samples: list[str] = []
    synthetic = 0
    for _, _, pii_type, value in hits:
        if surrogates and surrogate_key(pii_type, value) in surrogates:
            synthetic += 1
            continue
        found[pii_type] += 1
        if len(samples) < max_samples:
            sample = f"{pii_type}:{mask(pii_type, value)}"
            if sample not in samples:
                samples.append(sample)
    return PiiFindings({t: n for t, n in found.items() if n}, tuple(samples), synthetic)


# --- e-mail and IPv6: anchored on characters that ordinary text rarely has ---


def _find_emails(text: str, rules: PiiRules, hits: list) -> None:
    anchor = rules.email_anchor
    at = text.find(anchor)
    while at != -1:
        resume = at + 1
        before = rules.local_part.match(text[max(0, at - 65) : at][::-1])
        domain = rules.domain.match(text, at + 1) if before else None
        read = before.group() if before else ""
        if before and not domain:
            domain, read = _emphasised(text, at, read, rules)
        if domain and before:
            local = read[::-1].lstrip(".")
            # 65 characters matched: the local part is longer than an address allows
            if (
                local
                and len(read) <= 64
                and local.lower() not in rules.ignore_local_parts
                and domain.group(1).lower() not in rules.reject_tlds
                and not _reserved_domain(domain.group().lower(), rules)
                and known_suffix(domain.group().lower(), rules)
            ):
                start = at - len(local)
                hits.append((start, domain.end(), "email", text[start : domain.end()]))
                resume = domain.end()
        at = text.find(anchor, resume)


def _emphasised(text: str, at: int, read: str, rules: PiiRules) -> tuple[re.Match | None, str]:
    """An address set in emphasis (``_jane@x.org_``, ``*jane@x.org*``): the marker before the local part
    (read as part of it when it is a legal character, as ``_`` is), found again right after the domain
    and followed by no word character, ends the domain. Returns the domain and the local part read
    backwards without its marker."""
    start = at - len(read)
    if read and read[-1] in rules.emphasis:
        marker, read = read[-1], read[:-1]
    elif start > 0 and text[start - 1] in rules.emphasis:
        marker = text[start - 1]
    else:
        return None, read
    close = text.find(marker, at + 1, at + 256)
    if not read or close < 0 or (close + 1 < len(text) and (text[close + 1].isalnum() or text[close + 1] == "_")):
        return None, read
    found = rules.domain.match(text[:close], at + 1)
    return (found if found and found.end() == close else None), read


def _reserved_domain(domain: str, rules: PiiRules) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in rules.ignore_domains)


def _find_ipv6(text: str, rules: PiiRules, hits: list) -> None:
    n, done = len(text), -1
    for hit in rules.ipv6_anchor.finditer(text):
        if hit.start() < done:
            continue  # inside the token already looked at
        a, b = hit.start(), hit.end()
        while a > 0 and text[a - 1] in _HEX_COLON:
            a -= 1
        while b < n and text[b] in _HEX_COLON:
            b += 1
        done = b
        # sentence punctuation around an address: "at 2001:db8::1." / "on fe80::1: it"
        while a < b and text[a] == ".":
            a += 1
        while b > a and text[b - 1] == ".":
            b -= 1
        if b - a > 2 and text[b - 1] == ":" and text[b - 2] != ":":
            b -= 1
        if b - a > 45 or (a and text[a - 1] in _WORD) or (b < n and text[b] in _WORD):
            continue  # std::vector, f64::EPSILON: part of a longer word
        token = text[a:b]
        if _valid_ipv6(token, rules):
            hits.append((a, b, "ip", token))


def _valid_ipv6(token: str, rules: PiiRules) -> bool:
    if not any(c in DIGITS for c in token):
        return False  # dead::beef, Face::Bad
    try:
        addr = ipaddress.IPv6Address(token)
    except ValueError:
        return False
    if "::" in token:
        head = token.split(":", 1)[0]
        if not head:
            if addr.ipv4_mapped is None:
                return False
        elif len(head) != 4 or int(head, 16) < 0x2000:
            return False
        if rules.exclude_network and token.endswith("::"):
            return False  # a prefix (2001:db8::/32), not a host
    return not excluded(addr.ipv4_mapped or addr, rules)


def _codes(text: str) -> np.ndarray:
    """One number per character, so that array positions are string positions."""
    import numpy as np  # here: masking a command's short outputs (check) needs no numpy

    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    try:
        return np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _digit_runs(text: str, rules: PiiRules):
    """(start, end, digits, groups) of each run of digits that could hold a finding.

    A run is digits joined by at most ``max_separators`` separators; it is kept
    with 7 digits or more, or 4 and more in 4 groups (1.1.1.1).
    """
    if len(text) <= _FEW_DIGITS:  # a command's short outputs: no numpy to import
        few = [m.start() for m in _ASCII_DIGIT.finditer(text)]
        return _runs_of_few(text, few, rules) if len(few) >= 4 else ()
    import numpy as np

    codes = _codes(text)
    pos = np.flatnonzero((codes - 48) < 10)  # unsigned: everything below "0" wraps round
    if pos.size < 4:
        return ()
    if pos.size <= _FEW_DIGITS:
        return _runs_of_few(text, pos.tolist(), rules)
    return _runs_of_many(codes, pos, rules)


_FEW_DIGITS = 256  # below this, a loop in Python costs less than numpy's ~50 calls
_ASCII_DIGIT = re.compile("[0-9]")  # what numpy's test above finds: code points 48-57 only


def _runs_of_few(text: str, pos: list[int], rules: PiiRules) -> list[tuple[int, int, int, int]]:
    separators, widest = rules.separators, rules.max_separators + 1
    runs = []
    start = prev = pos[0]
    digits = groups = 1
    for p in pos[1:]:
        gap = p - prev
        if gap == 1:
            digits += 1
        elif gap <= widest and not text[prev + 1 : p].strip(separators):
            digits += 1
            groups += 1
        else:
            if digits >= 7 or (digits >= 4 and groups >= 4):
                runs.append((start, prev + 1, digits, groups))
            start, digits, groups = p, 1, 1
        prev = p
    if digits >= 7 or (digits >= 4 and groups >= 4):
        runs.append((start, prev + 1, digits, groups))
    return runs


def _runs_of_many(codes: np.ndarray, pos: np.ndarray, rules: PiiRules) -> list[tuple[int, int, int, int]]:
    """The same as ``_runs_of_few``, vectorised for digit-heavy text (tables, data, code)."""
    import numpy as np

    separators = np.frombuffer(rules.separator_table, dtype=bool)
    gaps = np.diff(pos)
    joined = gaps <= rules.max_separators + 1
    for k in range(1, rules.max_separators + 1):
        between = codes[np.minimum(pos[:-1] + k, codes.size - 1)]
        joined &= (gaps <= k) | separators[np.minimum(between, 255)]
    breaks = np.flatnonzero(~joined)
    first = np.concatenate(([0], breaks + 1))
    last = np.concatenate((breaks, [pos.size - 1]))
    digits = last - first + 1
    split = np.concatenate(([0], np.cumsum(joined & (gaps > 1))))
    groups = split[last] - split[first] + 1
    keep = (digits >= 7) | ((digits >= 4) & (groups >= 4))
    return list(
        zip(pos[first[keep]].tolist(), (pos[last[keep]] + 1).tolist(), digits[keep].tolist(), groups[keep].tolist())
    )


def _find_digit_items(text: str, rules: PiiRules, hits: list) -> None:
    taken = _Taken(hits)  # e-mails and IPv6 addresses already found
    for start, end, digits, groups in _digit_runs(text, rules):
        origin = max(0, start - _CONTEXT)
        window = text[origin : end + _CONTEXT]
        for dp in rules.digit_patterns:
            if digits < dp.min_digits or groups < dp.min_groups:
                continue
            for m in dp.pattern.finditer(window):
                a, b = origin + m.start(), origin + m.end()
                if b <= start or a >= end or taken.overlaps(a, b):
                    continue
                value = m.group()
                if (
                    _isolated(text, a, b, value, dp.kind)
                    and not _in_number_list(text, a, b, value, dp.kind)
                    and VALIDATORS[dp.kind](value, text, a, rules)
                ):
                    taken.add(a, b)
                    hits.append((a, b, dp.pii_type, value))


class _Taken:
    """Spans of text already counted, sorted and disjoint, so one look tells whether a span overlaps."""

    def __init__(self, hits: list) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for a, b, _, _ in sorted(hits):
            if self.ends and a < self.ends[-1]:  # an e-mail touching an IPv6 address: one span
                self.ends[-1] = max(self.ends[-1], b)
            else:
                self.starts.append(a)
                self.ends.append(b)

    def overlaps(self, a: int, b: int) -> bool:
        i = bisect_left(self.starts, b)  # spans that start before b; only the last can reach a
        return i > 0 and self.ends[i - 1] > a

    def add(self, a: int, b: int) -> None:
        i = bisect_left(self.starts, a)
        self.starts.insert(i, a)
        self.ends.insert(i, b)


def _isolated(text: str, a: int, b: int, value: str, kind: str) -> bool:
    """Not part of a word, a decimal, a file name, a formula or a longer group of digits."""
    joiners = "." if kind == "ipv4" else ".-"  # 10.0.0.1-10.0.0.9 is a range of addresses
    grouped = " " in value  # "4111 1111 1111 1111 2" goes on with the same separator
    if a:
        c = text[a - 1]
        if c in _WORD or c in "+^" or c == "*" and a > 1 and (text[a - 2] in _WORD or text[a - 2] == ")"):
            return False  # p*16656250000 is a formula; **+49 89 3118 9163** is Markdown emphasis
        if a > 1 and (c in joiners and text[a - 2] in _WORD or c == " " and grouped and text[a - 2] in DIGITS):
            return False
    if b < len(text):
        c = text[b]
        if c in _WORD or c == "^" or c == "*" and b + 1 < len(text) and (text[b + 1] in _WORD or text[b + 1] == "("):
            return False  # 16656250000*p**2: a coefficient
        if b + 1 < len(text) and (
            c in joiners and text[b + 1] in _WORD or c == " " and grouped and text[b + 1] in DIGITS
        ):
            return False
    return True


def _in_number_list(text: str, a: int, b: int, value: str, kind: str) -> bool:
    """A bare number next to a number of another length, as in ``(26214400, 16384000000)``.

    Numeric arrays in code and data hold long numbers that happen to look like a
    mobile, a card or an identity number; a list of mobiles (or of cards) has
    neighbours of the same length and is still counted, and so is a record (a CSV
    row: ``赵磊,610113195201070413,17665348922,2024-08-15``), whose other fields are
    not all numbers.
    """
    if kind not in BARE_KINDS or not value[:-1].isdigit() or not _numbers_only(text, a, b):
        return False
    n = len(text)
    for step, edge in ((1, b), (-1, a - 1)):
        i, spaces = edge, 0
        while 0 <= i < n and text[i] == " " and spaces < 2:
            i, spaces = i + step, spaces + 1
        if not (0 <= i < n and text[i] in ",;"):
            continue
        i += step
        while 0 <= i < n and text[i] == " ":
            i += step
        if step == 1 and i < n and text[i] in "+-":
            i += 1  # a signed neighbour: (A, -16802270373)
        length = 0
        while 0 <= i < n and text[i] in DIGITS:
            i, length = i + step, length + 1
        if length and length != len(value):
            return True
    return False


_OPENERS, _CLOSERS = "([{\n", ")]}\n"
_SEGMENT_REACH = 4096  # characters looked at each side; further than that, taken as a list of numbers
_TERM = r"[+-]?[0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(rf"\s*{_TERM}(?:\s*[*/]\s*{_TERM})*\s*")  # 42, -1.5e3, 14199869525/1410260304


def _numbers_only(text: str, a: int, b: int) -> bool:
    """Whether the list around text[a:b] (up to the enclosing bracket or line) holds numbers alone."""
    low, high = max(0, a - _SEGMENT_REACH), min(len(text), b + _SEGMENT_REACH)
    start = max((text.rfind(c, low, a) for c in _OPENERS), default=-1)
    if start < 0 and low > 0:
        return True
    ends = [e for e in (text.find(c, b, high) for c in _CLOSERS) if e >= 0]
    if not ends and high < len(text):
        return True
    end = min(ends) if ends else high
    fields = re.split(r"[,;\t]", text[start + 1 : end])
    return all(_NUMBER.fullmatch(f) or not f.strip() for f in fields)


# --- masking ---


def mask(pii_type: str, value: str) -> str:
    """``value`` with all but a few characters replaced by ``*`` (settings: rules/pii.yaml ``mask``)."""
    masks = pii_rules().masks
    if pii_type not in masks:
        raise ValueError(f"unknown personal information type {pii_type!r} (known: {', '.join(PII_TYPES)})")
    settings = masks[pii_type]
    if pii_type == "email":
        return _mask_email(value, settings)
    if pii_type == "ip":
        return _mask_ip(value, settings)
    if pii_type == "cn_mobile":
        value = "".join(c for c in value if c in DIGITS)[-11:]  # without +86 and separators
    return _mask_chars(value, settings["keep_first"], settings["keep_last"])


def _mask_chars(value: str, keep_first: int, keep_last: int) -> str:
    where = [i for i, c in enumerate(value) if c.isalnum()]
    budget = min(MAX_SHOWN, len(where) // 2)
    keep_first = max(0, min(keep_first, budget))
    keep_last = max(0, min(keep_last, budget - keep_first))
    shown = set(where[:keep_first]) | set(where[len(where) - keep_last :] if keep_last else ())
    return "".join("*" if c.isalnum() and i not in shown else c for i, c in enumerate(value))


def _head(part: str, keep: int) -> str:
    return part[: max(0, min(keep, MAX_SHOWN, len(part) // 2))]


def _mask_email(value: str, settings: dict) -> str:
    local, _, domain = value.rpartition("@")
    labels = domain.split(".")
    if not local or len(labels) < 2:
        return _mask_chars(value, 0, 0)
    masked = f"{_head(local, settings['local_keep'])}***@{_head(labels[0], settings['domain_keep'])}***"
    return f"{masked}.{labels[-1]}" if settings["keep_tld"] else masked


def _mask_ip(value: str, settings: dict) -> str:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return _mask_chars(value, 0, 0)
    if addr.version == 4:
        keep = max(0, min(settings["keep_groups"], 2))
        return ".".join(value.split(".")[:keep] + ["*"] * (4 - keep))
    keep = max(0, min(settings["keep_groups"], 4))
    groups = [g.lstrip("0") or "0" for g in addr.exploded.split(":")]
    return ":".join(groups[:keep] + ["*"] * (8 - keep))
