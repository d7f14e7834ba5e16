"""A labelled set of personal information planted in realistic documents (issue 17).

``documents(seed)`` generates, deterministically from ``random.Random(seed)``,
documents of many kinds (forum posts, CVs, order confirmations, support tickets,
logs, CSV/TSV exports, HTML, JSON, Markdown, footers, signatures, WeChat posts,
configs, code, network dumps) in English and Chinese. Each document knows where
its planted values are: ground truth comes from the planting, never from a
detector. Hard negatives (look-alikes that are not personal information, or that
``licenselens.signals.pii`` documents it never counts) are planted in the same
documents and labelled with their kind, so a false positive can be explained.

Every value is made here, by code independent of licenselens: resident identity
numbers with a GB 11643-1999 MOD 11-2 check character, real province/area codes
and valid birth dates; payment cards with real issuer prefixes and lengths and a
Luhn check digit; Chinese mobiles 1[3-9]x; phones in international, North
American and national (trunk 0) forms; e-mail addresses (plus-addressing,
subdomains, internationalised domains); IPv4 (public, private, documentation)
and IPv6 (full, compressed, link-local, IPv4-mapped).

Negatives the detector documents it never counts although they are personal
(full-width digits, a bare 10-digit phone, a mobile in an all-numeric CSV row...)
are registered with ``personal=True`` and say so in their description.

Templates use slots ``{{name}}`` (a value of PII_FIELDS, NEGATIVES or
TEXT_FIELDS), ``{{neg}}`` (the next generic negative kind, in turn),
``{{name#key}}`` (the same value again within a document) and
``{{name#key|filter}}`` / ``{{name|filter}}`` (reformatted: tel, nbsp...).
"""

from __future__ import annotations

import ipaddress
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

SEED = 17
ROUNDS = 20  # every template, this many times
PII_TYPES = ("email", "phone", "cn_mobile", "cn_id", "payment_card", "ip")


@dataclass(frozen=True)
class Doc:
    family: str
    template: str
    text: str
    planted: tuple[tuple[int, int, str], ...]  # (start, end, type)
    negatives: tuple[tuple[int, int, str], ...]  # (start, end, kind)

    def pair(self) -> tuple[str, list[tuple[int, int, str]]]:
        return self.text, list(self.planted)


# ---------------------------------------------------------------------------
# Independent validity code
# ---------------------------------------------------------------------------

PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()
)
# real county-level administrative division codes (GB/T 2260)
AREA_CODES = (
    "110101 110102 110105 110106 110108 120101 120104 130102 130104 140105 150102 210102 210203 220102 "
    "230102 230103 310101 310104 310115 320102 320106 320583 330102 330106 330203 340104 350102 350203 "
    "360102 370102 370202 410105 420106 420111 430104 440103 440106 440304 440305 441900 450103 460105 "
    "500103 500106 510104 510107 520102 530102 540102 610113 620102 630102 640104 650102"
).split()
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2


def cn_id_check(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2)."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def valid_cn_id(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit() or value[:2] not in PROVINCES:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today() and cn_id_check(value[:17]) == value[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_complete(partial: str) -> str:
    """``partial`` with the Luhn check digit appended."""
    return partial + next(d for d in "0123456789" if luhn_ok(partial + d))


# (issuer, prefix ranges as (low, high) strings of equal length, lengths)
ISSUERS = (
    ("visa", (("4", "4"),), (13, 16, 19)),
    ("mastercard", (("51", "55"), ("2221", "2720")), (16,)),
    ("amex", (("34", "34"), ("37", "37")), (15,)),
    ("unionpay", (("62", "62"),), (16, 17, 18, 19)),
    ("jcb", (("3528", "3589"),), (16, 17, 18, 19)),
    ("discover", (("6011", "6011"), ("644", "649"), ("65", "65")), (16, 17, 18, 19)),
    ("diners", (("300", "305"), ("36", "36"), ("38", "38")), (14, 15, 16, 17, 18, 19)),
)


def card_issuer(digits: str) -> str | None:
    for name, ranges, lengths in ISSUERS:
        if len(digits) in lengths and any(lo <= digits[: len(lo)] <= hi for lo, hi in ranges):
            return name
    return None


def valid_card(value: str) -> bool:
    digits = re.sub(r"[ -]", "", value)
    return digits.isdigit() and card_issuer(digits) is not None and luhn_ok(digits)


def valid_cn_mobile(value: str) -> bool:
    """A Chinese mobile number, with or without a country prefix (+86, 0086, 86-)."""
    m = re.fullmatch(r"(?:\(?(?:\+|00)86\)?[ -]?|86-)?(1[3-9][0-9])([ -]?)([0-9]{4})\2([0-9]{4})", value)
    return m is not None and value.isascii()


def valid_ip(value: str) -> bool:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    inner = getattr(addr, "ipv4_mapped", None) or addr
    return not (inner.is_loopback or inner.is_multicast or inner.is_unspecified or inner.is_reserved)


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------

FIRST_EN = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Olivia "
    "Liam Emma Noah Ava Lucas Sophie Jonas Lena Finn Hannah Mateo Chloe Hugo Ines Aarav Priya Kenji Yuki"
).split()
LAST_EN = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Anderson Taylor Thomas "
    "Moore Jackson Martin Lee Thompson White Harris Clark Lewis Walker Hall Young King Wright Scott Green "
    "Baker Adams Nelson Carter Mitchell Roberts Schmidt Müller Fischer Weber Dubois Laurent Rossi Novak "
    "Kowalski Jensen Tanaka Sato Patel Sharma O'Brien"
).split()
SURNAMES = [
    ("张", "zhang"),
    ("王", "wang"),
    ("李", "li"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
]
GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("强", "qiang"),
    ("军", "jun"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("秀英", "xiuying"),
    ("桂兰", "guilan"),
    ("志明", "zhiming"),
    ("晓东", "xiaodong"),
    ("海燕", "haiyan"),
    ("建华", "jianhua"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("雨桐", "yutong"),
    ("梓轩", "zixuan"),
]
FREE_MAIL = (
    "gmail.com outlook.com hotmail.com yahoo.com icloud.com proton.me protonmail.com gmx.de web.de posteo.de "
    "mail.ru yandex.ru yahoo.co.jp orange.fr libero.it btinternet.com fastmail.com hotmail.co.uk live.com"
).split()
CN_MAIL = "qq.com 163.com 126.com sina.com sohu.com foxmail.com 139.com aliyun.com yeah.net vip.qq.com".split()
ORG_DOMAINS = (
    "nordwind-logistik.de acme-robotics.io blueharbor.co.uk kestrel-analytics.com lumen-health.org "
    "fjordline-tech.no sakura-trading.co.jp huaxin-tech.com.cn pinecrest.edu mapleleaf-dental.ca "
    "zhongke-data.cn tianyun.net.cn ox.ac.uk tsinghua.edu.cn ethz.ch brightwave.com.au"
).split()
SUBDOMAINS = "mail eu cs alumni research sales.eu dept.physics corp us-east hq mx1".split()
IDN_DOMAINS = (
    "bücher-nordlicht.de müller-bau.at straße-und-söhne.de café-lumière.fr señor-plátano.es "
    "københavn-cykler.dk zürich-treuhand.ch bäckerei-öhlmann.de lindgrens-trädgård.se цветы-москва.com "
    "ελληνικά-βιβλία.com"
).split()
PLUS_TAGS = "newsletter github shop 2024 work amazon receipts jobs spam taobao".split()

CN_MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 145 147 150 151 152 153 155 156 157 158 159 166 170 171 "
    "173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 196 198 199"
).split()
NANP_AREAS = ("212 213 202 206 303 305 312 404 415 503 510 512 617 646 702 713 718 773 808 917 416 604 514 403").split()


def pick(rng: random.Random, seq):
    return seq[rng.randrange(len(seq))]


def digits(rng: random.Random, n: int, first: str = "0123456789") -> str:
    return pick(rng, first) + "".join(pick(rng, "0123456789") for _ in range(n - 1))


def name_en(rng) -> str:
    return f"{pick(rng, FIRST_EN)} {pick(rng, LAST_EN)}"


def name_zh(rng) -> str:
    return pick(rng, SURNAMES)[0] + pick(rng, GIVEN)[0]


def birth_date(rng, lo: int = 1940, hi: int = 2008) -> date:
    start = date(lo, 1, 1)
    return start + timedelta(days=rng.randrange((date(hi, 12, 31) - start).days))


# ---------------------------------------------------------------------------
# Personal information
# ---------------------------------------------------------------------------


def gen_cn_id(rng) -> str:
    first17 = pick(rng, AREA_CODES) + birth_date(rng).strftime("%Y%m%d") + digits(rng, 3)
    value = first17 + cn_id_check(first17)
    if value.endswith("X") and rng.random() < 0.15:
        value = value[:-1] + "x"  # typed in lower case
    return value


def gen_cn_id_spaced(rng) -> str:
    """Grouped 6-8-4 as some forms and printed cards show it."""
    v = gen_cn_id(rng)
    return f"{v[:6]} {v[6:14]} {v[14:]}"


def _card_digits(rng, issuer: str | None = None) -> str:
    issuer = issuer or pick(
        rng, ("visa", "visa", "visa", "mastercard", "mastercard", "amex", "unionpay", "jcb", "discover")
    )
    if issuer == "visa":
        prefix, length = "4" + digits(rng, 5), 16
    elif issuer == "mastercard":
        prefix = str(rng.randint(51, 55)) if rng.random() < 0.7 else str(rng.randint(2221, 2720))
        length = 16
    elif issuer == "amex":
        prefix, length = pick(rng, ("34", "37")), 15
    elif issuer == "unionpay":
        prefix = pick(rng, ("622202", "621700", "622848", "621226", "623058", "622588", "621483", "622700"))
        length = pick(rng, (16, 19, 19))
    elif issuer == "jcb":
        prefix, length = str(rng.randint(3528, 3589)), 16
    else:
        prefix, length = pick(rng, ("6011", str(rng.randint(644, 649)), "65")), 16
    partial = prefix + "".join(pick(rng, "0123456789") for _ in range(length - 1 - len(prefix)))
    return luhn_complete(partial)


def format_card(rng, number: str) -> str:
    style = rng.random()
    if style < 0.35:
        return number
    sep = " " if style < 0.8 else "-"
    if len(number) == 15:  # Amex 4-6-5
        return sep.join((number[:4], number[4:10], number[10:]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def gen_card(rng) -> str:
    return format_card(rng, _card_digits(rng))


def gen_card_plain(rng) -> str:
    return _card_digits(rng)


def gen_card_unionpay(rng) -> str:
    return format_card(rng, _card_digits(rng, "unionpay"))


def _mobile_digits(rng) -> str:
    return pick(rng, CN_MOBILE_PREFIXES) + digits(rng, 8)


def gen_mobile(rng) -> str:
    m = _mobile_digits(rng)
    return pick(
        rng,
        (
            m,
            m,
            m,
            f"{m[:3]} {m[3:7]} {m[7:]}",
            f"{m[:3]}-{m[3:7]}-{m[7:]}",
            f"+86 {m}",
            f"+86 {m[:3]} {m[3:7]} {m[7:]}",
            f"+86-{m[:3]}-{m[3:7]}-{m[7:]}",
            f"0086 {m}",
            f"+86{m}",
            f"(+86) {m}",
            f"86-{m}",
        ),
    )


def gen_mobile_plain(rng) -> str:
    return _mobile_digits(rng)


def _sub(rng, n: int) -> str:
    """A subscriber group: never starts with 0."""
    return digits(rng, n, "123456789")


def gen_phone_na(rng) -> str:
    a = pick(rng, NANP_AREAS)
    e, s = ("555", "01" + digits(rng, 2)) if rng.random() < 0.4 else (digits(rng, 3, "23456789"), digits(rng, 4))
    toll = pick(rng, ("800", "888", "877", "866"))
    return pick(
        rng,
        (
            f"{a}-{e}-{s}",
            f"{a}-{e}-{s}",
            f"({a}) {e}-{s}",
            f"({a}) {e}-{s}",
            f"({a}){e}-{s}",
            f"{a}.{e}.{s}",
            f"1-{toll}-{e}-{s}",
            f"1 ({toll}) {e}-{s}",
        ),
    )


def gen_phone_intl(rng) -> str:
    a, s4, s3 = pick(rng, NANP_AREAS), digits(rng, 4), digits(rng, 3, "23456789")
    forms = (
        f"+1 {a} {s3} {s4}",
        f"+1-{a}-{s3}-{s4}",
        f"+1 ({a}) {s3}-{s4}",
        f"+1.{a}.{s3}.{s4}",
        f"+1{a}{s3}{s4}",
        f"+44 20 7946 0{digits(rng, 3)}",
        f"+44 (0)20 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+44 7700 900{digits(rng, 3)}",
        f"+44 161 496 0{digits(rng, 3)}",
        f"0044 20 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+49 30 {_sub(rng, 8)}",
        f"+49 (0)30 {_sub(rng, 7)}",
        f"+49 89 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+49 151 {_sub(rng, 8)}",
        f"0049 40 {_sub(rng, 7)}",
        f"+33 1 {_sub(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}",
        f"+33 6 {_sub(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}",
        f"+81 3-{_sub(rng, 4)}-{digits(rng, 4)}",
        f"+81 90-{_sub(rng, 4)}-{digits(rng, 4)}",
        f"+61 2 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+61 412 {_sub(rng, 3)} {digits(rng, 3)}",
        f"+91 {digits(rng, 5, '6789')} {digits(rng, 5)}",
        f"+91-22-{_sub(rng, 4)}-{digits(rng, 4)}",
        f"+86 10 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+86 21 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+86-755-{_sub(rng, 4)}-{digits(rng, 4)}",
        f"+852 {digits(rng, 4, '23')} {digits(rng, 4)}",
        f"+886 2 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+65 6{digits(rng, 3)} {digits(rng, 4)}",
        f"+82 2-{_sub(rng, 3)}-{digits(rng, 4)}",
        f"+82 10-{_sub(rng, 4)}-{digits(rng, 4)}",
        f"+7 495 {_sub(rng, 3)}-{digits(rng, 2)}-{digits(rng, 2)}",
        f"+55 11 9{digits(rng, 4)}-{digits(rng, 4)}",
        f"+31 20 {_sub(rng, 3)} {digits(rng, 4)}",
        f"+31 6 {_sub(rng, 8)}",
        f"+34 91{digits(rng, 1)} {digits(rng, 3)} {digits(rng, 3)}",
        f"+39 06 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+41 44 {_sub(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}",
        f"+46 8 {_sub(rng, 3)} {digits(rng, 3)} {digits(rng, 2)}",
        f"+48 22 {_sub(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}",
        f"+353 1 {_sub(rng, 3)} {digits(rng, 4)}",
        f"+27 21 {_sub(rng, 3)} {digits(rng, 4)}",
        f"+971 4 {_sub(rng, 3)} {digits(rng, 4)}",
        f"+52 55 {_sub(rng, 4)} {digits(rng, 4)}",
        f"+64 9 {_sub(rng, 3)} {digits(rng, 4)}",
        f"+90 212 {_sub(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}",
    )
    return pick(rng, forms)


def gen_phone_nat(rng) -> str:
    return pick(
        rng,
        (
            f"030 {_sub(rng, 8)}",
            f"030 {_sub(rng, 7)}",
            f"089 {_sub(rng, 8)}",
            f"040-{_sub(rng, 8)}",
            f"0221 {_sub(rng, 7)}",
            f"0151 {_sub(rng, 8)}",
            f"(030) {_sub(rng, 7)}",
            f"020 7946 0{digits(rng, 3)}",
            f"020 {_sub(rng, 4)} {digits(rng, 4)}",
            f"0161 496 0{digits(rng, 3)}",
            f"07700 900{digits(rng, 3)}",
            f"(020) {_sub(rng, 4)} {digits(rng, 4)}",
            f"010-{_sub(rng, 8)}",
            f"021-{_sub(rng, 8)}",
            f"0755-{_sub(rng, 8)}",
            f"020-{_sub(rng, 8)}",
            f"(010) {_sub(rng, 4)} {digits(rng, 4)}",
            f"01 {_sub(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}",
            f"06 {_sub(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}",
            f"01.{_sub(rng, 2)}.{digits(rng, 2)}.{digits(rng, 2)}.{digits(rng, 2)}",
            f"03-{_sub(rng, 4)}-{digits(rng, 4)}",
            f"090-{_sub(rng, 4)}-{digits(rng, 4)}",
            f"06-{_sub(rng, 4)}-{digits(rng, 4)}",
            f"(02) {_sub(rng, 4)} {digits(rng, 4)}",
            f"0412 {_sub(rng, 3)} {digits(rng, 3)}",
            f"020-{_sub(rng, 7)}",
            f"06-{_sub(rng, 8)}",
        ),
    )


def gen_phone_de(rng) -> str:
    """German national numbers, including the common slash form 030/1234567 (DIN 5008 before 2011)."""
    return pick(
        rng,
        (
            f"030 {_sub(rng, 8)}",
            f"(030) {_sub(rng, 7)}",
            f"089 {_sub(rng, 4)} {digits(rng, 4)}",
            f"0221 {_sub(rng, 7)}",
            f"+49 (0)30 {_sub(rng, 7)}",
            f"+49 40 {_sub(rng, 3)} {digits(rng, 4)}",
            f"030/{_sub(rng, 7)}",
            f"0711/{_sub(rng, 6)}",
        ),
    )


def gen_phone_cn_land(rng) -> str:
    if rng.random() < 0.12:  # switchboard and extension, as company pages print it
        return f"{pick(rng, ('010', '021', '0755', '0571'))}-{_sub(rng, 8)}-{digits(rng, 4, '123456789')}"
    if rng.random() < 0.1:  # area code in full-width brackets, as Chinese text sets it
        return f"（{pick(rng, ('010', '021', '0755', '0571'))}）{_sub(rng, 8)}"
    return pick(
        rng,
        (
            f"010-{_sub(rng, 8)}",
            f"021-{_sub(rng, 8)}",
            f"0755-{_sub(rng, 8)}",
            f"0571-{_sub(rng, 8)}",
            f"020-{_sub(rng, 8)}",
            f"028-{_sub(rng, 8)}",
            f"(010) {_sub(rng, 8)}",
            f"+86 10 {_sub(rng, 4)} {digits(rng, 4)}",
            f"+86-21-{_sub(rng, 8)}",
        ),
    )


def gen_phone_e164(rng) -> str:
    """E.164 without separators, as SMS gateways and tel: links store it."""
    return "+" + "".join(c for c in gen_phone_intl(rng).replace("(0)", "") if c.isdigit()).removeprefix("00")


def gen_phone(rng) -> str:
    r = rng.random()
    return gen_phone_intl(rng) if r < 0.5 else gen_phone_na(rng) if r < 0.75 else gen_phone_nat(rng)


def _local_en(rng) -> str:
    f, la = pick(rng, FIRST_EN).lower(), re.sub(r"[^a-z]", "", pick(rng, LAST_EN).lower().replace("ü", "ue"))
    return pick(
        rng,
        (
            f"{f}.{la}",
            f"{f}{la}",
            f"{f[0]}.{la}",
            f"{f}_{la}",
            f"{f}-{la}",
            f"{f}{rng.randint(1, 99)}",
            f"{la}.{f}",
            f"{f[0]}{la}{rng.randint(70, 99)}",
            f"{f.capitalize()}.{la.capitalize()}",
        ),
    )


def _local_cn(rng) -> str:
    s, g = pick(rng, SURNAMES)[1], pick(rng, GIVEN)[1]
    return pick(rng, (f"{s}{g}", f"{s}.{g}", f"{g}.{s}", f"{s}{g}{rng.randint(80, 2005)}", f"{s}_{g}", f"{s[0]}{g}"))


def gen_email(rng) -> str:
    r = rng.random()
    if r < 0.12:
        return gen_email_idn(rng)
    if r < 0.25:
        return gen_email_plus(rng)
    if r < 0.40:
        return gen_email_sub(rng)
    if r < 0.55:
        return gen_email_cn(rng)
    return f"{_local_en(rng)}@{pick(rng, FREE_MAIL + ORG_DOMAINS)}"


def gen_email_urlencoded(rng) -> str:
    """An address in a query string, "@" percent-encoded, as access logs record it."""
    tag = f"%2B{pick(rng, PLUS_TAGS)}" if rng.random() < 0.2 else ""
    return f"{_local_en(rng)}{tag}%40{pick(rng, FREE_MAIL + ORG_DOMAINS)}"


def gen_email_plus(rng) -> str:
    return f"{_local_en(rng)}+{pick(rng, PLUS_TAGS)}@{pick(rng, FREE_MAIL)}"


def gen_email_sub(rng) -> str:
    return f"{_local_en(rng)}@{pick(rng, SUBDOMAINS)}.{pick(rng, ORG_DOMAINS)}"


def gen_email_idn(rng) -> str:
    domain = pick(rng, IDN_DOMAINS)
    if rng.random() < 0.25:
        domain = domain.encode("idna").decode("ascii")  # as mail headers carry it: xn--
    return f"{pick(rng, ('kontakt', 'info', 'anna', 'jorg', 'bestellung', 'hej', 'contact', 'office'))}@{domain}"


def gen_email_cn(rng) -> str:
    r = rng.random()
    if r < 0.3:
        return f"{digits(rng, rng.randint(6, 10), '123456789')}@{pick(rng, ('qq.com', 'vip.qq.com', 'foxmail.com'))}"
    if r < 0.4:
        return f"{_mobile_digits(rng)}@{pick(rng, ('163.com', '139.com', '189.cn'))}"
    return f"{_local_cn(rng)}@{pick(rng, CN_MAIL + ORG_DOMAINS[5:12])}"


def _ipv4_public(rng) -> str:
    while True:
        first = rng.randint(1, 223)
        if first in (10, 100, 127, 169, 172, 192, 198):
            continue
        v = f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if len(v) > 7 and valid_ip(v) and ipaddress.ip_address(v).is_global:
            return v


def gen_ipv4_public(rng) -> str:
    if rng.random() < 0.15:  # documentation ranges (RFC 5737): counted as hosts
        return f"{pick(rng, ('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"
    return _ipv4_public(rng)


def gen_ipv4_private(rng) -> str:
    r = rng.random()
    if r < 0.4:
        return f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if r < 0.75:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def gen_ipv4(rng) -> str:
    return gen_ipv4_public(rng) if rng.random() < 0.55 else gen_ipv4_private(rng)


_V6_HEADS = (
    (0x2001, 0x2001),
    (0x2400, 0x240F),
    (0x2600, 0x260F),
    (0x2800, 0x2803),
    (0x2A00, 0x2A0F),
    (0x2C0F, 0x2C0F),
    (0xFD00, 0xFDFF),
)


def _v6_groups(rng, zeros: int) -> list[int]:
    lo, hi = pick(rng, _V6_HEADS)
    groups = [rng.randint(lo, hi)] + [rng.randint(0, 0xFFFF) for _ in range(7)]
    if groups[0] == 0x2001 and rng.random() < 0.4:
        groups[1] = 0x0DB8  # documentation prefix: counted as a host
    if zeros:
        at = rng.randint(2, 7 - zeros)
        groups[at : at + zeros] = [0] * zeros
    groups[7] = groups[7] or 1
    return groups


def gen_ipv6_full(rng) -> str:
    groups = _v6_groups(rng, rng.choice((0, 0, 2)))
    if rng.random() < 0.6:
        text = ":".join(f"{g:04x}" for g in groups)
    else:
        text = ":".join(f"{g:x}" for g in groups)
    return text.upper() if rng.random() < 0.15 else text


def gen_ipv6_short(rng) -> str:
    text = ipaddress.IPv6Address(":".join(f"{g:x}" for g in _v6_groups(rng, rng.randint(2, 4)))).compressed
    return text.upper() if rng.random() < 0.1 else text


def gen_ipv6_linklocal(rng) -> str:
    return ipaddress.IPv6Address(
        "fe80::" + ":".join(f"{rng.randint(1, 0xFFFF):x}" for _ in range(rng.choice((1, 4))))
    ).compressed


def gen_ipv6_mapped(rng) -> str:
    return f"::ffff:{gen_ipv4(rng)}"


def gen_ipv6(rng) -> str:
    r = rng.random()
    if r < 0.3:
        return gen_ipv6_full(rng)
    if r < 0.75:
        return gen_ipv6_short(rng)
    if r < 0.88:
        return gen_ipv6_linklocal(rng)
    return gen_ipv6_mapped(rng)


def gen_ip(rng) -> str:
    return gen_ipv6(rng) if rng.random() < 0.3 else gen_ipv4(rng)


PII_FIELDS: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    "email": ("email", gen_email),
    "email_plus": ("email", gen_email_plus),
    "email_sub": ("email", gen_email_sub),
    "email_idn": ("email", gen_email_idn),
    "email_cn": ("email", gen_email_cn),
    "email_urlencoded": ("email", gen_email_urlencoded),
    "phone": ("phone", gen_phone),
    "phone_intl": ("phone", gen_phone_intl),
    "phone_na": ("phone", gen_phone_na),
    "phone_nat": ("phone", gen_phone_nat),
    "phone_de": ("phone", gen_phone_de),
    "phone_e164": ("phone", gen_phone_e164),
    "phone_cn_land": ("phone", gen_phone_cn_land),
    "mobile": ("cn_mobile", gen_mobile),
    "mobile_plain": ("cn_mobile", gen_mobile_plain),
    "cn_id": ("cn_id", gen_cn_id),
    "cn_id_spaced": ("cn_id", gen_cn_id_spaced),
    "card": ("payment_card", gen_card),
    "card_plain": ("payment_card", gen_card_plain),
    "card_unionpay": ("payment_card", gen_card_unionpay),
    "ip": ("ip", gen_ip),
    "ipv4": ("ip", gen_ipv4),
    "ipv4_public": ("ip", gen_ipv4_public),
    "ipv4_private": ("ip", gen_ipv4_private),
    "ipv6": ("ip", gen_ipv6),
    "ipv6_full": ("ip", gen_ipv6_full),
    "ipv6_short": ("ip", gen_ipv6_short),
    "ipv6_linklocal": ("ip", gen_ipv6_linklocal),
    "ipv6_mapped": ("ip", gen_ipv6_mapped),
}


# ---------------------------------------------------------------------------
# Hard negatives: kind -> (why it is not counted, generator)
# ---------------------------------------------------------------------------

NEGATIVES: dict[str, tuple[str, Callable[[random.Random], str]]] = {}
CONTEXTUAL: set[str] = set()  # kinds planted only where their context is (a heading, a whole CSV row)
PERSONAL: set[str] = set()  # real personal values that the detector documents it does not count


def _passes_as_pii(value: str) -> bool:
    """Whether a digit string is, by the checks above, an identity number, a card or a mobile after all
    (an 18-digit look-alike of an identity number from province 62 passes Luhn one time in ten)."""
    compact = re.sub(r"[ -]", "", value)
    if not compact.isascii() or not compact[:-1].isdigit():
        return False
    return valid_cn_id(compact) or valid_card(compact) or valid_cn_mobile(compact)


def negative(kind: str, why: str, contextual: bool = False, personal: bool = False):
    """Registers a kind of negative. ``personal``: a real value the detector documents it does not count."""

    def register(fn):
        def guarded(rng: random.Random) -> str:
            for _ in range(100):
                value = fn(rng)
                if personal or not _passes_as_pii(value):
                    return value
            raise AssertionError(f"{kind}: no look-alike found")

        NEGATIVES[kind] = (why, guarded)
        if contextual:
            CONTEXTUAL.add(kind)
        if personal:
            PERSONAL.add(kind)
        return guarded

    return register


def _id17(rng, area: str | None = None, born: str | None = None) -> str:
    return (area or pick(rng, AREA_CODES)) + (born or birth_date(rng).strftime("%Y%m%d")) + digits(rng, 3)


@negative("cn_id_bad_checksum", "18 digits, real area and date, wrong MOD 11-2 check character")
def _(rng):
    first17 = _id17(rng)
    right = cn_id_check(first17)
    return first17 + pick(rng, [c for c in "0123456789X" if c != right])


@negative("cn_id_bad_date", "impossible birth date (month 13, 30 February, day 32), right check character")
def _(rng):
    born = pick(rng, (f"{rng.randint(1950, 2000)}1{rng.randint(3, 9)}15", f"{rng.randint(1950, 2000)}0230", "19880432"))
    first17 = _id17(rng, born=born)
    return first17 + cn_id_check(first17)


@negative("cn_id_bad_province", "no such province code (10, 19, 20, 39, 48, 56, 68, 77, 88, 99), right check character")
def _(rng):
    first17 = pick(rng, ("10", "19", "20", "39", "48", "56", "68", "77", "88", "99")) + _id17(rng)[2:]
    return first17 + cn_id_check(first17)


@negative("cn_id_future_birth", "birth date in the future, right check character")
def _(rng):
    first17 = _id17(rng, born=f"{rng.randint(2031, 2099)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}")
    return first17 + cn_id_check(first17)


@negative("cn_id_before_1900", "documented: birth years before 1900 (cn_id.min_birth_year) are not counted")
def _(rng):
    first17 = _id17(rng, born=f"18{rng.randint(10, 99)}0{rng.randint(1, 9)}2{rng.randint(0, 8)}")
    return first17 + cn_id_check(first17)


@negative("order_no_18", "18-digit order number starting with the date (no province 20)")
def _(rng):
    return birth_date(rng, 2021, 2025).strftime("%Y%m%d") + digits(rng, 10)


@negative("uscc", "unified social credit code of a company (统一社会信用代码)")
def _(rng):
    return (
        f"91{pick(rng, AREA_CODES)}{pick(rng, ('MA', 'MA0', '7'))}{''.join(pick(rng, string.digits + 'ABCDEFGHJKLMNPQRTUWXY') for _ in range(7))}"[
            :17
        ]
        + pick(rng, "0123456789ABCDEFGHJKLMNPQRTUWXY")
    )


@negative("cn_id_in_longer_number", "a valid identity number inside a 20-digit reference: a longer number")
def _(rng):
    first17 = _id17(rng)
    return digits(rng, 1, "123456789") + first17 + cn_id_check(first17).replace("X", "7") + digits(rng, 1)


@negative("zto_waybill", "14-digit courier waybill number")
def _(rng):
    return pick(rng, ("75", "73", "78")) + digits(rng, 12)


@negative("card_luhn_fail", "real issuer prefix and length, Luhn check fails")
def _(rng):
    good = _card_digits(rng)
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    return format_card(rng, bad)


@negative("card_unknown_issuer", "Luhn-valid 16 digits with no issuer prefix (20xx, 29xx, 31xx, 33xx, 39xx, 7, 8, 9)")
def _(rng):
    prefix = pick(rng, ("20", "29", "31", "33", "39", "7", "8", "9"))
    return format_card(rng, luhn_complete(prefix + digits(rng, 15 - len(prefix))))


@negative(
    "card_wrong_length",
    "issuer prefix and Luhn, but a length the issuer does not issue (Visa 17, Amex 16, Mastercard 15)",
)
def _(rng):
    prefix, length = pick(rng, (("4", 17), ("37", 16), ("34", 16), ("53", 15), ("51", 14)))
    return luhn_complete(prefix + digits(rng, length - 1 - len(prefix)))


@negative("card_in_longer_group", "documented: a card-like group continued by another group (3 4111 1111 1111 1111)")
def _(rng):
    n = _card_digits(rng, "visa")
    return f"{rng.randint(1, 9)} {n[:4]} {n[4:8]} {n[8:12]} {n[12:]}"


@negative("card_in_numeric_array", "documented: a bare card-like number in a list of numbers of another length (code)")
def _(rng):
    return f"[{_card_digits(rng, 'visa')}, {rng.randint(2, 999)}, {rng.randint(1000, 99999)}]"


@negative("card_masked", "masked card number: only the last four digits")
def _(rng):
    return pick(rng, ("**** **** **** ", "XXXX-XXXX-XXXX-", "•••• ", "ending in ", "尾号")) + digits(rng, 4)


@negative("cn_id_masked", "masked identity number (birth date and sequence hidden)")
def _(rng):
    v = _id17(rng)
    return v[:4] + "*" * 10 + v[14:17] + cn_id_check(v)


@negative("imei", "15-digit Luhn-valid IMEI (TAC 35/86): no issuer has that prefix and length")
def _(rng):
    n = luhn_complete(pick(rng, ("35", "86")) + digits(rng, 12))
    return n if rng.random() < 0.6 else f"{n[:2]}-{n[2:8]}-{n[8:14]}-{n[14]}"


@negative("iccid", "20-digit SIM ICCID (89...)")
def _(rng):
    n = "8986" + digits(rng, 16)
    return " ".join(n[i : i + 4] for i in range(0, 20, 4))


@negative("usps_tracking", "22-digit USPS tracking number")
def _(rng):
    n = "9400" + digits(rng, 18)
    return " ".join(n[i : i + 4] for i in range(0, 22, 4))


@negative("ups_tracking", "UPS tracking number 1Z...")
def _(rng):
    return "1Z" + "".join(pick(rng, string.ascii_uppercase + string.digits) for _ in range(6)) + digits(rng, 10)


@negative("order_no_16", "16-digit order number starting with the date (no issuer 20xx)")
def _(rng):
    return birth_date(rng, 2021, 2025).strftime("%Y%m%d") + digits(rng, 8)


@negative("amazon_order", "Amazon order number 3-7-7")
def _(rng):
    return f"{rng.randint(111, 114)}-{digits(rng, 7)}-{digits(rng, 7)}"


@negative("invoice_no", "invoice number with letters and year")
def _(rng):
    return f"{pick(rng, ('INV', 'RE', 'FA', 'INV'))}-{rng.randint(2019, 2025)}-{digits(rng, 6)}"


@negative("cn_invoice_code", "12-digit Chinese invoice code (发票代码), no separators")
def _(rng):
    return "0" + digits(rng, 11)


@negative("epoch_seconds", "Unix time in seconds (10 digits)")
def _(rng):
    return str(rng.randint(1_500_000_000, 1_760_000_000))


@negative("epoch_millis", "Unix time in milliseconds (13 digits)")
def _(rng):
    return str(rng.randint(1_500_000_000_000, 1_760_000_000_000))


@negative("iso_timestamp", "ISO 8601 timestamp")
def _(rng):
    d = birth_date(rng, 2020, 2025)
    t = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return pick(rng, (f"{d}T{t}Z", f"{d}T{t}.{digits(rng, 3)}+08:00", f"{d} {t}", f"{d} {t}.{digits(rng, 6)}"))


@negative("date", "calendar date")
def _(rng):
    d = birth_date(rng, 1990, 2025)
    return pick(
        rng,
        (d.isoformat(), d.strftime("%d.%m.%Y"), d.strftime("%m/%d/%Y"), d.strftime("%Y/%m/%d"), d.strftime("%d %b %Y")),
    )


@negative("date_zh", "calendar date written in Chinese")
def _(rng):
    d = birth_date(rng, 1950, 2025)
    return pick(
        rng, (f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月", d.isoformat(), d.strftime("%Y.%m.%d"))
    )


@negative("clock_duration", "documented: a duration/time 00:00:02.1234567 is not a phone")
def _(rng):
    return f"00:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{digits(rng, 7)}"


@negative("time_of_day", "time of day hh:mm:ss")
def _(rng):
    return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"


@negative("price", "price with currency and thousands separators")
def _(rng):
    v = rng.randint(100, 9_999_999) / 100
    return pick(
        rng,
        (
            f"${v:,.2f}",
            f"¥{v:,.2f}",
            f"€ {v:,.2f}".replace(",", "X").replace(".", ",").replace("X", "."),
            f"£{v:,.2f}",
            f"{v:.2f} CNY",
            f"RMB {v:,.2f}",
        ),
    )


@negative("amount", "large amount with thousands separators or spaces")
def _(rng):
    v = rng.randint(1_000_000, 9_999_999_999)
    return pick(rng, (f"{v:,}", f"{v:,}".replace(",", " "), f"{v:,}".replace(",", "'")))


@negative("zip_plus4", "documented: US ZIP+4 code (02110-1301)")
def _(rng):
    return pick(rng, ("02110-1301", f"{digits(rng, 5)}-{digits(rng, 4)}"))


@negative("postcode", "postal code")
def _(rng):
    return pick(
        rng,
        (
            digits(rng, 6, "12345678"),
            f"D-{digits(rng, 5)}",
            "SW1A 1AA",
            f"{rng.randint(75001, 75020)}",
            f"{rng.randint(10115, 14199)}",
        ),
    )


@negative("coordinates", "latitude, longitude")
def _(rng):
    lat, lon = rng.uniform(-80, 80), rng.uniform(-179, 179)
    return pick(rng, (f"{lat:.4f}, {lon:.4f}", f"{lat:.6f},{lon:.6f}", f"{lat:.5f}, {lon:.5f}"))


@negative("reserved_email", "documented: example/test domains (RFC 2606/6761) identify nobody")
def _(rng):
    return f"{_local_en(rng)}@{pick(rng, ('example.com', 'example.org', 'example.net', 'mail.example.com', 'corp.test', 'host.invalid', 'EXAMPLE.COM'))}"


@negative("machine_email", "documented: machine senders (noreply@, no-reply@, git@, mailer-daemon@)")
def _(rng):
    return pick(
        rng,
        (
            f"noreply@{pick(rng, ('github.com', 'accounts.google.com', 'taobao.com', 'nordwind-logistik.de'))}",
            f"no-reply@{pick(rng, ('amazon.com', 'jd.com', 'acme-robotics.io'))}",
            "git@github.com:acme/robot-arm.git",
            "donotreply@bank-notice.cn",
            "MAILER-DAEMON@mx1.pinecrest.edu",
        ),
    )


@negative("file_at_2x", "documented: image file name with density suffix (icon@2x.png)")
def _(rng):
    return f"{pick(rng, ('icon', 'logo', 'avatar', 'hero-banner', 'btn_close'))}@{rng.randint(2, 3)}x.{pick(rng, ('png', 'jpg', 'webp', 'svg'))}"


@negative("matmul", "documented: Python matrix product a@b")
def _(rng):
    return pick(
        rng,
        (
            "A@sps.diags_array(C)",
            "L@D@L.conjugate()",
            "Q@K.transpose(-2, -1)",
            "x@w.T",
            "X @ W",
            "np.linalg.inv(A)@b",
            "x@self.weight",
            "h@self.proj.weight",
        ),
    )


@negative("npm_at_version", "package@version (npm, pip constraints)")
def _(rng):
    return pick(rng, ("lodash@4.17.21", "@babel/core@7.24.7", "react@18.2.0", "typescript@5.4.5", "express@4.19.2"))


@negative("css_color", "CSS colour code")
def _(rng):
    return "#" + "".join(pick(rng, "0123456789abcdef") for _ in range(pick(rng, (3, 6, 6))))


@negative("uuid", "UUID")
def _(rng):
    h = "".join(pick(rng, "0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{pick(rng, '89ab')}{h[17:20]}-{h[20:]}"


@negative("sha1", "SHA-1 / git commit hash")
def _(rng):
    return "".join(pick(rng, "0123456789abcdef") for _ in range(40))


@negative("sha256", "SHA-256 digest")
def _(rng):
    return "sha256:" * rng.randint(0, 1) + "".join(pick(rng, "0123456789abcdef") for _ in range(64))


@negative("md5", "MD5 digest")
def _(rng):
    return "".join(pick(rng, "0123456789abcdef") for _ in range(32))


@negative("isbn13", "ISBN-13")
def _(rng):
    return pick(rng, ("ISBN 978-3-16-148410-0", "978-0-306-40615-7", "ISBN 978-7-115-54608-1", "9787111213826"))


@negative("isbn10", "ISBN-10")
def _(rng):
    return pick(rng, ("0-306-40615-2", "ISBN 0-19-852663-6", "3-540-37823-5"))


@negative("doi", "DOI (documented example 10.1080/00949659508811627)")
def _(rng):
    return pick(
        rng,
        (
            "10.1080/00949659508811627",
            "doi:10.1038/nature12373",
            f"10.{rng.randint(1000, 9999)}/{digits(rng, 8)}",
            "https://doi.org/10.1145/3133956.3134093",
        ),
    )


@negative("version_single_digit_quad", "documented: dotted quad of single digits (2.5.5.2, 1.1.1.1, 8.8.4.4)")
def _(rng):
    return ".".join(str(rng.randint(1, 9)) for _ in range(4))


@negative("version_word_quad", "documented: a dotted quad after version/section words")
def _(rng):
    word = pick(rng, ("version", "Version:", "v", "firmware", "build", "Release", "section", "Rev."))
    return f"{word} {rng.randint(10, 99)}.{rng.randint(0, 20)}.{rng.randint(0, 40)}.{rng.randint(11, 250)}"


@negative("semver", "semantic version")
def _(rng):
    return (
        pick(rng, ("v", "", ""))
        + f"{rng.randint(0, 30)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        + pick(rng, ("", "", "-rc.1", "-beta.2", "+build.5"))
    )


@negative("windows_build", "four-part build number with a part over 255 (10.0.19045.3803)")
def _(rng):
    return pick(
        rng,
        (
            f"10.0.{rng.randint(17000, 26100)}.{rng.randint(256, 5000)}",
            f"{rng.randint(100, 130)}.0.{rng.randint(6000, 6999)}.{rng.randint(20, 250)}",
        ),
    )


@negative("five_part_version", "documented: five dotted parts (1.2.3.4.5) are a version")
def _(rng):
    return ".".join(str(rng.randint(0, 200)) for _ in range(5))


@negative("oid", "ASN.1 object identifier")
def _(rng):
    return pick(rng, ("1.3.6.1.4.1.311.21.8", "2.16.840.1.101.3.4.2.1", "1.2.840.113549.1.1.11", "1.3.6.1.5.5.7.3.1"))


@negative("loopback", "documented: loopback addresses")
def _(rng):
    return pick(
        rng,
        (
            "127.0.0.1",
            "127.0.1.1",
            "127.0.0.53",
            f"127.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        ),
    )


@negative("loopback_v6", "documented: the IPv6 loopback address")
def _(rng):
    return pick(rng, ("::1", "::1", "0:0:0:0:0:0:0:1"))


@negative("multicast", "documented: multicast addresses")
def _(rng):
    return pick(
        rng,
        (
            "224.0.0.251",
            "239.255.255.250",
            "224.0.0.22",
            "ff02::1",
            "ff02::fb",
            f"239.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        ),
    )


@negative("network_address", "documented: networks (x.y.z.0, 2001:db8::), not hosts")
def _(rng):
    return pick(
        rng,
        (
            f"192.168.{rng.randint(0, 255)}.0",
            f"10.{rng.randint(0, 255)}.0.0",
            f"172.{rng.randint(16, 31)}.0.0/12",
            "2001:db8::/32",
            "2a00:1450::/32",
            "::/0",
            "0.0.0.0/0",
            f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24",
        ),
    )


@negative("unspecified", "documented: unspecified address")
def _(rng):
    return "0.0.0.0"


@negative("unspecified_v6", "documented: the unspecified IPv6 address")
def _(rng):
    return pick(rng, ("::", "::", "0:0:0:0:0:0:0:0"))


@negative("netmask_broadcast", "netmask or limited broadcast (reserved 255.255.255.255, x.y.z.0 masks)")
def _(rng):
    return pick(rng, ("255.255.255.0", "255.255.0.0", "255.255.255.255", "255.255.240.0", "255.255.252.0"))


@negative("ipv6_like_code", "documented: IPv6-like code (f32::add, a[1::2], std::vector)")
def _(rng):
    return pick(
        rng,
        (
            "f32::add",
            "a[1::2]",
            "std::vector<int>",
            "u64::MAX",
            "arr[::2]",
            "Vec::<u8>::with_capacity(1024)",
            "x[:, ::-1]",
            "f64::EPSILON",
            "Foo::Bar::baz()",
            "dead::beef",
        ),
    )


@negative("mac_address", "MAC address")
def _(rng):
    octets = [f"{rng.randint(0, 255):02x}" for _ in range(6)]
    return "-".join(octets).upper() if rng.random() < 0.3 else ":".join(octets)


@negative("bare_10_digit_phone", "documented: a bare 10-digit run without separators is not a phone", personal=True)
def _(rng):
    return pick(rng, NANP_AREAS) + digits(rng, 7, "23456789")


@negative("local_7_digit", "documented: a seven-digit local number is not a phone", personal=True)
def _(rng):
    return f"555-01{digits(rng, 2)}" if rng.random() < 0.5 else f"{digits(rng, 3, '23456789')}-{digits(rng, 4)}"


@negative("int_max", "documented: +2147483647 and friends are integers")
def _(rng):
    return pick(rng, ("+2147483647", "+4294967296", "+10011010010", "+9223372036854775807"))


@negative(
    "nanp_all_spaces",
    "documented (rules/pii.yaml): the all-space form 415 555 0132 is read as a list of numbers",
    personal=True,
)
def _(rng):
    return f"{pick(rng, NANP_AREAS)} {digits(rng, 3, '23456789')} {digits(rng, 4)}"


@negative("fullwidth_mobile", "documented: full-width digits (１３８…) are not read", personal=True)
def _(rng):
    return _mobile_digits(rng).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


@negative("mobile_in_numeric_array", "documented: an 11-digit number in a list of numbers of another length (code)")
def _(rng):
    return f"({rng.randint(1_000_000, 99_999_999)}, {_mobile_digits(rng)})"


@negative("number_in_decimal", "documented: digits of a decimal (0.13812345678, 3.14159265358979)")
def _(rng):
    return pick(
        rng, (f"0.{_mobile_digits(rng)}", "3.14159265358979", f"{_mobile_digits(rng)}.5", f"0.{_card_digits(rng)}")
    )


@negative("formula_coefficient", "documented: a coefficient in a formula (16656250000*p**2)")
def _(rng):
    return pick(
        rng, (f"{_mobile_digits(rng)}*p**2", f"{digits(rng, 11, '123456789')}*x + 1", f"{_mobile_digits(rng)}^2")
    )


@negative("longer_mobile_like", "a 13-15 digit number starting with a mobile prefix")
def _(rng):
    return _mobile_digits(rng) + digits(rng, rng.randint(2, 4))


@negative("mobile_like_bad_prefix", "11 digits starting 10/11/12: no mobile network")
def _(rng):
    return pick(rng, ("10", "11", "12")) + digits(rng, 9)


@negative("student_id", "10-digit student/staff number")
def _(rng):
    return f"{rng.randint(2015, 2024)}{digits(rng, 6)}"


@negative("cas_number", "CAS registry number")
def _(rng):
    return pick(rng, ("7732-18-5", "50-00-0", "64-17-5", "7647-14-5", "1310-73-2"))


@negative("product_code", "part number: letters joined by hyphen to phone-like digit groups")
def _(rng):
    return f"{pick(rng, ('HX', 'SKU', 'PN', 'ART', 'REF'))}-0{digits(rng, 3)}-{digits(rng, 4)}-{digits(rng, 3)}"


@negative("dotted_reference", "documented: dotted reference 03.08.16.0001.01")
def _(rng):
    return (
        f"0{rng.randint(1, 9)}.{rng.randint(10, 12):02d}.{rng.randint(10, 28)}.00{digits(rng, 2)}.0{rng.randint(1, 9)}"
    )


@negative("hex_address", "memory address")
def _(rng):
    return "0x" + "".join(pick(rng, "0123456789abcdef") for _ in range(12))


@negative("sci_notation", "number in scientific notation")
def _(rng):
    return pick(
        rng, ("6.02214076e23", "1.380649e-23", "6.62607015E-34", f"{rng.uniform(1, 9):.10f}e+{rng.randint(10, 30)}")
    )


@negative("aws_arn", "AWS ARN with account id after ::")
def _(rng):
    return f"arn:aws:iam::{digits(rng, 12)}:role/{pick(rng, ('deploy', 'ci-runner', 'lambda-exec'))}"


@negative("user_agent", "browser user agent with four-part versions")
def _(rng):
    return f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{rng.randint(110, 130)}.0.{rng.randint(5000, 6999)}.{rng.randint(20, 250)} Safari/537.36"


@negative("resolution", "screen resolution / dimensions")
def _(rng):
    return pick(rng, ("1920x1080", "3840×2160", "2560 x 1440", "1080*2400"))


@negative("issn", "ISSN")
def _(rng):
    return pick(rng, ("ISSN 0378-5955", "1476-4687", "0028-0836"))


@negative("pmid", "PubMed id")
def _(rng):
    return f"PMID: {rng.randint(10_000_000, 39_999_999)}"


@negative("arxiv", "arXiv identifier")
def _(rng):
    return f"arXiv:{rng.randint(1501, 2412)}.{digits(rng, 5)}"


@negative("page_range", "page or year range")
def _(rng):
    a = rng.randint(100, 9000)
    return pick(
        rng,
        (f"pp. {a}-{a + rng.randint(5, 30)}", f"{rng.randint(1980, 2015)}-{rng.randint(2016, 2025)}", f"{a}–{a + 12}"),
    )


@negative("percent", "percentage")
def _(rng):
    return f"{rng.uniform(0, 100):.2f}%"


@negative("icp_beian", "Chinese ICP/public security filing number (京公网安备 11010502030143号)")
def _(rng):
    return pick(
        rng,
        (
            f"京ICP备{digits(rng, 8, '123456789')}号-1",
            f"京公网安备 1101{digits(rng, 10)}号",
            f"粤ICP备{digits(rng, 8, '123456789')}号",
        ),
    )


@negative("license_key", "software licence key")
def _(rng):
    return "-".join("".join(pick(rng, string.ascii_uppercase + string.digits) for _ in range(5)) for _ in range(5))


@negative("octet_overflow", "dotted quad with an octet over 255")
def _(rng):
    return f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 255)}"


@negative("bank_sort_account", "UK sort code and 8-digit account number")
def _(rng):
    return f"sort code {digits(rng, 2)}-{digits(rng, 2)}-{digits(rng, 2)}, account {digits(rng, 8)}"


@negative("git_short_hash", "short commit hash")
def _(rng):
    return "".join(pick(rng, "0123456789abcdef") for _ in range(7))


@negative("port_pair", "host:port on localhost")
def _(rng):
    return f"localhost:{rng.randint(1024, 65535)}"


@negative("excel_range", "spreadsheet range")
def _(rng):
    return f"{pick(rng, 'ABCDEFG')}{rng.randint(1, 99)}:{pick(rng, 'HIJKLM')}{rng.randint(100, 9999)}"


@negative("ssh_fingerprint", "SSH key fingerprint (MD5 hex pairs)")
def _(rng):
    return ":".join(f"{rng.randint(0, 255):02x}" for _ in range(16))


@negative("big_integer", "large integer constant in code")
def _(rng):
    return pick(
        rng,
        ("18446744073709551615", "9007199254740991", "2305843009213693951", "340282366920938463463374607431768211455"),
    )


@negative("crypto_amount", "amount with many decimals")
def _(rng):
    return f"{rng.randint(1, 9)}.{digits(rng, 10)} BTC"


@negative("url_credentials", "URL userinfo user:password@host: a credential, not an e-mail address")
def _(rng):
    return pick(
        rng,
        (
            f"postgres://app:{pick(rng, ('hunter2', 's3cr3t', 'Pa55w0rd'))}@db01.prod.acme-robotics.io:5432/orders",
            "amqp://guest:guest@rabbitmq.default.svc.cluster.local:5672/",
            f"https://ci-bot:{pick(rng, ('ghp_', 'glpat-'))}{''.join(pick(rng, string.ascii_letters) for _ in range(12))}@git.nordwind-logistik.de/infra.git",
            "redis://:changeme@cache.internal.lan:6379/0",
            "ftp://anonymous:guest@ftp.pinecrest.edu/pub/",
        ),
    )


@negative("kotlin_this", "Kotlin qualified this/label (this@MainActivity.window): code, not an address")
def _(rng):
    return pick(
        rng,
        ("this@MainActivity.window", "this@SettingsFragment.context", "this@LoginActivity.finish", "this@Outer.name"),
    )


@negative(
    "spec_outline_number", "deep section number opening a heading of a specification (3GPP style)", contextual=True
)
def _(rng):
    number = f"{rng.randint(4, 9)}.{rng.randint(1, 12)}.{rng.randint(1, 30)}.{rng.randint(10, 40)}"
    return number + " " + pick(rng, ("PDU session establishment", "Security requirements", "Timers", "Cause values"))


@negative("opening_hours", "opening hours with dotted or dashed times")
def _(rng):
    return pick(rng, ("Mo-Fr 09.00-18.00 Uhr", "Mo–Fr 08:30–17:00", "周一至周五 09:00-18:00", "Sa 10.00-14.00"))


@negative("business_licence_15", "15-digit business registration number (营业执照注册号)")
def _(rng):
    return pick(rng, AREA_CODES) + digits(rng, 9)


@negative("pci_address", "PCI bus address (0000:03:00.0)")
def _(rng):
    return f"0000:{rng.randint(0, 255):02x}:{rng.randint(0, 31):02x}.{rng.randint(0, 7)}"


@negative(
    "mobile_in_numeric_csv_row",
    "documented: a bare mobile in a comma-separated row of numbers only is read as a numeric array",
    contextual=True,
    personal=True,
)
def _(rng):
    return _mobile_digits(rng)


def _ean13(body12: str) -> str:
    return body12 + str(-sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body12)) % 10)


@negative("ean13", "EAN-13 barcode (German prefix 400-440): 13 digits, EAN check digit, not a Visa card")
def _(rng):
    return "EAN " * rng.randint(0, 1) + _ean13(str(rng.randint(400, 440)) + digits(rng, 9))


@negative("snowflake_url", "status/message ids (18 digits) in Twitter and Discord links")
def _(rng):
    ids = [digits(rng, 18, "3456789") for _ in range(3)]
    return pick(
        rng,
        (
            f"https://twitter.com/{pick(rng, ('nasa', 'acme', 'jdoe'))}/status/{ids[0]}",
            f"https://discord.com/channels/{ids[0]}/{ids[1]}/{ids[2]}",
        ),
    )


# ---------------------------------------------------------------------------
# Plain text (not labelled)
# ---------------------------------------------------------------------------

COMPANIES = "Nordwind Logistik GmbH|Acme Robotics Inc.|Blue Harbor Ltd|Kestrel Analytics|Lumen Health|Fjordline Tech AS|Pinecrest Dental".split(
    "|"
)
COMPANIES_ZH = (
    "华信科技有限公司|中科数据|天云网络|蓝海贸易有限公司|北京智联信息技术有限公司|深圳市星河电子有限公司".split("|")
)
PRODUCTS = "ThinkPad X1 Carbon|mechanical keyboard|Sony A7 III body|road bike (54cm)|standing desk|Nintendo Switch OLED|espresso grinder".split(
    "|"
)
PRODUCTS_ZH = "小米手机|二手MacBook Air|婴儿推车|iPad 第九代|山地自行车|空气净化器|考研资料全套".split("|")
STREETS = "221B Baker Street|14 Elm Road|Friedrichstraße 43|1600 Amphitheatre Pkwy|12 rue de Rivoli|Kungsgatan 7".split(
    "|"
)
CITIES = "London|Berlin|San Francisco|Paris|Stockholm|Toronto|Sydney|Zürich".split("|")
ADDR_ZH = "北京市朝阳区建国路88号|上海市浦东新区世纪大道100号|广州市天河区体育西路191号|深圳市南山区科技园南区|杭州市西湖区文三路477号|成都市武侯区人民南路四段".split(
    "|"
)
BANKS_ZH = "工商银行|建设银行|农业银行|招商银行|中国银行|交通银行".split("|")
TOPICS = "Router keeps dropping connection|Selling my old gear|Help with VPN setup|Anyone else locked out?|Looking for a flatmate|Lost wallet near the station".split(
    "|"
)
TITLES = "Senior Software Engineer|Head of Sales|Customer Success Manager|Data Protection Officer|Logistics Coordinator".split(
    "|"
)

TEXT_FIELDS: dict[str, Callable[[random.Random], str]] = {
    "name_en": name_en,
    "name_zh": name_zh,
    "first": lambda r: pick(r, FIRST_EN),
    "handle": lambda r: (
        pick(r, ("nightowl", "tinkerer", "bytewise", "lao_wang", "moonpie", "k3str3l")) + str(r.randint(1, 99))
    ),
    "company": lambda r: pick(r, COMPANIES),
    "company_zh": lambda r: pick(r, COMPANIES_ZH),
    "product": lambda r: pick(r, PRODUCTS),
    "product_zh": lambda r: pick(r, PRODUCTS_ZH),
    "street": lambda r: pick(r, STREETS),
    "city": lambda r: pick(r, CITIES),
    "addr_zh": lambda r: pick(r, ADDR_ZH),
    "bank_zh": lambda r: pick(r, BANKS_ZH),
    "topic": lambda r: pick(r, TOPICS),
    "topic_zh": lambda r: pick(
        r, ("宽带老是掉线怎么办", "出闲置", "求助：VPN连不上", "寻物启事", "合租找室友", "快递丢件投诉")
    ),
    "vat_de": lambda r: "DE" + digits(r, 9, "123456789"),
    "title": lambda r: pick(r, TITLES),
    "int": lambda r: str(r.randint(2, 99999)),
    "small": lambda r: str(r.randint(1, 99)),
    "port": lambda r: str(r.randint(1024, 65535)),
    "year": lambda r: str(r.randint(2015, 2025)),
    "expiry": lambda r: f"{r.randint(1, 12):02d}/{r.randint(25, 31)}",
    "decimal": lambda r: f"{r.randint(1, 99999)}.{r.randint(0, 99):02d}",
    "status": lambda r: pick(r, ("200", "200", "304", "404", "500", "302")),
    "level": lambda r: pick(r, ("info", "info", "warn", "error", "debug")),
    "clf_ts": lambda r: (
        f"{r.randint(10, 28)}/{pick(r, ('Jan', 'Mar', 'Jun', 'Oct'))}/2024:{r.randint(10, 23)}:{r.randint(10, 59)}:{r.randint(10, 59)} +{pick(r, ('0000', '0800', '0200'))}"
    ),
    "path": lambda r: pick(r, ("/api/v1/login", "/checkout", "/static/app.js", "/user/profile", "/api/v2/orders", "/")),
    "method": lambda r: pick(r, ("GET", "GET", "POST", "PUT")),
}


assert not (set(TEXT_FIELDS) & set(NEGATIVES) or set(TEXT_FIELDS) & set(PII_FIELDS) or set(NEGATIVES) & set(PII_FIELDS))


def _tel(value: str) -> str:
    value = value.replace("(0)", "")
    plus = value.startswith("+") or value.startswith("00")
    number = "".join(c for c in value if c.isdigit())
    return "+" + number.removeprefix("00") if plus else number


FILTERS: dict[str, Callable[[str], str]] = {
    "tel": _tel,
    "digits": lambda v: "".join(c for c in v if c.isdigit()),
    "upper": str.upper,
    "nbsp": lambda v: v.replace(" ", "\u00a0"),  # no-break spaces, as word processors and web pages keep them
    "nbsp_entity": lambda v: v.replace(" ", "&nbsp;"),
}


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

_SLOT = re.compile(r"\{\{(\w+)(?:#(\w+))?(?:\|(\w+))?\}\}")


class Planter:
    """Fills template slots from one ``random.Random``; ``{{neg}}`` slots take every negative kind in turn
    (in an order shuffled afresh each cycle), so that each kind is planted about as often as the others."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._kinds: list[str] = []

    def next_negative(self) -> str:
        if not self._kinds:
            self._kinds = sorted(set(NEGATIVES) - CONTEXTUAL)
            self.rng.shuffle(self._kinds)
        return self._kinds.pop()

    def value(self, name: str) -> tuple[str | None, str | None, str]:
        """(pii type, negative kind, value) of a slot."""
        if name == "neg":
            name = self.next_negative()
        if name in PII_FIELDS:
            pii_type, gen = PII_FIELDS[name]
            return pii_type, None, gen(self.rng)
        if name in NEGATIVES:
            return None, name, NEGATIVES[name][1](self.rng)
        return None, None, TEXT_FIELDS[name](self.rng)

    def render(self, family: str, template: str, source: str) -> Doc:
        parts: list[str] = []
        planted: list[tuple[int, int, str]] = []
        negatives: list[tuple[int, int, str]] = []
        memo: dict[tuple[str, str], tuple[str | None, str | None, str]] = {}
        size = last = 0
        for m in _SLOT.finditer(source):
            literal = source[last : m.start()]
            parts.append(literal)
            size += len(literal)
            name, key, filt = m.groups()
            if key and (name, key) in memo:
                pii_type, kind, value = memo[(name, key)]
            else:
                pii_type, kind, value = self.value(name)
                if key:
                    memo[(name, key)] = (pii_type, kind, value)
            if filt:
                value = FILTERS[filt](value)
            if pii_type:
                planted.append((size, size + len(value), pii_type))
            elif kind:
                negatives.append((size, size + len(value), kind))
            parts.append(value)
            size += len(value)
            last = m.end()
        parts.append(source[last:])
        return Doc(family, template, "".join(parts), tuple(planted), tuple(negatives))


def some(rng: random.Random, options: list[str], lo: int, hi: int | None = None) -> list[str]:
    """Between ``lo`` and ``hi`` of ``options``, in their order."""
    k = rng.randint(lo, hi or len(options))
    chosen = sorted(rng.sample(range(len(options)), min(k, len(options))))
    return [options[i] for i in chosen]


# ---------------------------------------------------------------------------
# Templates: each returns the source of one document
# ---------------------------------------------------------------------------


def forum_en(rng):
    paras = [
        "I tried again this morning from {{ipv4_public}} and the router at {{ipv4_private}} kept dropping the connection. "
        "Firmware says {{version_word_quad}}, the changelog talks about {{semver}} though.",
        "whatismyip shows {{ipv6}} and the gateway is {{ipv6_linklocal}} on the LAN side. Pinging {{loopback}} works, obviously.",
        "If anyone wants the full logs, mail me at {{email}} or ring {{phone}} after 6pm (UK time).",
        "Selling my old {{product}} for {{price}}. IMEI {{imei}}, receipt dated {{date}}. Text {{phone_na}} or WhatsApp {{phone_intl}}.",
        "The crash points at `{{ipv6_like_code}}`, which is Rust, not an address. Commit {{sha1}}.",
        "The refund went back to my card {{card}} only after I quoted {{invoice_no}} twice.",
        "Fixed it by pinning {{npm_at_version}}; background in {{doi}} ({{page_range}}).",
        "PS: {{reserved_email}} in the docs isn't me. Real address: _{{email}}_",
        "traceroute stalls at {{ipv4_public}}, then {{neg}} shows up in the config dump, weird.",
        "Support never answered. Contact: {{email}}. My firewall already blocked {{ipv4_public}}.",
        "Office line is {{phone_na}} ext. {{small}}, or {{phone_intl}} x{{int}}.",
        "My old number {{nanp_all_spaces}} is dead, use {{phone_na}} instead.",
        "Ref {{neg}} / {{neg}}",
    ]
    body = "\n\n".join(some(rng, paras, 3, 6))
    return (
        "Re: {{topic}}\n\nPosted by {{handle}} » {{date}} {{time_of_day}}\n\n"
        + body
        + "\n\n-- \n{{name_en}} | {{email}}\n"
    )


def forum_zh(rng):
    paras = [
        "求助：宽带又断了，路由器地址 {{ipv4_private}}，外网IP是{{ipv4_public}}，光猫固件 {{version_word_quad}}。",
        "出二手{{product_zh}}，价格{{price}}，有意者加微信或打电话{{mobile}}，邮箱{{email_cn}}。",
        "本人{{name_zh}}，身份证号{{cn_id}}，代购请联系{{mobile}}（同微信）。",
        "订单号{{order_no_18}}，快递单号{{zto_waybill}}，三天了一直不更新，客服电话{{phone_cn_land}}打不通。",
        "IPv6地址显示 {{ipv6}}，运营商是电信，手机号 {{mobile}} 绑定的宽带。",
        "学号{{student_id}}，邮箱{{email}}，有问题私信。",
        "发邮件到{{email_cn}}联系我，或者打{{phone_cn_land}}。",
        "转账到卡号 {{card_unionpay}}（{{bank_zh}}），户名{{name_zh}}，金额{{price}}。",
        "顺便问下 {{neg}} 是什么意思？还有 {{neg}}。",
        "别打{{fullwidth_mobile}}，那是旧号。",
    ]
    body = "\n".join(some(rng, paras, 3, 6))
    return "【{{topic_zh}}】\n发表于 {{date_zh}} {{time_of_day}} 来自 {{ipv4_public}}\n\n" + body + "\n"


def cv_en(rng):
    lines = [
        "{{name_en}}",
        "{{street}} · {{city}} {{postcode}}",
        "Phone: {{phone}} | Email: {{email}} | github.com/{{handle}}",
        "",
        "EXPERIENCE",
        "{{title}}, {{company}} ({{page_range}})",
        "- Cut p99 latency by {{percent}} across {{int}} services; migrated to {{npm_at_version}}.",
        "- Ran the on-call rota; paged via {{phone_intl}}.",
        "- Published {{doi}}; {{isbn13}}.",
        "",
        "EDUCATION",
        "MSc Computer Science, {{city}} ({{year}})",
        "",
        "REFERENCES",
        "{{name_en}}, {{title}} — {{email_sub}}, {{phone}}",
        "",
        "Certificates: {{neg}}; thesis ref. {{neg}}",
    ]
    if rng.random() < 0.5:
        lines.insert(3, "Alt. email: {{email_plus}} · Mobile (China): {{mobile}}")
    return "\n".join(lines) + "\n"


def cv_zh(rng):
    idline = "身份证号：{{cn_id_spaced}}" if rng.random() < 0.25 else "身份证号：{{cn_id}}"
    lines = [
        "个人简历",
        "姓名：{{name_zh}}　　性别：" + pick(rng, ("男", "女")) + "　　出生日期：{{date_zh}}",
        idline,
        "手机：{{mobile}}　　邮箱：{{email_cn}}",
        "现居地址：{{addr_zh}}　邮编：{{postcode}}",
        "",
        "工作经历",
        "{{page_range}}　{{company_zh}}　高级工程师",
        "负责{{int}}台服务器运维，内网网段 {{network_address}}，跳板机 {{ipv4_private}}。",
        "统一社会信用代码：{{uscc}}",
        "",
        "教育背景",
        "{{year}}年毕业于清华大学，学号{{student_id}}",
        "",
        "紧急联系人：{{name_zh}}　{{mobile}}",
        "其他：{{neg}}",
    ]
    if rng.random() < 0.5:
        lines.insert(4, "座机：{{phone_cn_land}}　QQ邮箱：{{email_cn}}")
    return "\n".join(lines) + "\n"


def order_en(rng):
    lines = [
        "Order confirmation #{{order_no_16}}",
        "Placed {{iso_timestamp}} from IP {{ipv4}}",
        "",
        "Ship to: {{name_en}}, {{street}}, {{city}} {{zip_plus4}}",
        "Phone: {{phone}}",
        "Email: {{email}}",
        "",
        "Items",
        "  1 x {{product}}  {{price}}",
        "  2 x USB-C cable  {{price}}",
        "Payment: card {{card_masked}} (internal copy: {{card}} exp {{expiry}})",
        "Tracking: {{ups_tracking}} · {{usps_tracking}}",
        "Amazon ref {{amazon_order}} · invoice {{invoice_no}}",
        "",
        "Questions? Reply to {{machine_email}} or write to {{email_sub}}.",
        "Reference: {{neg}}",
    ]
    return "\n".join(lines) + "\n"


def order_zh(rng):
    lines = [
        "【订单确认】",
        "订单编号：{{order_no_18}}",
        "下单时间：{{iso_timestamp}}",
        "收货人：{{name_zh}}　手机：{{mobile}}",
        "收货地址：{{addr_zh}}",
        "实名认证（跨境清关）：{{cn_id}}",
        "支付方式：银行卡 {{card_unionpay}}",
        "实付金额：{{price}}",
        "发票代码：{{cn_invoice_code}}　发票号码：{{int}}",
        "商家统一社会信用代码：{{uscc}}",
        "客服电话：{{phone_cn_land}}　物流单号：{{zto_waybill}}",
        "备用手机：{{mobile}}　下单IP：{{ip}}",
        "备注：{{neg}}",
    ]
    return "\n".join(lines) + "\n"


def ticket_en(rng):
    notes = [
        "Customer reports that logins from {{ipv4}} fail while {{ipv6}} works. Session {{uuid}}, request {{sha1}}.",
        "Card {{card}} was charged twice ({{price}} at {{iso_timestamp}}); refund ref {{invoice_no}}.",
        "Call-back number: {{phone}} (alt {{phone_nat}}).",
        "Their VPN hands out {{ipv4_private}}; DNS points at {{version_single_digit_quad}} — told them that's not a host.",
        "Escalated by {{reserved_email}}; CC {{email}}.",
        "Device IMEI {{imei}}, SIM {{iccid}}, MAC {{mac_address}}.",
        "Fraud team found the dump line `{{card_plain}}|{{expiry}}|{{small}}|{{name_en}}` on a paste site.",
        "Stack trace mentions {{ipv6_like_code}} and {{hex_address}}.",
        "Customer pasted {{neg}} and {{neg}} as 'proof'.",
    ]
    return (
        "Ticket {{invoice_no}} — {{topic}}\nRequester: {{name_en}} <{{email}}>\nPhone: {{phone}}\nOpened: {{iso_timestamp}}\n\n"
        + "\n".join(some(rng, notes, 3, 6))
        + "\n"
    )


def ticket_zh(rng):
    notes = [
        "用户反馈：从 {{ipv4_public}} 登录失败，从 {{ipv6}} 登录正常。会话ID {{uuid}}。",
        "用户手机号 {{mobile}}，身份证 {{cn_id}}，已核实。",
        "重复扣款，卡号 {{card}}，金额{{price}}，时间{{iso_timestamp}}。",
        "联系邮箱：{{email_cn}}，座机：{{phone_cn_land}}。",
        "内网地址 {{ipv4_private}}，网关 {{network_address}}，子网掩码 {{netmask_broadcast}}。",
        "备注：{{neg}}，{{neg}}。",
    ]
    return "工单号：{{order_no_16}}\n提交人：{{name_zh}}\n\n" + "\n".join(some(rng, notes, 3, 5)) + "\n"


def log_kv(rng):
    lines = [
        '{{iso_timestamp}} level={{level}} msg="login ok" user={{email}} src={{ipv4}}:{{port}} session={{uuid}}',
        '{{iso_timestamp}} level=info msg="sms sent" to={{mobile_plain}} template=SMS_{{int}} ts={{epoch_millis}}',
        '{{iso_timestamp}} level=info msg="payment" card={{card_plain}} amount={{int}} order={{order_no_16}}',
        '{{iso_timestamp}} level=warn msg="slow upstream" client={{ipv6}} upstream={{loopback}}:8080 trace={{sha256}}',
        '{{iso_timestamp}} level=warn msg="slow upstream" client={{ipv4}} upstream=[{{loopback_v6}}]:8080',
        "{{iso_timestamp}} level=debug listen=[{{unspecified_v6}}]:443 peer={{ipv6_mapped}}",
        "{{iso_timestamp}} level=info msg=kyc id_no={{cn_id}} result=pass elapsed={{clock_duration}}",
        '{{iso_timestamp}} level=info msg="otp" phone="{{phone_intl}}" country=DE',
        "{{iso_timestamp}} level=debug bind={{unspecified}}:443 mdns={{multicast}} mask={{netmask_broadcast}}",
        '{{iso_timestamp}} level=error msg="auth failed" user={{reserved_email}} ip={{ipv4_public}} ua="{{user_agent}}"',
        "{{iso_timestamp}} level=info peer=[{{ipv6_short}}]:{{port}} xff={{ipv4_public}},{{ipv4_private}}",
        "{{iso_timestamp}} level=info msg=callback mobile=+86{{mobile_plain}} build={{windows_build}} v={{semver}}",
        "{{iso_timestamp}} level=info msg=\"sms delivered\" to={{phone_e164}} sid=SM{{md5}}",
        "{{iso_timestamp}} level=debug values={{neg}} other={{neg}}",
    ]
    return "\n".join(some(rng, lines, 4, 8)) + "\n"


def log_json(rng):
    lines = [
        '{"ts":"{{iso_timestamp}}","level":"info","event":"signup","email":"{{email}}","ip":"{{ip}}","uid":{{int}}}',
        '{"ts":{{epoch_millis}},"event":"sms","mobile":{{mobile_plain}},"code":"{{int}}"}',
        '{"event":"kyc","id_card":"{{cn_id}}","name":"{{name_zh}}","score":0.{{int}}}',
        '{"event":"charge","card":"{{card}}","amount":{{int}},"currency":"CNY","order_id":"{{order_no_18}}"}',
        '{"event":"callback","phone":"{{phone}}","remote":"{{ipv6}}","trace_id":"{{uuid}}"}',
        '{"event":"twilio","to":"{{phone_e164}}","from":"{{phone_e164}}","status":"delivered"}',
        '{"event":"geo","ip":"{{ipv4_public}}","loc":[{{coordinates}}],"ua":"{{user_agent}}"}',
        '{"event":"bind","addr":"{{unspecified}}","addr6":"{{unspecified_v6}}","dns":["{{ipv4_public}}","{{version_single_digit_quad}}"]}',
        '{"event":"card_token","card_no":{{card_plain}},"bin":{{int}},"ts":{{epoch_seconds}}}',
        '{"event":"misc","a":"{{neg}}","b":"{{neg}}"}',
    ]
    return "\n".join(some(rng, lines, 4, 7)) + "\n"


def log_nginx(rng):
    lines = []
    for _ in range(rng.randint(3, 6)):
        client = pick(rng, ("{{ipv4_public}}", "{{ipv4_private}}", "{{ipv6}}", "{{ipv4_public}}"))
        user = "{{email}}" if rng.random() < 0.2 else "-"
        query = pick(
            rng, ("id={{uuid}}", "id={{uuid}}", "mobile={{mobile_plain}}&code={{int}}", "email={{email_urlencoded}}")
        )
        tail = ' "{{ipv4_public}}, {{ipv4_private}}"' if rng.random() < 0.3 else ""
        lines.append(
            client
            + " - "
            + user
            + ' [{{clf_ts}}] "{{method}} {{path}}?'
            + query
            + ' HTTP/1.1" {{status}} {{int}} "-" "{{user_agent}}"'
            + tail
        )
    return "\n".join(lines) + "\n"


def csv_zh(rng):
    rows = ["序号,姓名,身份证号,手机号,注册日期,消费金额,邮箱,备注"]
    for i in range(rng.randint(3, 7)):
        rows.append(
            str(i + 1) + ',{{name_zh}},{{cn_id}},{{mobile_plain}},{{date_zh}},{{decimal}},{{email_cn}},"{{neg}}"'
        )
    return "\n".join(rows) + "\n"


def csv_en(rng):
    rows = ["customer_id,full_name,email,phone,card_number,last_order,total,last_ip,note"]
    for _ in range(rng.randint(3, 6)):
        rows.append('{{int}},"{{name_en}}",{{email}},{{phone}},{{card_plain}},{{date}},{{decimal}},{{ip}},"{{neg}}"')
    return "\n".join(rows) + "\n"


def tsv_export(rng):
    rows = ["uid\t姓名\t手机\t身份证\t银行卡\t积分\t最后登录"]
    for _ in range(rng.randint(3, 6)):
        quote = "'" if rng.random() < 0.3 else ""  # Excel's text marker, kept by many exports
        rows.append(
            "{{int}}\t{{name_zh}}\t{{mobile_plain}}\t"
            + quote
            + "{{cn_id}}\t"
            + quote
            + "{{card_plain}}\t{{int}}\t{{epoch_seconds}}"
        )
    return "\n".join(rows) + "\n"


def csv_numeric(rng):
    """Numbers only: by the detector's documented decision, a list of numbers (its mobiles are negatives)."""
    rows = ["member_id,mobile,points,balance"]
    for _ in range(rng.randint(3, 6)):
        rows.append("{{int}},{{mobile_in_numeric_csv_row}},{{int}},{{decimal}}")
    return "\n".join(rows) + "\n"


def tsv_points(rng):
    """A numeric export (ids, mobiles, points, balances): a record, not a numeric array."""
    rows = ["member_id\tmobile\tpoints\tbalance"]
    for _ in range(rng.randint(3, 6)):
        rows.append("{{int}}\t{{mobile_plain}}\t{{int}}\t{{decimal}}")
    return "\n".join(rows) + "\n"


def html_page(rng):
    blocks = [
        '<p>Contact: <a href="mailto:{{email#e}}">{{email#e}}</a></p>',
        '<a class="btn" href="mailto:{{email}}?subject=Bewerbung&amp;cc={{email}}">Apply</a>',
        '<p>Call us: <a href="tel:{{phone_intl#p|tel}}">{{phone_intl#p}}</a></p>',
        '<input type="email" name="email" value="{{email}}">',
        '<p class="tel">Tel.&nbsp;{{phone_intl|nbsp_entity}}</p>',
        '<input type="tel" name="mobile" value="{{mobile}}">',
        '<input type="hidden" name="client_ip" value="{{ip}}">',
        '<input type="text" name="idcard" value="{{cn_id}}" maxlength="18">',
        '<div class="vcard" data-phone="{{phone}}" data-uid="{{uuid}}" style="color: {{css_color}}">{{name_en}}</div>',
        '<img src="/static/{{file_at_2x}}" alt="logo" width="{{small}}">',
        '<a href="tel:{{mobile_plain#m}}">{{mobile_plain#m}}</a>',
        '<meta name="generator" content="CMS {{semver}}"><!-- build {{sha1}} -->',
        '<td class="card">{{card}}</td><td>{{expiry}}</td>',
        '<span data-ip="{{ipv6}}" data-ts="{{epoch_millis}}"></span>',
        '<footer>Mail <a href="mailto:{{reserved_email}}">us</a> · {{neg}}</footer>',
    ]
    return "<html><body>\n<form>\n" + "\n".join(some(rng, blocks, 5, 9)) + "\n</form>\n</body></html>\n"


def json_record(rng):
    fields = [
        '  "id": "{{uuid}}"',
        '  "name": "{{name_en}}"',
        '  "email": "{{email}}"',
        '  "mobile": {{mobile_plain}}',
        '  "phone": "{{phone}}"',
        '  "id_card": "{{cn_id}}"',
        '  "card": {"number": "{{card}}", "expiry": "{{expiry}}"}',
        '  "card_no": {{card_plain}}',
        '  "last_ip": "{{ip}}"',
        '  "created_at": "{{iso_timestamp}}"',
        '  "balance": {{decimal}}',
        '  "geo": [{{coordinates}}]',
        '  "contacts": [{{mobile_plain}}, {{mobile_plain}}]',
        '  "order": "{{order_no_18}}"',
        '  "notes": "{{neg}}"',
    ]
    return "{\n" + ",\n".join(some(rng, fields, 6, 11)) + "\n}\n"


def markdown_doc(rng):
    rows = ["| Name | Role | E-mail | Phone |", "|------|------|--------|-------|"]
    for _ in range(rng.randint(2, 4)):
        rows.append("| {{name_en}} | {{title}} | {{email}} | {{phone}} |")
    paras = [
        "Maintainer: _{{email}}_ (backup **{{email}}**).",
        "Reach the on-call phone at **{{phone_intl}}** or *{{phone_na}}*.",
        "Run `ssh deploy@{{ipv4_private}}` then `curl http://[{{ipv6_short}}]:8080/health`.",
        "> `{{ipv6_like_code}}` is not an address, and neither is `{{matmul}}`.",
        "The staging box is `{{ipv4_public}}`; do not confuse it with {{network_address}}.",
        "Released {{semver}} on {{date}} ({{sha1}}), see {{arxiv}}.",
        "中文联系人：{{name_zh}}，手机 `{{mobile}}`。",
        "Test data: {{neg}}, {{neg}}.",
        "### {{spec_outline_number}}\n\nSee the spec; owner {{email}}.",
    ]
    return "# Team directory\n\n" + "\n".join(rows) + "\n\n" + "\n\n".join(some(rng, paras, 3, 6)) + "\n"


def footer(rng):
    nb = "|nbsp" if rng.random() < 0.3 else ""
    return pick(
        rng,
        (
            "© {{year}} {{company}} · {{street}} · Tel. {{phone"
            + nb
            + "}} · Fax {{phone"
            + nb
            + "}} · {{email_sub}} · Registered in England No. {{int}}\n",
            "Impressum: {{company}}, {{street}}, {{postcode}} {{city}} · Telefon: {{phone_de}} · E-Mail: {{email_idn}} · "
            "USt-IdNr.: {{vat_de}} · Amtsgericht Charlottenburg HRB {{int}}\n",
            "联系电话：{{phone_cn_land}}　邮箱：{{email}}　{{icp_beian}}　{{icp_beian}}　地址：{{addr_zh}}\n",
            "{{company}} | {{street}}, {{city}} {{zip_plus4}} | {{phone_na}} | {{email}} | Privacy contact: {{reserved_email}}\n",
        ),
    )


def signature(rng):
    nb = "|nbsp" if rng.random() < 0.3 else ""
    return pick(
        rng,
        (
            "Best regards,\n\n--\n{{name_en}}\n{{title}} | {{company}}\nM: {{phone_intl"
            + nb
            + "}}  T: {{phone_nat}}\nE: {{email}}\n{{street}}, {{city}} {{postcode}}\n",
            "Thanks,\n{{first}}\n\n{{name_en}} · {{company}}\nDirect {{phone_na}} | Mobile {{phone_intl}}\n{{email_plus}}\n",
            "此致\n敬礼\n\n{{name_zh}}\n{{company_zh}} | 销售经理\n手机：{{mobile}}\n座机：{{phone_cn_land}}\n邮箱：{{email}}\n",
            "Mit freundlichen Grüßen\n{{name_en}}\nTel.: {{phone_de}}\nMail: {{email_idn}}\n",
        ),
    )


def wechat(rng):
    posts = [
        "【转发扩散】寻人启事：{{name_zh}}，身份证号：{{cn_id}}，有消息请联系手机：{{mobile}} 🙏",
        "群公告：报名请私聊，手机/微信同号{{mobile_plain}}，QQ邮箱{{email_cn}}",
        "收款卡号：{{card_unionpay}}（{{bank_zh}}），户名{{name_zh}}",
        "家人们，新号{{mobile}}，旧号{{fullwidth_mobile}}停用了",
        "房东电话{{mobile}}，押一付三，{{price}}/月",
        "QQ：{{int}}，邮箱：{{email_cn}}，电话：{{phone_cn_land}}",
        "快递到了，单号{{zto_waybill}}，取件码{{int}}",
        "我的身份证号{{cn_id}}帮我查下社保，手机{{mobile}}",
        "{{neg}} 这是啥？{{neg}}",
    ]
    return "\n".join(some(rng, posts, 3, 5)) + "\n"


def config(rng):
    return (
        "server:\n"
        "  listen: {{unspecified}}:8443\n"
        "  public_ip: {{ipv4_public}}\n"
        "  internal: {{ipv4_private}}\n"
        '  ipv6: "{{ipv6}}"\n'
        '  listen6: "[{{unspecified_v6}}]:8443"\n'
        "  netmask: {{netmask_broadcast}}\n"
        "  dns: [{{ipv4_public}}, {{ipv4_private}}]\n"
        "  admin_email: {{email}}\n"
        "  notify: {{machine_email}}\n"
        "  version: {{semver}}\n"
        "  image: registry.local/app@{{sha256}}\n"
        "  colour: '{{css_color}}'\n"
        "  oncall: '{{phone}}'\n"
        "  mcast_group: {{multicast}}\n"
        "  ref: {{neg}}\n"
    )


def code(rng):
    return (
        pick(
            rng,
            (
                '"""Attention helpers.\n\nAuthor: {{name_en}} <{{email}}>\n"""\n\n'
                "def attend(q, k, v):\n    return softmax({{matmul}}) @ v\n\n"
                "SIZES = {{mobile_in_numeric_array}}\nWEIGHTS = {{card_in_numeric_array}}\n"
                "EPS = {{sci_notation}}\nX = arr[::2]\nCOLOR = '{{css_color}}'\n",
                "// Copyright {{year}} {{name_en}} <{{email_sub}}>\n"
                "fn main() {\n    let add = {{ipv6_like_code}};\n    let big = {{big_integer}}u128;\n"
                '    let host = "{{ipv4_private}}";\n    let v6: Ipv6Addr = "{{ipv6}}".parse().unwrap();\n'
                "    let ptr = {{hex_address}};\n    let k = {{formula_coefficient}};\n}\n",
                "# tests/fixtures.py\nTEST_CARD = '{{card}}'\nTEST_MOBILE = '{{mobile}}'\nTEST_ID = '{{cn_id}}'\n"
                "NOT_A_CARD = '{{card_luhn_fail}}'\nNOT_AN_ID = '{{cn_id_bad_checksum}}'\nOWNER = '{{email}}'\n"
                "ASSETS = ['{{file_at_2x}}', '{{file_at_2x}}']\nDEPS = ['{{npm_at_version}}']\n",
            ),
        )
        + "# see {{neg}}\n"
    )


def netdump(rng):
    return (
        "$ ip addr show eth0\n"
        "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n"
        "    link/ether {{mac_address}} brd ff:ff:ff:ff:ff:ff\n"
        "    inet {{ipv4_private}}/24 scope global dynamic eth0\n"
        "    inet6 {{ipv6_short}}/64 scope global dynamic mngtmpaddr\n"
        "    inet6 {{ipv6_linklocal}}/64 scope link\n"
        "$ ping6 -c1 {{ipv6_linklocal}}%eth0\n"
        "$ lspci -D | head -1\n"
        "{{pci_address}} Host bridge: Intel Corporation Device 9b61\n"
        "$ ping -c1 {{ipv4_public#p}}\n"
        "64 bytes from {{ipv4_public#p}}: icmp_seq=1 ttl=117 time=12.3 ms\n"
        "$ traceroute {{ipv4_public#t}}\n"
        " 1  {{ipv4_private}}  0.512 ms\n"
        " 2  {{ipv4_public}}  8.104 ms\n"
        " 3  {{ipv4_public#t}}  12.93 ms\n"
        "$ ss -tlnp\n"
        "LISTEN 0 128 {{unspecified}}:22 0.0.0.0:*\n"
        "LISTEN 0 128 [{{unspecified_v6}}]:22 [::]:*\n"
        "LISTEN 0 128 {{loopback}}:5432 0.0.0.0:*\n"
        "LISTEN 0 128 [{{loopback_v6}}]:5432 [::]:*\n"
        "$ cat /etc/hosts\n"
        "{{loopback}} localhost\n"
        "{{loopback_v6}} localhost ip6-localhost ip6-loopback\n"
        "{{multicast}} mcast-group\n"
        "{{ipv4_private}} db01.internal\n"
        "{{ipv6_full}} web01.internal\n"
        "$ cat NOTES\n"
        "{{neg}}\n"
        "{{neg}}\n"
    )


TEMPLATES: tuple[tuple[str, str, Callable[[random.Random], str]], ...] = (
    ("forum", "forum_en", forum_en),
    ("forum", "forum_zh", forum_zh),
    ("cv", "cv_en", cv_en),
    ("cv", "cv_zh", cv_zh),
    ("order", "order_en", order_en),
    ("order", "order_zh", order_zh),
    ("ticket", "ticket_en", ticket_en),
    ("ticket", "ticket_zh", ticket_zh),
    ("log", "log_kv", log_kv),
    ("log", "log_json", log_json),
    ("log", "log_nginx", log_nginx),
    ("csv", "csv_zh", csv_zh),
    ("csv", "csv_en", csv_en),
    ("csv", "csv_numeric", csv_numeric),
    ("tsv", "tsv_export", tsv_export),
    ("tsv", "tsv_points", tsv_points),
    ("html", "html_page", html_page),
    ("json", "json_record", json_record),
    ("markdown", "markdown_doc", markdown_doc),
    ("footer", "footer", footer),
    ("signature", "signature", signature),
    ("wechat", "wechat", wechat),
    ("config", "config", config),
    ("code", "code", code),
    ("netdump", "netdump", netdump),
)


def documents(seed: int = SEED, rounds: int = ROUNDS) -> list[Doc]:
    """The labelled set: every template ``rounds`` times, in a fixed order, from ``random.Random(seed)``."""
    rng = random.Random(seed)
    planter = Planter(rng)
    return [planter.render(family, name, template(rng)) for _ in range(rounds) for family, name, template in TEMPLATES]


def labelled_pairs(seed: int = SEED) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """The set as (text, [(start, end, type)]) pairs."""
    return [d.pair() for d in documents(seed)]
