from __future__ import annotations

from licenselens.scan.cache import FindingsCache
from licenselens.types.findings import Detection, Findings, LicenseMatch, Statement

FINDINGS = Findings(
    detections=(
        Detection(
            "licensedcode",
            "mit",
            "MIT",
            "Permissive",
            100.0,
            1,
            3,
            (LicenseMatch("mit", "MIT", 1, 3, 100.0, 161, "mit.LICENSE", "2-aho"),),
        ),
    ),
    statements=(Statement("holder", "Jane", 1, 1, "copyright"),),
)


def test_round_trip(tmp_path):
    cache = FindingsCache(tmp_path / "c.sqlite3")
    cache.put_many([("k1", FINDINGS)])
    cache.close()
    assert FindingsCache(tmp_path / "c.sqlite3").get_many(["k1", "k2"]) == {"k1": FINDINGS}


def test_corrupt_cache_is_set_aside_and_rebuilt(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = FindingsCache(path)
    assert cache.get_many(["k1"]) == {}
    cache.put_many([("k1", FINDINGS)])
    assert cache.get_many(["k1"]) == {"k1": FINDINGS}
    assert any(p.name.startswith("c.sqlite3.corrupt-") for p in tmp_path.iterdir())


def test_unreadable_entry_is_recomputed_not_trusted(tmp_path):
    cache = FindingsCache(tmp_path / "c.sqlite3")
    with cache.conn:
        cache.conn.execute("INSERT INTO findings VALUES ('bad', '{\"detections\": 5}')")
    assert cache.get_many(["bad"]) == {}


WRITER = """
import sys
from licenselens.scan.cache import FindingsCache
from tests.scan.test_cache import FINDINGS
cache, run = FindingsCache(__import__("pathlib").Path(sys.argv[1])), sys.argv[2]
batch = 0
while True:
    cache.put_many([(f"{run}-{batch}-{i}", FINDINGS) for i in range(2000)])
    batch += 1
"""


def test_a_writer_killed_at_random_points_leaves_whole_batches_and_a_sound_cache(tmp_path):
    """SQLite in WAL mode: each put_many is one transaction, so a SIGKILL keeps it whole or not at all."""
    import random
    import signal
    import sqlite3
    import subprocess
    import sys
    import time
    from collections import Counter

    from ..conftest import REPO

    path = tmp_path / "c.sqlite3"
    rng = random.Random(8)
    for run in range(5):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"r{run}"], cwd=REPO)
        time.sleep(rng.uniform(0.8, 2.0))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert writer.returncode == -signal.SIGKILL  # it was still writing when killed
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        batches = Counter(key.rsplit("-", 1)[0] for (key,) in conn.execute("SELECT key FROM findings"))
        conn.close()
        assert batches and set(batches.values()) == {2000}  # whole batches only
        assert any(b.startswith(f"r{run}-") for b in batches)
    cache = FindingsCache(path)  # reopened by licenselens, not set aside as corrupt
    assert cache.get_many(["r0-0-0"]) == {"r0-0-0": FINDINGS}
    assert not any(p.name.startswith("c.sqlite3.corrupt-") for p in tmp_path.iterdir())
