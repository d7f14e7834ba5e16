"""JSON Lines, plain or compressed (.gz, .zst). Plain files are split at line boundaries into shards."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator

from licenselens.sources.base import DocumentReader, SourceRecord, Wanted
from licenselens.sources.reading import SNIFF_BYTES, classify, utf16_without_bom
from licenselens.sources.records import make_shard, record_to_document
from licenselens.types.convert import printable
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard

BLOCK = 1 << 20
_JSON_STARTS = set(b'{["-0123456789tfn')
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _open_decompressed(location: str):
    if location.endswith(".gz"):
        return gzip.open(location, "rb")
    if location.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(location, "rb"), closefd=True))
    return open(location, "rb")


def _zstd_complete(location: str) -> bool:
    """Whether a .zst file ends where its last frame ends. The stream decompressor stops silently at a
    truncated frame, so frame and block headers are walked here (seeks, no decompression)."""
    import zstandard

    with open(location, "rb") as fh:
        size, pos = os.fstat(fh.fileno()).st_size, 0
        while pos < size:
            fh.seek(pos)
            head = fh.read(18)  # the longest frame header
            magic = int.from_bytes(head[:4], "little")
            if magic & 0xFFFFFFF0 == 0x184D2A50:  # skippable frame: magic, 4-byte length, data
                pos += 8 + int.from_bytes(head[4:8], "little")
                continue
            try:
                pos += zstandard.frame_header_size(head)
            except zstandard.ZstdError:
                return False
            checksum = len(head) > 4 and head[4] & 0x04
            last = False
            while not last:
                fh.seek(pos)
                header = fh.read(3)
                if len(header) < 3:
                    return False
                value = int.from_bytes(header, "little")
                last, kind = bool(value & 1), (value >> 1) & 3
                pos += 3 + (1 if kind == 1 else value >> 3)  # an RLE block stores one byte
            pos += 4 if checksum else 0
        return pos == size


def _lines(fh, limit: int) -> Iterator[tuple[bytes | None, int]]:
    """(line, its length in bytes); line is None when longer than ``limit``: it is skipped in blocks, never held."""
    while line := fh.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line, len(line)
            continue
        size = len(line)
        while (part := fh.readline(BLOCK)) and not part.endswith(b"\n"):
            size += len(part)
        yield None, size + len(part)


def _head(location: str) -> bytes | None:
    """The first decoded bytes; None when a compressed file cannot be decoded (``read`` reports where)."""
    try:
        with _open_decompressed(location) as fh:
            return fh.read(SNIFF_BYTES)
    except (EOFError, OSError, zlib.error):
        return None
    except Exception as exc:
        if type(exc).__module__.startswith("zstandard"):
            return None
        raise


def _not_jsonl(head: bytes) -> str | None:
    """Why a file whose first bytes are ``head`` cannot be JSON Lines (UTF-8 text), if it cannot."""
    if head.startswith(_WIDE_BOMS) or utf16_without_bom(head):
        return "UTF-16 or UTF-32 text; JSON Lines must be UTF-8"
    # a bad line inside a file that starts like JSON is that line's error, not the file's
    start = head.lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
    if classify(head) == "binary" and not (start and start[0] in _JSON_STARTS):
        return "binary content (NUL or control bytes), not JSON Lines"
    return None


class JsonlReader(DocumentReader):
    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")
    compressions = (".gz", ".zst")

    def plan(self, spec: DatasetSpec, location: str, shard_bytes: int) -> Iterator[Shard | DocumentError]:
        try:
            with open(location, "rb") as raw:
                empty = not raw.read(1)
        except OSError as exc:
            yield DocumentError(spec.name, location, "unreadable", exc.strerror or str(exc))
            return
        if empty:
            yield DocumentError(spec.name, location, "skipped-empty", "empty file: no records")
            return
        problem = _not_jsonl(head) if (head := _head(location)) is not None else None
        if problem:
            yield DocumentError(spec.name, location, "not-jsonl", problem)
            return
        if location.endswith((".gz", ".zst")):
            yield make_shard(spec, self.name, location, 0, -1)  # a compressed stream cannot be entered midway
            return
        try:
            bounds = self._line_bounds(location, shard_bytes)
        except OSError as exc:
            yield DocumentError(spec.name, location, "unreadable", exc.strerror or str(exc))
            return
        for (start, line), (stop, _) in zip(bounds, bounds[1:]):
            yield make_shard(spec, self.name, location, start, stop, line)

    @staticmethod
    def _line_bounds(location: str, shard_bytes: int) -> list[tuple[int, int]]:
        """(byte offset, line number) of each shard start, cut at the first line start after every shard_bytes."""
        bounds, target, pos, lines = [(0, 1)], shard_bytes, 0, 0
        with open(location, "rb") as fh:
            while block := fh.read(BLOCK):
                while target < pos + len(block):
                    i = block.find(b"\n", max(target - pos, 0))
                    if i < 0:
                        break
                    cut = pos + i + 1
                    bounds.append((cut, lines + block.count(b"\n", 0, i + 1) + 1))
                    target = cut + shard_bytes
                lines += block.count(b"\n")
                pos += len(block)
        if bounds[-1][0] < pos:
            bounds.append((pos, lines + 1))
        return bounds

    def read(self, spec: DatasetSpec, shard: Shard) -> Iterator[Document | DocumentError]:
        for item, _ in self.records(spec, shard):
            assert item is not None  # every item is parsed when none is refused
            yield item

    def records(
        self, spec: DatasetSpec, shard: Shard, wanted: Wanted | None = None
    ) -> Iterator[tuple[Document | DocumentError | None, SourceRecord | None]]:
        line_no, pos, limit = shard.first_record - 1, shard.start, self.limits.max_line_bytes
        place = -1  # every line that is not blank is one item
        shown = printable(shard.location)
        try:
            # zstandard ends a truncated stream without an error: find out first, so the cut line is not parsed
            truncated = shard.location.endswith(".zst") and not _zstd_complete(shard.location)
            with _open_decompressed(shard.location) as fh:
                if shard.start:
                    fh.seek(shard.start)
                for line, size in _lines(fh, limit):
                    if shard.stop >= 0 and pos >= shard.stop:
                        break
                    if truncated and line is not None and not line.endswith(b"\n"):
                        break  # the cut runs through this line
                    pos += size
                    line_no += 1
                    origin = f"{shown}:{line_no}"
                    if line is None:
                        place += 1
                        yield _alone(
                            DocumentError(
                                spec.name,
                                origin,
                                "line-too-long",
                                f"{size} bytes is over the {limit}-byte line limit (--max-line-bytes)",
                            )
                        )
                        continue
                    if not line.strip():
                        continue
                    place += 1
                    if wanted is not None and not wanted(place):
                        yield None, None  # not parsed: the caller has no use for it
                        continue
                    try:
                        record = json.loads(line)
                    except UnicodeDecodeError as exc:
                        yield _alone(
                            DocumentError(spec.name, origin, "bad-encoding", f"line is not UTF-8: {exc.reason}")
                        )
                        continue
                    except json.JSONDecodeError as exc:
                        yield _alone(
                            DocumentError(spec.name, origin, "malformed-json", f"{exc.msg} at column {exc.colno}")
                        )
                        continue
                    except RecursionError:
                        yield _alone(DocumentError(spec.name, origin, "malformed-json", "nested too deeply"))
                        continue
                    except ValueError as exc:  # valid JSON Python refuses, e.g. an integer of over 4,300 digits
                        yield _alone(DocumentError(spec.name, origin, "malformed-json", str(exc)[:200]))
                        continue
                    yield (
                        record_to_document(spec, record, origin, f"{spec.name}:{line_no}"),
                        SourceRecord(record, line) if isinstance(record, dict) else None,
                    )
            if truncated:
                raise EOFError("the zstd stream ends inside a frame: the file is truncated")
        except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
            yield _alone(
                DocumentError(
                    spec.name, f"{shown}:{line_no + 1}", "corrupt-file", f"cannot read past line {line_no}: {exc}"
                )
            )
        except Exception as exc:  # zstandard.ZstdError and other decoder failures
            if type(exc).__module__.startswith("zstandard"):
                yield _alone(
                    DocumentError(
                        spec.name, f"{shown}:{line_no + 1}", "corrupt-file", f"cannot read past line {line_no}: {exc}"
                    )
                )
            else:
                raise


def _alone(error: DocumentError) -> tuple[DocumentError, None]:
    return error, None
