"""Machine-readable reservations parsed, not matched: W3C TDMRep in its three forms (an HTML ``<meta>``,
an HTTP header line, the ``/.well-known/tdmrep.json`` file) and the ``noai``/``noimageai`` robots
directives (meta tag or ``X-Robots-Tag`` header).

- HTML: ``html.parser`` reads every ``<meta>`` whatever the attribute order, quoting or case;
  ``<meta name="tdm-reservation" content="1">`` reserves, ``content="0"`` does not;
  ``<meta name="robots" content="noindex, noai">`` names ``noai`` as a directive, not as a substring.
- Headers: ``tdm-reservation: 1`` and ``X-Robots-Tag: noai`` (optionally ``X-Robots-Tag: GPTBot: noai``)
  on a line of their own, as a saved response shows them.
- tdmrep.json: a JSON array of rules ``{"location", "tdm-reservation", "tdm-policy"}``; the site reserves
  when a rule with ``tdm-reservation`` 1 covers its root (location ``/``, ``/*``, ``*`` or none), as a
  robots.txt group counts only when it keeps a crawler from the whole site.

Documents without the words ``tdm-reservation``, ``noai`` or ``noimageai`` are never parsed. The signal
ids and file names are data in rules/tdm_signals.yaml (``machine_readable``).
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

from licenselens.rules import load_yaml

_HEADER = re.compile(r"^[ \t]*(tdm-reservation|x-robots-tag)[ \t]*:[ \t]*([^\r\n]*)$", re.IGNORECASE | re.MULTILINE)
_DIRECTIVE = re.compile(r"[A-Za-z-]+")
_ROOT = ("/", "/index.html")


@dataclass(frozen=True)
class MachineRules:
    tdmrep: str  # signal ids
    noai: str
    noimageai: str
    tdmrep_names: tuple[str, ...]  # file names read as a tdmrep.json


@cache
def machine_rules(source: str = "tdm_signals.yaml") -> MachineRules:
    table = load_yaml(source)["machine_readable"]
    return MachineRules(
        table["tdmrep"], table["noai"], table["noimageai"], tuple(n.lower() for n in table["tdmrep_names"])
    )


def machine_signals(text: str, low: str, name: str | None, rules: MachineRules) -> list[tuple[str, int]]:
    """(signal id, line) of each reservation ``text`` states in machine-readable form; ``low`` is ``text``
    lowercased (the same length), ``name`` the document's file name when it has one."""
    if "tdm-reservation" not in low and "noai" not in low and "noimageai" not in low:
        return []
    found: dict[str, int] = {}
    for signal, position in (*_tdmrep_json(text, name, rules), *_headers(text, rules), *_metas(text, low, rules)):
        found.setdefault(signal, text.count("\n", 0, position) + 1)
    return list(found.items())


def _tdmrep_json(text: str, name: str | None, rules: MachineRules) -> list[tuple[str, int]]:
    named = name is not None and posixpath.basename(name).lower() in rules.tdmrep_names
    stripped = text.lstrip()
    if not named and not stripped.startswith(("[", "{")):
        return []
    try:
        items = json.loads(stripped)
    except ValueError:
        return []
    items = [items] if isinstance(items, dict) else items  # one rule written alone
    if not isinstance(items, list):
        return []
    for item in items:
        if not isinstance(item, dict) or str(item.get("tdm-reservation", "")).strip() != "1":
            continue
        location = str(item.get("location") or "/")
        if any(fnmatch.fnmatchcase(root, location) or location in ("*", "/*") for root in _ROOT):
            return [(rules.tdmrep, text.find("tdm-reservation"))]
    return []


def _headers(text: str, rules: MachineRules) -> list[tuple[str, int]]:
    found = []
    for match in _HEADER.finditer(text):
        field, value = match.group(1).lower(), match.group(2).split("#")[0]
        if field == "tdm-reservation" and value.strip().strip("\"'") == "1":
            found.append((rules.tdmrep, match.start()))
        elif field == "x-robots-tag":
            found += [(s, match.start()) for s in _robots_directives(value.split(":")[-1], rules)]
    return found


def _robots_directives(content: str, rules: MachineRules) -> list[str]:
    words = {w.lower() for w in _DIRECTIVE.findall(content)}
    return [signal for word, signal in (("noai", rules.noai), ("noimageai", rules.noimageai)) if word in words]


class _Meta(HTMLParser):
    """The attributes of one ``<meta>`` tag, as a browser reads them (quoting, case, entities)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.attrs = {k.lower(): (v or "") for k, v in attrs}

    handle_startendtag = handle_starttag


def _metas(text: str, low: str, rules: MachineRules) -> list[tuple[str, int]]:
    found = []
    for start in (m.start() for m in re.finditer(r"<meta\b", low)):  # only the tags: a page's body is not parsed
        end = low.find(">", start)
        parser = _Meta()
        parser.feed(text[start : end + 1 if end >= 0 else len(text)])
        parser.close()
        attrs = parser.attrs
        meta, content = (attrs.get("name") or attrs.get("http-equiv") or "").strip().lower(), attrs.get("content", "")
        if meta == "tdm-reservation" and content.strip() == "1":
            found.append((rules.tdmrep, start))
        elif meta in ("robots", "x-robots-tag") or meta.endswith("bot"):  # <meta name="GPTBot" content="noai">
            found += [(signal, start) for signal in _robots_directives(content, rules)]
    return found
