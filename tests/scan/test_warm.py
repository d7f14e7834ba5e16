"""The warm server behind ``check --warm-server`` (the pre-commit hooks), as real processes: started on
demand, the same answers as a run without it, a killed server replaced, concurrent commits served once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fpdf import FPDF

from ..conftest import SITE_PACKAGES, scancode_licence_text, strip_front_matter

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent / "licenselens"


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "tagged.py").write_text("# SPDX-License-Identifier: MIT\nprint('hi')\n", encoding="utf-8")
    (root / "COPYING").write_text(scancode_licence_text("gpl-2.0").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "console.py").write_bytes((SITE_PACKAGES / "rich" / "console.py").read_bytes())
    pdf = FPDF()  # a document ScanCode's typecode reads as a PDF: its type must not outlive a change
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 4, strip_front_matter(scancode_licence_text("mit").read_text(encoding="utf-8")))
    pdf.output(str(root / "DOC"))
    runtime = Path(tempfile.mkdtemp(prefix="ll-warm-"))  # short: a socket's path has 108 bytes at most
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "LICENSELENS_WARM_IDLE": "60"}
    yield root, runtime / "licenselens", env
    for lock in (runtime / "licenselens").glob("*.lock"):
        _kill(lock)
    shutil.rmtree(runtime, ignore_errors=True)


def _pid(lock: Path) -> int | None:
    text = lock.read_text().strip() if lock.exists() else ""
    return int(text) if text.isdigit() else None


def _kill(lock: Path) -> None:
    pid = _pid(lock)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _check(root: Path, env: dict, out: str) -> subprocess.CompletedProcess:
    args = [str(BIN), "check", "--warm-server", "--no-cache", "--policy", "permissive-only", "--format", "json"]
    return subprocess.run(
        [*args, "-o", out, "tagged.py", "COPYING", "console.py", "DOC"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


def _served(folder: Path) -> int:
    return sum(line.count("analysed 4 files") for log in folder.glob("*.log") for line in log.read_text().splitlines())


def _wait_for_socket(folder: Path, seconds: float = 180) -> Path:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        socks = list(folder.glob("*.sock"))
        if socks:
            return socks[0]
        time.sleep(0.5)
    raise AssertionError(f"no server socket; logs: {[p.read_text() for p in folder.glob('*.log')]}")


def _report(root: Path, name: str) -> dict:
    return json.loads((root / name).read_text())


def test_started_on_demand_same_answers_and_replaced_when_killed(project):
    root, folder, env = project
    first = _check(root, env, "first.json")
    assert first.returncode == 1, first.stderr  # COPYING is GPL: denied by permissive-only
    _wait_for_socket(folder)
    assert _served(folder) == 0  # the first run did the work itself
    second = _check(root, env, "second.json")
    assert second.returncode == 1, second.stderr
    assert _served(folder) == 1
    assert _report(root, "second.json") == _report(root, "first.json")
    assert sorted(p.name for p in root.iterdir()) == [  # nothing written into the checked tree
        "COPYING",
        "DOC",
        "console.py",
        "first.json",
        "second.json",
        "tagged.py",
    ]
    # the PDF becomes a GPL text between two commits: the server reads it anew (no type remembered by path)
    pdf_bytes = (root / "DOC").read_bytes()
    (root / "DOC").write_bytes((root / "COPYING").read_bytes())
    _check(root, env, "changed.json")
    assert _served(folder) == 2
    assert {f["path"] for f in _report(root, "changed.json")["findings"]} == {"COPYING", "DOC"}
    (root / "DOC").write_bytes(pdf_bytes)

    lock = next(folder.glob("*.lock"))
    old = _pid(lock)
    _kill(lock)
    time.sleep(0.5)
    assert list(folder.glob("*.sock")), "a killed server leaves its socket behind"
    again = _check(root, env, "again.json")  # connection refused: does the work itself, starts a new one
    assert again.returncode == 1, again.stderr
    assert _report(root, "again.json") == _report(root, "first.json")
    end = time.monotonic() + 180
    while time.monotonic() < end and _pid(lock) in (None, old):
        time.sleep(0.5)
    assert _pid(lock) not in (None, old)
    _wait_for_socket(folder)
    time.sleep(1)
    _check(root, env, "served.json")
    assert _report(root, "served.json") == _report(root, "first.json")
    assert _served(folder) == 3


_PEAK = (
    "import os, sys\n"
    "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
)


def test_a_fresh_cache_folder_gets_the_index_facts_from_the_server(project, tmp_path):
    """Without the index's facts the client would load ScanCode's index itself to tell which files need it
    and to summarise: the server, which has the index, sends them with its answer."""
    from licenselens.scancode.licensedb import index_version, load_facts

    root, folder, env = project
    reference = _check(root, env, "reference.json")  # starts the server
    _wait_for_socket(folder)
    fresh = tmp_path / "fresh-cache"
    args = [str(BIN), "check", "--warm-server", "--no-cache", "--policy", "permissive-only", "--format", "json"]
    # the client's peak memory, from a small process that starts it: a child forked from this test process
    # would count this process's memory (ScanCode's index, when an earlier test loaded it) as its own peak
    measured = subprocess.run(
        [sys.executable, "-c", _PEAK, *args, "-o", "fresh.json", "tagged.py", "COPYING", "console.py", "DOC"],
        cwd=root,
        env={**env, "LICENSELENS_CACHE_DIR": str(fresh)},
        capture_output=True,
        text=True,
    )
    returncode, peak_kib = (int(v) for v in measured.stdout.split())
    assert returncode == reference.returncode, measured.stderr
    assert peak_kib < 600 * 1024, "the client loaded ScanCode's index (over a GB) instead of asking"
    assert _served(folder) == 1
    assert _report(root, "fresh.json") == _report(root, "reference.json")
    facts = json.loads((fresh / f"scancode-facts-{index_version()}.json").read_text(encoding="utf-8"))
    assert facts == load_facts()


def test_concurrent_commits_start_one_server(project):
    root, folder, env = project
    args = [str(BIN), "check", "--warm-server", "--no-cache", "--policy", "permissive-only", "--format", "json"]
    procs = [
        subprocess.Popen(
            [*args, "-o", f"c{i}.json", "tagged.py", "COPYING", "console.py", "DOC"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(2)
    ]
    for p in procs:
        assert p.wait(timeout=600) == 1, p.stderr.read() if p.stderr else ""
    reports = [_report(root, f"c{i}.json") for i in range(2)]
    assert reports[0] == reports[1]
    _wait_for_socket(folder)
    time.sleep(2)  # any second server started by the others has found the lock taken and gone
    key = next(folder.glob("*.lock")).stem
    assert len(_servers(key, folder)) == 1


def _servers(key: str, folder: Path) -> list[str]:
    """Servers of ``key`` for this runtime folder (other tests run servers of the same key in theirs)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            if (
                pid.isdigit()
                and key.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
                and str(folder.parent).encode() in Path(f"/proc/{pid}/environ").read_bytes()
            ):
                found.append(pid)
        except OSError:
            pass  # gone meanwhile
    return found


def test_files_that_need_no_index_start_no_server(tmp_path):
    """The server only saves the index load: a commit of files none of whose detectors need it stays local."""
    from licenselens.scancode.licensedb import load_facts

    load_facts()  # in the session's cache folder, as after any earlier run: which files need the index is known
    runtime = Path(tempfile.mkdtemp(prefix="ll-warm-"))
    try:
        root = tmp_path / "plain"
        root.mkdir()
        (root / "util.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
        env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "LICENSELENS_WARM_IDLE": "60"}
        done = subprocess.run(
            [str(BIN), "check", "--warm-server", "--no-cache", "--policy", "permissive-only", "util.py"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        time.sleep(1)
        assert not list((runtime / "licenselens").glob("*")), "no server, no lock, no log"
    finally:
        for lock in (runtime / "licenselens").glob("*.lock"):
            _kill(lock)
        shutil.rmtree(runtime, ignore_errors=True)
