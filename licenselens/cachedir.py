"""Where licenselens keeps derived data between runs, and the ScanCode index version it depends on."""

from __future__ import annotations

import os
from functools import cache
from importlib.metadata import version
from pathlib import Path

import platformdirs


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The on-disk cache folder: ``override``, ``$LICENSELENS_CACHE_DIR`` or the user cache dir."""
    chosen = override or os.environ.get("LICENSELENS_CACHE_DIR") or platformdirs.user_cache_dir("licenselens")
    path = Path(chosen)
    path.mkdir(parents=True, exist_ok=True)
    return path


@cache
def index_version() -> str:
    """Identifies ScanCode's licence index: toolkit version plus its index cache file stamp."""
    import licensedcode

    stamp = "unbuilt"
    index_file = Path(licensedcode.__file__).parent / "data" / "cache" / "license_index" / "index_cache"
    if index_file.exists():
        st = index_file.stat()
        stamp = f"{st.st_size}-{st.st_mtime_ns}"
    return f"scancode-{version('scancode-toolkit')}-{stamp}"
