"""Run the licenselens CLI of another checkout (a `git worktree` of an older commit) with this venv, and
print its wall time: A/B timings of two commits on the same input, the same hour.

    git worktree add /tmp/old <commit>
    .venv/bin/python bench/run_checkout.py /tmp/old corpus CORPUS.jsonl -o /tmp/out-old -j 2
    .venv/bin/python bench/run_checkout.py .        corpus CORPUS.jsonl -o /tmp/out-new -j 2

The venv's editable install would import this checkout; the given tree is put first on ``sys.path``
(forked workers inherit it) and the import is checked.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    root = os.path.abspath(sys.argv[1])
    sys.path.insert(0, root)
    import licenselens

    assert licenselens.__file__ and licenselens.__file__.startswith(root), licenselens.__file__
    from licenselens.cli import main as cli

    sys.argv = ["licenselens", *sys.argv[2:]]
    started = time.perf_counter()
    try:
        cli()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    print(f"{root}: {time.perf_counter() - started:.1f}s, exit {code}", file=sys.stderr)


if __name__ == "__main__":
    main()
