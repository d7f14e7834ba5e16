from __future__ import annotations

import os
import subprocess

from licenselens.sources.tree import TreeSource


def entries(root):
    return {e.path: e for e in TreeSource(root).entries()}


def test_gitignore_is_honoured_in_git_repos(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("build/\n*.log\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "gen.py").write_text("x = 1\n")
    (tmp_path / "debug.log").write_text("log\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    (tmp_path / "src" / ".gitignore").write_text("local.txt\n")
    (tmp_path / "src" / "local.txt").write_text("l\n")
    found = entries(tmp_path)
    assert set(found) == {".gitignore", "src/a.py", "src/.gitignore"}


def test_without_git_every_file_is_taken_but_not_dot_git(tmp_path):
    (tmp_path / ".gitignore").write_text("*.log\n")
    (tmp_path / "debug.log").write_text("log\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]\n")
    assert set(entries(tmp_path)) == {".gitignore", "debug.log"}


def test_symlinks_are_not_followed_out_of_the_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("GPL\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "real.txt").write_text("text\n")
    os.symlink(outside / "secret.txt", root / "out-file")
    os.symlink(outside, root / "out-dir")
    os.symlink(root / "real.txt", root / "inside-link")
    os.symlink(root / "loop", root / "loop")
    found = entries(root)
    assert found["out-file"].problem[0] == "symlink-outside-root"
    assert found["out-dir"].problem[0] == "symlink-outside-root"
    assert found["loop"].problem[0] == "broken-symlink"
    assert "inside-link" not in found and found["real.txt"].problem is None
    assert not any(p.startswith("out-dir/") for p in found)


def test_single_file(tmp_path):
    f = tmp_path / "one.py"
    f.write_text("x\n")
    assert list(entries(f)) == ["one.py"]


def test_a_root_that_git_ignores_is_scanned_whole(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(".venv/\n")
    site = tmp_path / ".venv" / "site-packages"
    site.mkdir(parents=True)
    (site / "mod.py").write_text("x = 1\n")
    assert set(entries(site)) == {"mod.py"}
