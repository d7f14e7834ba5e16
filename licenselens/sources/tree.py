"""Files of a directory tree or single files, as a repository scanner should see them.

Inside a git work tree, git itself says which files are not ignored (every
.gitignore level, info/exclude and the global excludes are honoured exactly);
elsewhere, and for a root that git ignores as a whole, every file is taken. ``.git/`` is never entered and symbolic links
are never followed out of the scanned root.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from .base import Entry, Source


def _git_listing(root: Path) -> list[str] | None:
    """Relative paths of the non-ignored files under ``root``, or None outside a git work tree."""
    try:
        inside = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True, text=True, timeout=30,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        # a root that git itself ignores (a virtualenv, a build folder) was asked for explicitly
        ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "."], capture_output=True, timeout=30)
        if ignored.returncode == 0:
            return None
        listing = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            capture_output=True, timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if listing.returncode != 0:
        return None
    paths = [os.fsdecode(p) for p in listing.stdout.split(b"\0") if p]
    return sorted(set(paths))


def _walk_all(root: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel = os.path.relpath(dirpath, root)
        for name in filenames:
            found.append(name if rel == "." else os.path.join(rel, name))
        # symlinks to directories appear in dirnames; report them as entries so they are judged below
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                dirnames.remove(d)
                found.append(d if rel == "." else os.path.join(rel, d))
    return sorted(found)


class TreeSource(Source):
    """All files under ``root`` (a directory) or ``root`` itself (a file)."""

    def __init__(self, root: str | os.PathLike, display_prefix: str = ""):
        self.root = Path(root)
        self.prefix = display_prefix

    def _display(self, rel: str) -> str:
        # names that are not valid UTF-8 keep their bytes in ``location``; results show U+FFFD
        rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace(os.sep, "/")
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def entries(self) -> Iterator[Entry]:
        if self.root.is_file():
            yield Entry(str(self.root), self._display(self.root.name))
            return
        real_root = self.root.resolve()
        listing = _git_listing(self.root)
        if listing is None:
            listing = _walk_all(self.root)
        for rel in listing:
            if rel.split("/", 1)[0] == ".git" or "/.git/" in f"/{rel}":
                continue
            location = self.root / rel
            yield from self._judge(location, rel, real_root)

    def _judge(self, location: Path, rel: str, real_root: Path) -> Iterator[Entry]:
        display = self._display(rel)
        if location.is_symlink():
            try:
                target = location.resolve(strict=True)
            except (OSError, RuntimeError):
                yield Entry(str(location), display, ("broken-symlink", "symbolic link is broken or loops"))
                return
            if not target.is_relative_to(real_root):
                yield Entry(str(location), display, ("symlink-outside-root", "symbolic link points outside the scanned root; not followed"))
            # a link inside the root: its target is scanned under its own path
            return
        if not location.exists():
            return  # tracked by git but deleted in the work tree
        if location.is_dir():
            return  # e.g. a submodule listed by git
        yield Entry(str(location), display)
