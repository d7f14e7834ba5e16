from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

FIXED_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z: results.json and the reports do not depend on when tests run
ARTIFACTS = REPO / "test-artifacts"


def run_cli(*args: str, cwd: Path = REPO, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, "COLUMNS": "160"}
    done = subprocess.run(
        [sys.executable, "-m", "licenselens", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if check and done.returncode not in (0, 1, 2):
        raise AssertionError(f"licenselens {' '.join(args)} crashed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


@pytest.fixture(scope="session")
def samples_audit(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The README's first command, `licenselens audit samples/licenselens.toml`, run once for the session."""
    out = tmp_path_factory.mktemp("audit") / "out"
    done = run_cli("audit", "samples/licenselens.toml", "-o", str(out), "--jobs", "2")
    return out, done
