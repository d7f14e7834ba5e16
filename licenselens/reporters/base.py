"""The reporter interface, and atomic file writing shared by reporters."""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import IO, ClassVar

from ..types import ScanResult


class Reporter(ABC):
    binary: ClassVar[bool] = False
    needs_file: ClassVar[bool] = False  # cannot go to standard output

    @abstractmethod
    def write(self, result: ScanResult, out: IO) -> None:
        """Write the whole result to an open stream."""


@contextmanager
def atomic_output(path: str, binary: bool):
    """A file that appears at ``path`` complete or not at all."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".licenselens-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
