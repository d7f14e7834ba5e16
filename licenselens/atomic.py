"""Files that appear complete or not at all: a crash never leaves a truncated file that looks finished."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

TEMPORARY = ".licenselens-"  # the prefix of every file or folder licenselens writes before renaming it


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(path: str, binary: bool):
    """A file that appears at ``path`` complete or not at all."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TEMPORARY, suffix=".tmp")
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report should get the usual permissions
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
