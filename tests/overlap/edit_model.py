"""A seeded model of how an output copies a passage with edits, every choice logged.

One case: a passage of real text (50-300 tokens) taken from an indexed document, edited in one way, then
embedded between real text of documents that are not indexed, in an output of up to 2,000 tokens. Edits change
the passage's string in place (a token's characters replaced, a token and its following separator removed, a
word inserted before a token, sentences swapped, identifiers renamed, literals changed); the rest of the text is
byte-identical. Every choice (positions, old and new strings, fillers) goes into the case's ``record``, a JSON
value from which the case can be rebuilt and read.

Edit kinds (``EDITS``):

- ``substitute``: tokens replaced at ``rate`` (1/4 .. 1/12), ``mode`` "random" (that share of the tokens,
  anywhere) or "periodic" (every 1/rate-th token from a random phase), each by a different word drawn from other
  real text of the same language (for Chinese, a different CJK character);
- ``indel``: at ``rate`` of the tokens, a token deleted or a word inserted before it (even odds, each logged);
- ``reorder``: ``swaps`` pairs of neighbouring sentences exchanged;
- ``rename`` (code): ``count`` local names (pygments' ``Token.Name``) renamed consistently to other real names;
- ``literals`` (code): ``count`` number or short string literals changed.
"""

from __future__ import annotations

import keyword
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pygments.lexers import PythonLexer
from pygments.token import Token

from licenselens.tokens import CJK_RANGES, token_spans

EDITS = ("substitute", "indel", "reorder", "rename", "literals")
LANGUAGES = ("en", "zh", "code")
MAX_OUTPUT_TOKENS = 2000
_SENTENCE_END = {"en": re.compile(r"(?<=[.!?])\s+"), "zh": re.compile(r"(?<=[。！？；])"), "code": re.compile(r"\n")}


@dataclass(frozen=True)
class Doc:
    dataset: str
    doc_id: str
    language: str
    text: str


@dataclass
class Case:
    output: str
    passage: tuple[int, int]  # the edited passage's characters in the output
    record: dict = field(default_factory=dict)


def is_cjk(char: str) -> bool:
    return any(a <= ord(char) <= b for a, b in CJK_RANGES)


def _tokens(text: str) -> list[tuple[int, int]]:
    starts, ends = token_spans(text)
    return list(zip(starts.tolist(), ends.tolist()))


def _lexed(text: str) -> list[tuple[int, object, str]]:
    # no newline stripping or adding: the indices are the text's own
    return list(PythonLexer(stripnl=False, ensurenl=False, stripall=False).get_tokens_unprocessed(text))


def vocabulary(docs: Sequence[Doc], language: str) -> list[str]:
    """Replacement words of one language, from real text (the documents given: not the ones edited)."""
    words: set[str] = set()
    for doc in docs:
        if language == "zh":
            words.update(c for c in doc.text if is_cjk(c))
        elif language == "code":
            words.update(v for _, t, v in _lexed(doc.text) if t is Token.Name and v.isidentifier())
        else:
            words.update(w for s, e in _tokens(doc.text) if (w := doc.text[s:e]).isalpha() and not is_cjk(w[0]))
    return sorted(w for w in words if not keyword.iskeyword(w))


def _different(rng: random.Random, vocab: Sequence[str], old: str, avoid: set[str] | None = None) -> str:
    for _ in range(1000):
        new = rng.choice(vocab)
        if new.lower() != old.lower() and (avoid is None or new not in avoid):
            return new
    raise ValueError(f"no replacement for {old!r}")


def _apply(text: str, changes: list[tuple[int, int, str]]) -> str:
    """Replace [start, end) by each string, the changes not overlapping; the rest stays as it was."""
    pieces, at = [], 0
    for start, end, new in sorted(changes, key=lambda c: (c[0], c[1])):
        assert start >= at, "overlapping edits"
        pieces += [text[at:start], new]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _editable(text: str, language: str) -> list[tuple[int, int]]:
    """The tokens an edit of this language may touch: CJK characters in Chinese, words elsewhere."""
    spans = _tokens(text)
    if language == "zh":
        return [(s, e) for s, e in spans if is_cjk(text[s])]
    return [(s, e) for s, e in spans if not is_cjk(text[s])]


def _positions(rng: random.Random, count: int, rate: float, mode: str) -> list[int]:
    if mode == "periodic":
        period = max(1, round(1 / rate))
        return list(range(rng.randrange(period), count, period))
    return sorted(rng.sample(range(count), min(count, max(1, round(count * rate)))))


def substitute(text: str, language: str, rng: random.Random, vocab: Sequence[str], rate: float, mode: str):
    spans = _editable(text, language)
    edits, changes = [], []
    for t in _positions(rng, len(spans), rate, mode):
        s, e = spans[t]
        old = text[s:e]
        new = _different(rng, vocab, old)
        new = new.capitalize() if old[:1].isupper() and language == "en" else new
        changes.append((s, e, new))
        edits.append({"op": "substitute", "token": t, "char": s, "old": old, "new": new})
    return _apply(text, changes), edits


def indel(text: str, language: str, rng: random.Random, vocab: Sequence[str], rate: float, mode: str = "random"):
    spans = _editable(text, language)
    edits, changes = [], []
    for t in _positions(rng, len(spans), rate, mode):
        s, e = spans[t]
        if rng.random() < 0.5:
            # the token and the separator after it (Chinese has none), so the text stays well formed
            end = e
            if language != "zh":
                while end < len(text) and text[end] in " \t":
                    end += 1
            changes.append((s, end, ""))
            edits.append({"op": "delete", "token": t, "char": s, "old": text[s:end]})
        else:
            word = _different(rng, vocab, text[s:e])
            new = word if language == "zh" else word + " "
            changes.append((s, s, new))
            edits.append({"op": "insert", "token": t, "char": s, "new": new})
    return _apply(text, changes), edits


def sentences(text: str, language: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence with the separator after it."""
    cuts = [0] + [m.end() for m in _SENTENCE_END[language].finditer(text) if 0 < m.end() < len(text)] + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def reorder(text: str, language: str, rng: random.Random, swaps: int):
    units = sentences(text, language)
    if len(units) < 2:
        raise ValueError("fewer than two sentences")
    pairs = sorted(rng.sample(range(0, len(units) - 1, 2), min(swaps, len(units) // 2)))
    changes, edits = [], []
    for p in pairs:
        (a, b), (c, d) = units[p], units[p + 1]
        first, second = text[a:b], text[c:d]
        # the separator stays where it was: the first sentence's goes after the new first
        core_first, sep_first = first.rstrip(), first[len(first.rstrip()) :]
        core_second, sep_second = second.rstrip(), second[len(second.rstrip()) :]
        changes.append((a, d, core_second + sep_first + core_first + sep_second))
        edits.append({"op": "swap", "sentences": [p, p + 1], "chars": [a, d]})
    return _apply(text, changes), edits


def names(doc_text: str, start: int, end: int) -> list[tuple[int, str]]:
    """Local names (pygments Token.Name) of text[start:end], lexed with the whole document for context."""
    return [(i, v) for i, t, v in _lexed(doc_text) if t is Token.Name and start <= i and i + len(v) <= end]


def rename(doc_text: str, start: int, end: int, rng: random.Random, vocab: Sequence[str], count: int):
    """Rename ``count`` local names consistently: every Token.Name occurrence of each in the passage."""
    found = names(doc_text, start, end)
    distinct = sorted({v for _, v in found if len(v) > 1 and not keyword.iskeyword(v)})
    if len(distinct) < count:
        raise ValueError("too few local names")
    chosen = sorted(rng.sample(distinct, count))
    present = {v for _, v in found}
    mapping = {old: _different(rng, vocab, old, avoid=present) for old in chosen}
    changes = [(i - start, i - start + len(v), mapping[v]) for i, v in found if v in mapping]
    edits = [
        {"op": "rename", "old": old, "new": new, "occurrences": sum(v == old for _, v in found)}
        for old, new in mapping.items()
    ]
    return _apply(doc_text[start:end], changes), edits


def literals(doc_text: str, start: int, end: int, rng: random.Random, vocab: Sequence[str], count: int):
    """Change ``count`` literals: numbers, or the words of a one-line quoted string."""
    lexed = [item for item in _lexed(doc_text)]
    found = []
    for k, (i, t, v) in enumerate(lexed):
        if not (start <= i and i + len(v) <= end):
            continue
        if t in Token.Literal.Number:
            found.append((i, v, "number"))
        elif (
            t in Token.Literal.String
            and t not in (Token.Literal.String.Escape, Token.Literal.String.Doc, Token.Literal.String.Affix)
            and 0 < k < len(lexed) - 1
            and lexed[k - 1][2] in ("'", '"')
            and lexed[k + 1][2] == lexed[k - 1][2]
            and "\n" not in v
            and v.strip()
        ):
            found.append((i, v, "string"))
    if len(found) < count:
        raise ValueError("too few literals")
    changes, edits = [], []
    for i, v, kind in sorted(rng.sample(found, count)):
        if kind == "number":
            new = v
            while new == v:
                new = str(rng.randrange(0, 10 ** max(1, len(v.strip("-")))))
        else:
            new = " ".join(_different(rng, vocab, w) for w in (v.split() or [v])[:3])
        changes.append((i - start, i - start + len(v), new))
        edits.append({"op": "literal", "kind": kind, "char": i - start, "old": v, "new": new})
    return _apply(doc_text[start:end], changes), edits


def choose_passage(doc: Doc, rng: random.Random, low: int, high: int) -> tuple[int, int]:
    """[start, end) characters of a passage of ``low``..``high`` tokens: whole lines for code, tokens otherwise."""
    spans = _tokens(doc.text)
    wanted = rng.randint(low, high)
    if len(spans) < low:
        raise ValueError("document too short")
    wanted = min(wanted, len(spans))
    if doc.language != "code":
        first = rng.randrange(len(spans) - wanted + 1)
        return spans[first][0], spans[first + wanted - 1][1]
    lines = [0] + [m.end() for m in re.finditer("\n", doc.text)]
    first_line = rng.randrange(len(lines))
    start = lines[first_line]
    from_here = [s for s in spans if s[0] >= start]
    if len(from_here) < low:
        raise ValueError("too close to the end")
    last = from_here[min(wanted, len(from_here)) - 1][1]
    newline = doc.text.find("\n", last)
    return start, len(doc.text) if newline < 0 else newline + 1


def filler(docs: Sequence[Doc], rng: random.Random, tokens: int) -> tuple[str, dict]:
    """``tokens`` tokens of real text from one of ``docs`` (not indexed), cut at token edges."""
    doc = rng.choice(docs)
    spans = _tokens(doc.text)
    tokens = min(tokens, len(spans))
    if tokens <= 0:
        return "", {"dataset": doc.dataset, "doc_id": doc.doc_id, "chars": [0, 0], "tokens": 0}
    first = rng.randrange(len(spans) - tokens + 1)
    a, b = spans[first][0], spans[first + tokens - 1][1]
    return doc.text[a:b], {"dataset": doc.dataset, "doc_id": doc.doc_id, "chars": [a, b], "tokens": tokens}


def edit(kind: str, doc: Doc, start: int, end: int, rng: random.Random, vocab: Sequence[str], params: dict):
    passage = doc.text[start:end]
    if kind == "substitute":
        return substitute(passage, doc.language, rng, vocab, params["rate"], params["mode"])
    if kind == "indel":
        return indel(passage, doc.language, rng, vocab, params["rate"], params.get("mode", "random"))
    if kind == "reorder":
        return reorder(passage, doc.language, rng, params["swaps"])
    if kind == "rename":
        return rename(doc.text, start, end, rng, vocab, params["count"])
    if kind == "literals":
        return literals(doc.text, start, end, rng, vocab, params["count"])
    if kind == "none":
        return passage, []
    raise ValueError(kind)


def make_case(
    seed: int,
    kind: str,
    params: dict,
    sources: Sequence[Doc],
    fillers: Sequence[Doc],
    vocab: Sequence[str],
    passage_tokens: tuple[int, int] = (50, 300),
    max_tokens: int = MAX_OUTPUT_TOKENS,
    attempts: int = 50,
) -> Case:
    """One output: a passage of one of ``sources`` edited by ``kind``, between text of ``fillers``.

    Deterministic in ``seed``; a passage that the edit cannot apply to (too few sentences, names or literals)
    is drawn again, and the draws are logged too.
    """
    rng = random.Random(seed)
    rejected = []
    for _ in range(attempts):
        doc = rng.choice(sources)
        try:
            start, end = choose_passage(doc, rng, *passage_tokens)
            edited, edits = edit(kind, doc, start, end, rng, vocab, params)
        except ValueError as exc:
            rejected.append({"doc_id": doc.doc_id, "reason": str(exc)})
            continue
        break
    else:
        raise ValueError(f"seed {seed}: no passage takes a {kind} edit: {rejected[-3:]}")
    edited_tokens = len(_tokens(edited))
    room = max(0, max_tokens - edited_tokens)
    total_filler = rng.randint(0, room)
    before_tokens = rng.randint(0, total_filler)
    before, before_record = filler(fillers, rng, before_tokens)
    after, after_record = filler(fillers, rng, total_filler - before_tokens)
    sep = "\n\n"
    head = before + sep if before else ""
    output = head + edited + (sep + after if after else "")
    record = {
        "seed": seed,
        "kind": kind,
        "params": params,
        "language": doc.language,
        "source": {"dataset": doc.dataset, "doc_id": doc.doc_id, "chars": [start, end]},
        "passage_tokens": len(_tokens(doc.text[start:end])),
        "edited_tokens": edited_tokens,
        "edits": edits,
        "rejected_draws": rejected,
        "before": before_record,
        "after": after_record,
        "output_passage_chars": [len(head), len(head) + len(edited)],
        "output_tokens": len(_tokens(output)),
    }
    return Case(output, (len(head), len(head) + len(edited)), record)
