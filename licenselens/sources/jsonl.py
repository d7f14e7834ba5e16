"""JSON Lines, plain or compressed (.gz, .zst). Plain files are split at line boundaries into shards."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator

from ..types import DatasetSpec, Document, DocumentError, Shard
from .base import DocumentReader
from .records import make_shard, record_to_document

BLOCK = 1 << 20


def _open_decompressed(location: str):
    if location.endswith(".gz"):
        return gzip.open(location, "rb")
    if location.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(location, "rb"), closefd=True))
    return open(location, "rb")


class JsonlReader(DocumentReader):
    name = "jsonl"

    def plan(self, spec: DatasetSpec, location: str, shard_bytes: int) -> Iterator[Shard | DocumentError]:
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
        line_no, pos = shard.first_record - 1, shard.start
        try:
            with _open_decompressed(shard.location) as fh:
                if shard.start:
                    fh.seek(shard.start)
                for line in fh:
                    if shard.stop >= 0 and pos >= shard.stop:
                        break
                    pos += len(line)
                    line_no += 1
                    if not line.strip():
                        continue
                    origin = f"{shard.location}:{line_no}"
                    try:
                        record = json.loads(line)
                    except UnicodeDecodeError as exc:
                        yield DocumentError(spec.name, origin, "bad-encoding", f"line is not UTF-8: {exc.reason}")
                        continue
                    except json.JSONDecodeError as exc:
                        yield DocumentError(spec.name, origin, "malformed-json", f"{exc.msg} at column {exc.colno}")
                        continue
                    except RecursionError:
                        yield DocumentError(spec.name, origin, "malformed-json", "nested too deeply")
                        continue
                    yield record_to_document(spec, record, origin, f"{spec.name}:{line_no}")
        except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
            yield DocumentError(spec.name, f"{shard.location}:{line_no + 1}", "corrupt-file",
                                f"cannot read past line {line_no}: {exc}")
        except Exception as exc:  # zstandard.ZstdError and other decoder failures
            if type(exc).__module__.startswith("zstandard"):
                yield DocumentError(spec.name, f"{shard.location}:{line_no + 1}", "corrupt-file",
                                    f"cannot read past line {line_no}: {exc}")
            else:
                raise
