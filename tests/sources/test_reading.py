from __future__ import annotations

import codecs

from licenselens.sources.reading import classify, decode


def test_classify():
    assert classify(b"") == "empty"
    assert classify(b"hello\nworld\n") == "text"
    assert classify(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR") == "binary"
    assert classify(codecs.BOM_UTF16_LE + "licence".encode("utf-16-le")) == "text"


def test_decode():
    assert decode("Grüße".encode()) == ("Grüße", False)
    assert decode(codecs.BOM_UTF16_LE + "MIT".encode("utf-16-le")) == ("MIT", False)
    text, replaced = decode(b"ok \xff\xfe bad")
    assert replaced and "\ufffd" in text
