"""``execution.pool.alongside``: the pass it forks returns its result, raises its error, and dies with the
process that forked it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from licenselens.execution.pool import alongside


def _square(x: int) -> int:
    return x * x


def _fail() -> None:
    raise ValueError("the merge failed")


def test_result_and_error():
    with alongside(_square, 7) as future:
        pass
    assert future.result() == 49
    with alongside(_fail) as failed:
        pass
    with pytest.raises(ValueError, match="the merge failed"):
        failed.result()


def test_the_pass_dies_when_its_parent_is_killed(tmp_path):
    marker = tmp_path / "child.pid"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from licenselens.execution.pool import alongside

        def work():
            open({str(marker)!r}, "w").write(str(os.getpid()))
            time.sleep(120)

        with alongside(work):
            while not os.path.exists({str(marker)!r}):
                time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGKILL)  # the parent only, as a user's kill -9 would
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert proc.returncode == -signal.SIGKILL
    child = int(marker.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{child}/stat", encoding="ascii") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":  # dead, not yet reaped by whoever adopted it
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the forked pass outlived its parent")
