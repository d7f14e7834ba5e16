"""The two hooks of .pre-commit-hooks.yaml, run by the real pre-commit tool on a real git repository."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ..conftest import REPO, SAMPLES

PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def git(cwd, *args, check=True):
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=check, env={**os.environ, **GIT_ENV}
    )


def snapshot_of_this_checkout(dest: Path) -> str:
    """A git repository holding the working tree as it is (committed or not): pre-commit installs hooks from a rev."""
    listing = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout.split("\0")
    for rel in filter(None, listing):
        src = REPO / rel
        if not src.exists() and not src.is_symlink():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD").stdout.strip()


@pytest.mark.slow
def test_hooks_refuse_gpl_under_permissive_only_and_pass_clean_commits(tmp_path):
    hooks_repo = tmp_path / "licenselens-src"
    rev = snapshot_of_this_checkout(hooks_repo)

    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.licenselens]\npolicy = "permissive-only"\n'
    )
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: licenselens-check\n      - id: licenselens-project\n"
    )
    runtime = Path(tempfile.mkdtemp(prefix="ll-hooks-"))  # the warm server's socket (a short path)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "XDG_RUNTIME_DIR": str(runtime),
        "LICENSELENS_WARM_IDLE": "60",
    }
    try:
        _commit_clean_then_gpl(project, env, runtime / "licenselens")
    finally:
        for lock in (runtime / "licenselens").glob("*.lock"):
            if (pid := lock.read_text().strip()).isdigit():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(runtime, ignore_errors=True)


def _commit_clean_then_gpl(project: Path, env: dict, warm: Path) -> None:
    subprocess.run([PRE_COMMIT, "install"], cwd=project, check=True, env=env, capture_output=True)

    (project / "app.py").write_text("# SPDX-License-Identifier: MIT\n\ndef main():\n    return 0\n")
    git(project, "add", "-A")
    clean = subprocess.run(
        ["git", "commit", "-m", "clean"], cwd=project, capture_output=True, text=True, env={**env, **GIT_ENV}
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr

    # the first commit started the hooks' warm server: the next one is analysed there
    end = time.monotonic() + 180
    while not list(warm.glob("*.sock")) and time.monotonic() < end:
        time.sleep(0.5)
    assert list(warm.glob("*.sock")), [p.read_text() for p in warm.glob("*.log")]

    shutil.copy(SAMPLES / "plugins" / "gpl_plugin.py", project / "plugin.py")
    git(project, "add", "plugin.py")
    refused = subprocess.run(
        ["git", "commit", "-m", "add GPL plugin"], cwd=project, capture_output=True, text=True, env={**env, **GIT_ENV}
    )
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "plugin.py:4: DENY [copyleft] GPL-3.0-or-later" in output
    assert "licenselens check (changed files)" in output and "Failed" in output
    assert git(project, "log", "--oneline").stdout.count("\n") == 1, "the GPL commit must not exist"
    assert "analysed 1 files" in "".join(p.read_text() for p in warm.glob("*.log"))
