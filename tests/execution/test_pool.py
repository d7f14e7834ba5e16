"""Worker processes that die (segfault, out-of-memory kill) lose only the task that kills them, never the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from licenselens.execution.pool import HeadStart, run_tasks

from ..conftest import REPO


def square_or_die(task):
    value, marker = task
    if value == 3:
        os.kill(os.getpid(), signal.SIGSEGV)  # dies every time, like a crash in native code
    if value == 5 and marker and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)  # dies once, like a worker the OOM killer picked
    return value * value


def test_the_task_that_kills_its_worker_is_named_and_every_other_finishes(tmp_path):
    tasks = [(i, str(tmp_path / "died-once")) for i in range(10)]
    results, lost = {}, {}
    run_tasks(square_or_die, tasks, 2, lambda i, v: results.__setitem__(i, v), lambda i, m: lost.__setitem__(i, m))
    assert results == {i: i * i for i in range(10) if i != 3}  # 5 was retried alone and finished
    assert list(lost) == [3] and "in each of 2 runs on its own" in lost[3]


def test_one_job_at_a_time_also_isolates(tmp_path):
    results, lost = {}, {}
    run_tasks(square_or_die, [(3, ""), (4, "")], 1, results.__setitem__, lost.__setitem__)
    assert results == {1: 16} and list(lost) == [0]


def test_a_head_start_hands_back_the_task_it_died_on():
    tasks = [(3, "")] + [(i, "") for i in range(4, 30)]  # the first kills whoever runs it
    head = HeadStart(square_or_die, tasks)
    time.sleep(1.0)  # it has taken the first task and died on it by now
    taken = head.stop()
    early, unfinished = head.finish()
    assert taken == 1 and early == [] and unfinished == [0]


def slow_square(value):
    time.sleep(0.01)
    return value * value


def test_a_head_start_runs_the_tasks_it_took_before_it_was_stopped_each_once():
    tasks = list(range(1000))
    head = HeadStart(slow_square, tasks)
    time.sleep(1.0)
    taken = head.stop()
    results = dict(head.ready())
    late, unfinished = head.finish()
    results.update(late)
    assert 0 < taken < len(tasks) and unfinished == []
    assert results == {i: i * i for i in range(taken)}


# The fault is injected from outside, as a crash would come: licenselens runs unchanged in the child.
FAULT = textwrap.dedent('''
    import os, signal
    import licenselens.scan.analyse as analyse
    import licenselens.corpus.analyser as signals
    import licenselens.detectors.licensedcode as licensedcode
    def dies_on_poison(original):
        def wrapped(*args, **kwargs):
            if "poison" in repr(args):
                os.kill(os.getpid(), signal.SIGSEGV)
            return original(*args, **kwargs)
        return wrapped
    analyse.examine = dies_on_poison(analyse.examine)
    signals.DocumentAnalyser.analyse = dies_on_poison(signals.DocumentAnalyser.analyse)
    def dies_matching_licences(original):
        def wrapped(location, *args, **kwargs):
            if "licence-crash" in location:
                os.kill(os.getpid(), signal.SIGSEGV)
            return original(location, *args, **kwargs)
        return wrapped
    licensedcode.file_licenses = dies_matching_licences(licensedcode.file_licenses)
''')


def run(args, tmp_path, fault=True):
    env = dict(os.environ)
    if fault:
        (tmp_path / "fault").mkdir(exist_ok=True)
        (tmp_path / "fault" / "sitecustomize.py").write_text(FAULT, encoding="utf-8")
        env["PYTHONPATH"] = f"{tmp_path / 'fault'}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run(
        [sys.executable, "-m", "licenselens", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_scan_reports_a_file_whose_worker_dies_and_scans_the_rest(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(6):
        (tree / f"f{i}.py").write_text(f"# SPDX-License-Identifier: MIT\nx = {i}\n", encoding="utf-8")
    (tree / "poison.py").write_text("# SPDX-License-Identifier: MIT\n", encoding="utf-8")
    done = run(
        ["scan", str(tree), "--format", "json", "-o", str(tmp_path / "out.json"), "-j", "2", "--no-cache"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    files = {f["path"]: f for f in json.loads((tmp_path / "out.json").read_text())["files"]}
    assert [e["code"] for e in files["poison.py"]["errors"]] == ["worker-died"]
    assert all(files[f"f{i}.py"]["license_expression_spdx"] == "MIT" for i in range(6))


def test_a_file_whose_licence_matching_kills_its_worker_keeps_its_copyright(tmp_path):
    # a scan on 2 processes runs the copyright detector and ScanCode's licence matcher in separate tasks
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "licence-crash.py").write_text(
        "# Copyright (c) 2020 Jane Doe\n# Licensed under the MIT License.\n", encoding="utf-8"
    )
    (tree / "fine.py").write_text("# Copyright (c) 2021 Joe Bloggs\n# Licensed under the MIT License.\n")
    done = run(
        ["scan", str(tree), "--format", "json", "-o", str(tmp_path / "out.json"), "-j", "2", "--no-cache"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    files = {f["path"]: f for f in json.loads((tmp_path / "out.json").read_text())["files"]}
    crashed = files["licence-crash.py"]
    assert [e["code"] for e in crashed["errors"]] == ["worker-died"] and crashed["detections"] == []
    assert [c["value"] for c in crashed["copyrights"]] == ["Copyright (c) 2020 Jane Doe"]
    assert files["fine.py"]["license_expression_spdx"] == "MIT" and files["fine.py"]["errors"] == []


def test_corpus_names_the_shard_whose_worker_dies_and_a_rerun_finishes_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a", "b", "poison", "c"):
        (data / f"{name}.jsonl").write_text(json.dumps({"id": name, "text": f"Text of {name}."}) + "\n")
    (tmp_path / "m.toml").write_text('[[datasets]]\nname = "d"\nstage = "sft"\nkind = "qa"\npaths = ["data/*.jsonl"]\n')
    out = tmp_path / "out"
    done = run(["corpus", str(tmp_path / "m.toml"), "-o", str(out), "-j", "2"], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "1 shard(s) not finished" in done.stderr and "poison.jsonl" in done.stderr
    finished = run(
        ["corpus", str(tmp_path / "m.toml"), "-o", str(out), "-j", "2", "--format", "json"], tmp_path, fault=False
    )
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["totals"]["documents"] == 4
    assert "3 from an earlier run" in finished.stderr or "from an earlier run" in finished.stderr
