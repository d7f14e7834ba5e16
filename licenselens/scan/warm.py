"""The scan's warm server: per-file analysis in one long-lived process that keeps ScanCode's index loaded
(``licenselens check --warm-server``, the pre-commit hooks). The transport is ``execution.warm``; this
module says what is served and under which key, so that a server never answers for other code or rules."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import licenselens
from licenselens.detectors import DETECTORS
from licenselens.execution import warm
from licenselens.scan.analyse import Task, analyse_files, warm_up
from licenselens.scan.cache import stack_version
from licenselens.scan.options import ScanOptions
from licenselens.scancode.calls import forget_file_types
from licenselens.scancode.licensedb import facts_ready, load_facts, store_facts
from licenselens.scancode.patches import install as install_scancode_patches
from licenselens.types.convert import to_jsonable
from licenselens.types.findings import Findings, findings_from_dict

IDLE_SECONDS = 600.0  # how long a server waits for the next commit before it goes


def _code_stamp() -> str:
    """Changes with any source file of this installation (an editable install is edited in place)."""
    root = Path(licenselens.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def server_key(options: ScanOptions) -> str:
    raw = f"{stack_version(options)}|{_code_stamp()}|{os.path.realpath(sys.executable)}"
    return "scan-" + hashlib.sha256(raw.encode()).hexdigest()[:20]


def analyse_warm(tasks: list[Task], options: ScanOptions) -> list[Findings] | None:
    """The findings of ``tasks`` from the warm server, or None (after starting one for the next run)."""
    key = server_key(options)
    # a fresh cache folder has no index facts (what the summary and the pre-tests read): the server has them
    request = {"tasks": [[os.path.abspath(t[0]), *t[1:]] for t in tasks], "facts": not facts_ready()}
    answer = warm.ask(key, request)
    if isinstance(answer, dict) and len(answer.get("findings") or ()) == len(tasks):
        if isinstance(answer.get("facts"), dict):
            store_facts(answer["facts"])
        return [findings_from_dict(a) for a in answer["findings"]]
    try:
        warm.start(key, __name__, ["--idle", str(_idle_seconds())])
    except Exception:  # noqa: BLE001 - no server (an unusable runtime folder): this run works alone anyway
        pass
    return None


def _idle_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get("LICENSELENS_WARM_IDLE", IDLE_SECONDS)))
    except ValueError:
        return IDLE_SECONDS


def _handle(request: dict) -> dict:
    forget_file_types()
    tasks = [tuple(task) for task in request["tasks"]]
    # in the server itself: workers forked per request would copy the index pages they touch and build
    # ScanCode's first-use state again (4 files: 2.8-3.3 s on two forked workers, 1.4 s here)
    found = analyse_files(tasks, 1)
    answer = [to_jsonable(found[task[0]]) for task in tasks]
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} analysed {len(answer)} files", file=sys.stderr, flush=True)
    return {"findings": answer, "facts": load_facts() if request.get("facts") else None}


def _setup() -> None:
    install_scancode_patches()
    warm_up(tuple(DETECTORS))  # once here: per request it would cost every commit about a second


def main() -> int:
    parser = argparse.ArgumentParser(description="licenselens's warm scan server (started on demand)")
    parser.add_argument("--key", required=True)
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS)
    args = parser.parse_args()
    return warm.serve(args.key, _handle, args.idle, _setup)


if __name__ == "__main__":
    raise SystemExit(main())
