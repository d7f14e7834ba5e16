"""Files of a directory tree or single files, as a repository scanner should see them.

Inside a git work tree, git itself says which files are not ignored (every
.gitignore level, info/exclude and the global excludes are honoured exactly);
elsewhere, and for a root that git ignores as a whole, every file is taken. ``.git/`` is never entered and symbolic links
are never followed out of the scanned root.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

from licenselens.sources.base import Entry, Source

_GIT_UNREADABLE = re.compile(r"^warning: could not open directory '(.+?)/?': (.+)$")


def _git_listing(root: Path, unreadable: dict[str, str]) -> list[str] | None:
    """Relative paths of the non-ignored files under ``root``, or None outside a git work tree.
    Folders git could not list go to ``unreadable`` (path: reason) and into the listing."""
    try:
        inside = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        # a root that git itself ignores (a virtualenv, a build folder) was asked for explicitly
        ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "."], capture_output=True, timeout=30)
        if ignored.returncode == 0:
            return None
        listing = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if listing.returncode != 0:
        return None
    paths = [os.fsdecode(p) for p in listing.stdout.split(b"\0") if p]
    for line in listing.stderr.splitlines():  # git skips such folders with only a warning
        found = _GIT_UNREADABLE.match(os.fsdecode(line))
        if found:
            unreadable[found[1]] = found[2]
            paths.append(found[1])
    return sorted(set(paths))


def _walk_all(root: Path, unreadable: dict[str, str]) -> list[str]:
    """Relative paths of every file; folders that cannot be listed go to ``unreadable`` (path: reason)."""
    found: list[str] = []

    def failed(exc: OSError) -> None:
        rel = os.path.relpath(exc.filename, root)
        unreadable[rel] = exc.strerror or str(exc)
        found.append(rel)

    for dirpath, dirnames, filenames in os.walk(root, onerror=failed, followlinks=False):
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


_KINDS = {
    stat.S_IFIFO: "named pipe",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}


def special_kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "special file")


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
        if not self.root.is_dir():  # a path given explicitly is followed, links included
            yield Entry(str(self.root), self._display(self.root.name), _not_a_file(self.root))
            return
        real_root = self.root.resolve()
        unreadable: dict[str, str] = {}
        listing = _git_listing(self.root, unreadable)
        if listing is None:
            listing = _walk_all(self.root, unreadable)
        for rel in listing:
            if rel.split("/", 1)[0] == ".git" or "/.git/" in f"/{rel}":
                continue
            if rel in unreadable:
                yield Entry(
                    str(self.root / rel),
                    self._display(rel),
                    ("unreadable", f"folder cannot be listed: {unreadable[rel]}"),
                )
                continue
            yield from self._judge(self.root / rel, rel, real_root)

    def _judge(self, location: Path, rel: str, real_root: Path) -> Iterator[Entry]:
        display = self._display(rel)
        try:
            mode = os.lstat(location).st_mode
        except OSError:
            return  # tracked by git but deleted in the work tree
        if stat.S_ISLNK(mode):
            try:
                target = location.resolve(strict=True)
            except (OSError, RuntimeError):
                yield Entry(str(location), display, ("broken-symlink", "symbolic link is broken or loops"))
                return
            if not target.is_relative_to(real_root):
                yield Entry(
                    str(location),
                    display,
                    ("symlink-outside-root", "symbolic link points outside the scanned root; not followed"),
                )
            # a link inside the root: its target is scanned under its own path
            return
        if stat.S_ISDIR(mode):
            return  # e.g. a submodule listed by git
        if not stat.S_ISREG(mode):  # opening a named pipe would wait for a writer forever
            yield Entry(str(location), display, _not_a_file(location))
            return
        yield Entry(str(location), display)


def _not_a_file(path: Path) -> tuple[str, str] | None:
    """Why ``path`` (links followed) is not a regular file to read, or None when it is one."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if os.path.islink(path):
            return "broken-symlink", "symbolic link is broken or loops"
        return "unreadable", exc.strerror or str(exc)
    if stat.S_ISREG(mode):
        return None
    return "not-a-regular-file", f"{special_kind(mode)}: not read"


def path_key(path: str) -> str:
    """How a corpus run's work files name a file of a source tree: a digest, so no path (which may hold a name or an
    address) is written there."""
    return hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:32]
