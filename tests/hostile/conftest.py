"""Helpers of the hostile-input suite: run the real CLI in a child process, measure it, watch the inputs.

Every input is generated in tmp_path at run time. A run is measured with ``os.wait4``: its peak RSS is
the largest resident set of the CLI process and of every worker it waited for (Linux ``ru_maxrss``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import scancode_licence_text, strip_front_matter

MiB = 2**20
GiB = 2**30
# measured on the reference machine (docs/limits.md): the CLI alone peaks at ~0.24 GB; a run that loads
# ScanCode's licence index at ~1.45 GB (the index is ~1.2 GB of it). Bounds leave room above both.
BOUND_WITHOUT_INDEX = 512 * MiB
BOUND_WITH_INDEX = 2 * GiB

# without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH root obeys permission bits like any user, and still
# owns (so may write) everything the test created: the way to have unreadable files when tests run as root
DROP_DAC = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
    "--",
]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss: int  # bytes
    seconds: float

    def json(self):
        return json.loads(self.stdout)


# A child forked from pytest starts with pytest's own peak RSS on its record (Linux keeps the high-water
# mark across fork and exec), so runs are measured from a small launcher: it forks the CLI, waits for it
# with wait4 (the CLI's peak and that of every worker it reaped), writes the peak and passes the exit on.
LAUNCHER = """
import os, signal, sys
out, timeout, command = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
pid = os.fork()
if pid == 0:
    os.execvp(command[0], command)
signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
signal.alarm(timeout)
_, status, usage = os.wait4(pid, 0)
with open(out, "w") as fh:
    fh.write(str(usage.ru_maxrss * 1024))
os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
"""


def run_cli(*args, cwd, timeout: int = 240, prefix: tuple[str, ...] | list[str] = ()) -> Run:
    """``python -m licenselens ARGS`` in a child process; its exit code, output, peak RSS and wall time."""
    with tempfile.TemporaryDirectory() as scratch:
        peak = Path(scratch) / "peak"
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                LAUNCHER,
                peak,
                str(timeout),
                *prefix,
                sys.executable,
                "-m",
                "licenselens",
                *map(str, args),
            ],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        run = Run(
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
            int(peak.read_text()),
            round(time.monotonic() - started, 2),
        )
    print(f"licenselens {args[0]}: exit {run.returncode}, peak RSS {run.peak_rss / MiB:.0f} MiB, {run.seconds:.1f} s")
    assert run.returncode != 128 + 9, f"killed after {timeout} s: {run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    return run


def snapshot(root: Path) -> dict[bytes, tuple[int, int, int]]:
    """Every name under ``root`` (links not followed) with its mode, size and modification time."""
    found = {b".": _stamp(os.lstat(root))}
    base = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, base)] = _stamp(os.lstat(path))
    return found


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_mode, st.st_size, st.st_mtime_ns


def sparse_single_line(path: Path, size: int, head: bytes) -> None:
    """A file of ``size`` bytes with no newline: ``head``, then a hole (no disk blocks, written instantly)."""
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)


def mit_text() -> str:
    return strip_front_matter(scancode_licence_text("mit").read_text(encoding="utf-8"))


@pytest.fixture
def unprivileged() -> list[str]:
    """A prefix that makes a child obey permission bits, or skip when no way to do so is available."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permission bits cannot be made to apply")
    probe = subprocess.run([*DROP_DAC, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.decode(errors='replace')}")
    return DROP_DAC
