"""Where licenselens keeps derived data between runs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The on-disk cache folder: ``override``, ``$LICENSELENS_CACHE_DIR`` or the user cache dir."""
    chosen = override or os.environ.get("LICENSELENS_CACHE_DIR") or platformdirs.user_cache_dir("licenselens")
    path = Path(chosen)
    path.mkdir(parents=True, exist_ok=True)
    return path
