from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "repo"
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def scancode_licence_text(key: str) -> Path:
    """A licence text as shipped in ScanCode's own data (real, not written here)."""
    import licensedcode

    return Path(licensedcode.__file__).parent / "data" / "licenses" / f"{key}.LICENSE"


@pytest.fixture(scope="session", autouse=True)
def _session_cache_dir(tmp_path_factory):
    """One cache folder for the whole session, never the user's real cache."""
    path = tmp_path_factory.mktemp("licenselens-cache")
    os.environ["LICENSELENS_CACHE_DIR"] = str(path)
    yield path


@pytest.fixture(scope="session", autouse=True)
def _scancode_patches():
    """The test process calls ScanCode as a worker does: with the patches installed once, explicitly (tests
    that compare them with ScanCode's own functions switch them off and back on)."""
    from licenselens.scancode import patches

    patches.install()


def strip_front_matter(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        return text[end + 4 :].lstrip("\n")
    return text


SHARED_DATA = REPO.parent / "shared" / "data"


def shakespeare() -> str:
    return (SHARED_DATA / "tinyshakespeare.txt").read_text(encoding="utf-8")


def mencius_paragraphs() -> list[str]:
    import json

    chapters = json.loads((SHARED_DATA / "sishu_mengzi.json").read_text(encoding="utf-8"))
    return [p for chapter in chapters for p in chapter["paragraphs"]]


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
