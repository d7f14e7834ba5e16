"""Machine-readable reservations parsed, not matched, and only where they take effect: W3C TDMRep in its
forms (HTML ``<meta>``, EPUB ``<meta property="tdm:reservation">``, XMP ``<tdm:reservation>``, an HTTP
header, the ``/.well-known/tdmrep.json`` file), the ``noai``/``noimageai`` robots directives (meta tag or
``X-Robots-Tag`` header), and usage preferences (Cloudflare's ``Content-Signal: ai-train=no``, the IETF
AI-preferences ``Content-Usage: train-ai=n``).

Where they take effect: a tag in a markup document (one that begins with ``<``: an HTML page, an EPUB
package, an XMP packet), or on a line of its own in other text without Markdown code fences, read with
``html.parser``; a header in the header block a saved response begins
with; a usage line in a robots file (``robots.is_robots_file``) or in that header block; a tdmrep.json
rule with ``tdm-reservation`` 1. The same words in a how-to, a changelog, a code comment or a test's
source are text about reservations, not one. Documents without any of the ``triggers`` are never parsed.
Signal ids, file names and triggers: rules/tdm_signals.yaml ``machine_readable``.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

from licenselens.rules import load_yaml
from licenselens.signals.robots import RobotsRules, is_robots_file

_HEADER_LINE = re.compile(r"^(?:HTTP/[0-9.]+ [0-9]{3}.*|[A-Za-z0-9-]+[ \t]*:[^\r\n]*)$")
_FIELD_VALUE = re.compile(r"^[ \t]*([A-Za-z-]+)[ \t]*:[ \t]*([^\r\n]*)$", re.MULTILINE)
_PREFERENCE = re.compile(r"([A-Za-z-]+)[ \t]*=[ \t]*([A-Za-z?]+)")
_DIRECTIVE = re.compile(r"[A-Za-z-]+")
_HEADERS_AT_MOST = 65536  # characters a header block may take
_TAG_AT_MOST = 4096  # characters one <meta ...> may take
_JSON_AT_MOST = 1 << 20  # bytes of a tdmrep.json worth parsing
_XMP = re.compile(r"<tdm:reservation>\s*1\s*</tdm:reservation>|\btdm:reservation\s*=\s*[\"']1[\"']", re.IGNORECASE)


@dataclass(frozen=True)
class MachineRules:
    tdmrep: str  # signal ids
    noai: str
    noimageai: str
    usage: str
    tdmrep_names: tuple[str, ...]  # file names read as a tdmrep.json
    triggers: tuple[str, ...]  # lowercase strings without which a document is not parsed
    usage_fields: dict[str, tuple[str, tuple[str, ...]]]  # field -> (preference key, values that refuse)


@cache
def machine_rules(source: str = "tdm_signals.yaml") -> MachineRules:
    data = load_yaml(source)
    table = data["machine_readable"]
    anchors = {a.lower() for a in data["anchors"]}
    if missing := [t for t in table["triggers"] if t.lower() not in anchors]:  # the analyser asks the anchors
        raise ValueError(f"{source}: machine_readable triggers must also be anchors: {', '.join(missing)}")
    return MachineRules(
        table["tdmrep"],
        table["noai"],
        table["noimageai"],
        table["usage"],
        tuple(n.lower() for n in table["tdmrep_names"]),
        tuple(t.lower() for t in table["triggers"]),
        {
            f.lower(): (v["key"].lower(), tuple(x.lower() for x in v["refuse"]))
            for f, v in table["usage_fields"].items()
        },
    )


def machine_signals(
    text: str, low: str, name: str | None, rules: MachineRules, robots: RobotsRules
) -> list[tuple[str, int]]:
    """(signal id, line) of each reservation ``text`` states in machine-readable form; ``low`` is ``text``
    lowercased (the same length), ``name`` the document's file name when it has one."""
    if not any(t in low for t in rules.triggers):
        return []
    found: dict[str, int] = {}
    header_end = _header_block_end(text)
    hits = [*_tdmrep_json(text, name, rules), *_headers(text[:header_end], rules, robots_file=False)]
    if "user-agent" in low and is_robots_file(text, robots):
        hits += _headers(text, rules, robots_file=True)
    if "<meta" in low or "tdm:reservation" in low:
        hits += _metas(text, low, rules, markup=text.lstrip().startswith("<"))
    for signal, position in hits:
        found.setdefault(signal, text.count("\n", 0, position) + 1)
    return list(found.items())


def _header_block_end(text: str) -> int:
    """Where the header block a saved response (or a _headers file) begins with ends (0 when the text
    begins otherwise)."""
    end = 0
    for n, line in enumerate(text[:_HEADERS_AT_MOST].splitlines(keepends=True)):
        if n == 0 and line.startswith("/"):  # a _headers file (Cloudflare Pages, Netlify): a path, then its headers
            end += len(line)
            continue
        if not line.strip() or not _HEADER_LINE.match(line.strip()):
            break
        end += len(line)
    return end


def _tdmrep_json(text: str, name: str | None, rules: MachineRules) -> list[tuple[str, int]]:
    named = name is not None and posixpath.basename(name).lower() in rules.tdmrep_names
    stripped = text.lstrip()
    if not named and not stripped.startswith(("[", "{")):
        return []
    if len(stripped) > _JSON_AT_MOST:
        return []
    try:
        items = json.loads(stripped)
    except (ValueError, RecursionError):  # RecursionError: [[[[... nested past Python's limit
        return []
    items = [items] if isinstance(items, dict) else items  # one rule written alone
    if not isinstance(items, list):
        return []
    for item in items:  # a rule that reserves any location is a reservation of the site's
        if isinstance(item, dict) and str(item.get("tdm-reservation", "")).strip() == "1":
            return [(rules.tdmrep, text.find("tdm-reservation"))]
    return []


def _headers(text: str, rules: MachineRules, robots_file: bool) -> list[tuple[str, int]]:
    """Fields of a header block, or the usage lines of a robots file."""
    found = []
    for match in _FIELD_VALUE.finditer(text):
        field, value = match.group(1).lower(), match.group(2).split("#")[0]
        if field in rules.usage_fields:
            key, refuse = rules.usage_fields[field]
            if any(k.lower() == key and v.lower() in refuse for k, v in _PREFERENCE.findall(value)):
                found.append((rules.usage, match.start()))
        elif robots_file:
            continue
        elif field == "tdm-reservation" and value.strip().strip("\"'") == "1":
            found.append((rules.tdmrep, match.start()))
        elif field == "x-robots-tag":
            found += [(s, match.start()) for s in _robots_directives(value.split(":")[-1], rules)]
    return found


def _robots_directives(content: str, rules: MachineRules) -> list[str]:
    words = {w.lower() for w in _DIRECTIVE.findall(content)}
    return [signal for word, signal in (("noai", rules.noai), ("noimageai", rules.noimageai)) if word in words]


class _Meta(HTMLParser):
    """The attributes and text of one ``<meta>`` element, as a browser reads them (quoting, case, entities)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}
        self.data = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta" and not self.attrs:
            self.attrs = {k.lower(): (v or "") for k, v in attrs}

    def handle_data(self, data: str) -> None:
        self.data += data

    handle_startendtag = handle_starttag


def _metas(text: str, low: str, rules: MachineRules, markup: bool) -> list[tuple[str, int]]:
    """Tags of a markup document; in other text (a page's head kept beside its extracted text) only a tag
    on a line of its own, and none in a text with Markdown code fences (a how-to showing the tag)."""
    if not markup and "```" in text:
        return []
    found = [(rules.tdmrep, m.start()) for m in _XMP.finditer(text)][:1] if markup else []
    for start in (m.start() for m in re.finditer(r"<meta\b", low)):  # only the tags: a page's body is not parsed
        if not markup and text[text.rfind("\n", 0, start) + 1 : start].strip():
            continue
        if _inside(low, start, "<!--", "-->") or _inside(low, start, "<script", "</script"):
            continue  # a comment, or a string of a script: not the page's own tag
        end = low.find(">", start, start + _TAG_AT_MOST)
        if end < 0:
            continue  # never closed: no tag
        close = low.find("</meta>", end) if end >= 0 else -1
        stop = close if 0 <= close - end <= 200 else end + 1  # an EPUB meta holds its value as text
        parser = _Meta()
        parser.feed(text[start:stop])
        parser.close()
        attrs = parser.attrs
        meta = (attrs.get("name") or attrs.get("http-equiv") or attrs.get("property") or "").strip().lower()
        content = attrs.get("content", parser.data)
        if meta in ("tdm-reservation", "tdm:reservation") and content.strip() == "1":
            found.append((rules.tdmrep, start))
        elif meta in ("robots", "x-robots-tag") or meta.endswith("bot"):  # <meta name="GPTBot" content="noai">
            found += [(signal, start) for signal in _robots_directives(content, rules)]
    return found


def _inside(low: str, at: int, opening: str, closing: str) -> bool:
    """Whether ``at`` lies between an ``opening`` and its ``closing`` (the last of each before it)."""
    return low.rfind(opening, 0, at) > low.rfind(closing, 0, at)
