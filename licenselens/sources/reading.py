"""Reading a file's bytes and deciding whether it is text."""

from __future__ import annotations

import codecs

SNIFF_BYTES = 8192
# bytes that do not occur in text files (all C0 controls but \t \n \f \r and ESC)
_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13, 27})


def classify(data: bytes) -> str:
    """'empty', 'text' or 'binary', from the first few KiB."""
    if not data:
        return "empty"
    head = data[:SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "text"
    if b"\0" in head:
        return "text" if utf16_without_bom(head) else "binary"
    controls = sum(head.count(bytes([c])) for c in _CONTROL)
    return "binary" if controls > len(head) * 0.10 else "text"


def utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when ``head`` is UTF-16 text without a byte-order mark, as Windows tools
    write it: mostly ASCII, so every other byte is NUL and the decoded text has no control characters."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    for encoding, high, low in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if low.count(0) == 0 and high.count(0) >= 0.6 * pairs:
            text = head[: pairs * 2].decode(encoding, errors="replace")
            controls = sum(1 for c in text if c < " " and c not in "\t\n\f\r\x1b")
            return encoding if controls <= len(text) * 0.10 else None
    return None


def decode(data: bytes) -> tuple[str, bool]:
    """Text of a file and whether undecodable bytes were replaced."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (codecs.BOM_UTF8, "utf-8-sig"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), False
    if b"\0" in data[:SNIFF_BYTES] and (wide := utf16_without_bom(data[:SNIFF_BYTES])):
        return data.decode(wide, errors="replace"), False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True
