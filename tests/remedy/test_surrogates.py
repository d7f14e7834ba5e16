"""Synthetic surrogates (remedy/surrogates.py): valid by checks written here, never the original, the same
value the same way within a document. Values are drawn by hypothesis from generators of valid data."""

from __future__ import annotations

import ipaddress
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from licenselens.remedy.surrogates import Replacer, surrogate
from licenselens.signals.pii import find_pii, pii_hits

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54}
PROVINCES |= {61, 62, 63, 64, 65}
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@(example\.(com|org|net))$")


# --- independent validators (not the detector's code) ---


def luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def valid_cn_id(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value) or int(value[:2]) not in PROVINCES:
        return False
    born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))  # raises when not a date
    check = "10X98765432"[sum(int(c) * w for c, w in zip(value[:17], _WEIGHTS)) % 11]
    return date(1900, 1, 1) <= born <= date.today() and value[17] == check


def digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


# --- generators of real-looking originals ---


@st.composite
def cn_ids(draw):
    born = draw(st.dates(date(1930, 1, 1), date(2010, 12, 31)))
    first = f"{draw(st.sampled_from(sorted(PROVINCES))):02d}{draw(st.integers(100, 9999)):04d}{born:%Y%m%d}"
    first += f"{draw(st.integers(0, 999)):03d}"
    return first + "10X98765432"[sum(int(c) * w for c, w in zip(first, _WEIGHTS)) % 11]


@st.composite
def cards(draw):
    prefix = draw(st.sampled_from(["4", "51", "55", "2221", "34", "37", "6011", "62", "3530"]))
    length = 15 if prefix in ("34", "37") else 16
    body = prefix + "".join(
        draw(
            st.lists(
                st.sampled_from("0123456789"), min_size=length - len(prefix) - 1, max_size=length - len(prefix) - 1
            )
        )
    )
    number = body + next(d for d in "0123456789" if luhn(body + d))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4)) if sep and length == 16 else number


@st.composite
def mobiles(draw):
    core = (
        "1"
        + draw(st.sampled_from("3456789"))
        + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    )
    form = draw(st.sampled_from(["plain", "spaced", "plus86"]))
    if form == "spaced":
        return f"{core[:3]} {core[3:7]} {core[7:]}"
    return ("+86 " if form == "plus86" else "") + core


@st.composite
def us_phones(draw):
    area = draw(st.integers(201, 989))
    exchange = draw(st.integers(200, 999))
    line = draw(st.integers(0, 9999))
    return draw(
        st.sampled_from(
            [f"({area}) {exchange}-{line:04d}", f"{area}-{exchange}-{line:04d}", f"+1 {area} {exchange} {line:04d}"]
        )
    )


emails = st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8})?[0-9]{0,3}@(mail|post|corp)\.(de|fr|com|cn|co\.uk)", fullmatch=True)
ipv4s = st.ip_addresses(v=4).filter(lambda a: a.is_global and not str(a).endswith(".0")).map(str)
ipv6s = st.ip_addresses(v=6).filter(lambda a: a.is_global).map(lambda a: a.compressed)


@settings(max_examples=150, deadline=None)
@given(cn_ids(), st.text(min_size=1, max_size=8))
def test_resident_id(value, document):
    made = surrogate("cn_id", value, "seed", document)
    assert made != value and valid_cn_id(made)
    assert [h[2] for h in pii_hits(f"身份证号 {made}。")] == ["cn_id"]  # and the detector's own checks


@settings(max_examples=150, deadline=None)
@given(cards(), st.text(min_size=1, max_size=8))
def test_payment_card(value, document):
    made = surrogate("payment_card", value, "seed", document)
    assert digits(made) != digits(value) and luhn(digits(made)) and len(made) == len(value)
    assert [c for c in made if not c.isdigit()] == [c for c in value if not c.isdigit()]  # its grouping kept
    assert digits(made)[:6] in {
        "424242",
        "411111",
        "400005",
        "555555",
        "510510",
        "222300",
        "378282",
        "371449",
        "601111",
        "620000",
        "353011",
        "305693",
    }
    assert [h[2] for h in pii_hits(f"card: {made} ")] == ["payment_card"]


@settings(max_examples=150, deadline=None)
@given(mobiles(), st.text(min_size=1, max_size=8))
def test_mainland_mobile(value, document):
    made = surrogate("cn_mobile", value, "seed", document)
    assert digits(made)[-11:] != digits(value)[-11:]
    assert re.fullmatch(r"1[3-9][0-9]{9}", digits(made)[-11:]) and len(made) == len(value)
    assert [h[2] for h in pii_hits(f"手机 {made} 联系")] == ["cn_mobile"]


@settings(max_examples=150, deadline=None)
@given(us_phones(), st.text(min_size=1, max_size=8))
def test_north_american_phone_is_fictional(value, document):
    made = surrogate("phone", value, "seed", document)
    assert digits(made)[-7:-2] == "55501"  # 555-0100..0199, reserved for fiction
    assert len(made) == len(value) and made != value
    assert [h[2] for h in pii_hits(f"call {made} today")] == ["phone"]


@settings(max_examples=150, deadline=None)
@given(emails, st.text(min_size=1, max_size=8))
def test_email_at_a_reserved_domain(value, document):
    made = surrogate("email", value, "seed", document)
    assert EMAIL.match(made) and made != value
    assert len(made.split("@")[0]) == len(value.split("@")[0])


@settings(max_examples=150, deadline=None)
@given(st.one_of(ipv4s, ipv6s), st.text(min_size=1, max_size=8))
def test_ip_in_documentation_networks(value, document):
    made = ipaddress.ip_address(surrogate("ip", value, "seed", document))
    documentation = [
        ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    ]
    assert any(made in n for n in documentation) and str(made) != value
    assert made.version == ipaddress.ip_address(value).version


def test_same_value_same_way_within_a_document_and_seeded():
    text = "Write to li.wei@mail.example-hospital.cn or li.wei@mail.example-hospital.cn; id 110101199003071233."
    one, again = Replacer("s", "ds:1"), Replacer("s", "ds:1")
    out = one(text)
    assert out == again(text)  # seeded: the same run gives the same bytes
    made = [h[3] for h in pii_hits(out)] + re.findall(r"\S+@example\.\w+", out)
    assert len(set(re.findall(r"\S+@example\.\w+", out))) == 1 and len(re.findall(r"\S+@example\.\w+", out)) == 2
    assert "li.wei" not in out and "110101199003071233" not in out and made
    assert Replacer("s", "ds:2")(text) != out  # another document, other surrogates
    assert Replacer("t", "ds:1")(text) != out  # another seed
    assert find_pii(out, surrogates=frozenset(one.ledger())).counts == {}
    assert one.counts == {"email": 2, "cn_id": 1}
