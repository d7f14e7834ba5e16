from __future__ import annotations

from licenselens.cache import FindingsCache
from licenselens.types import Detection, Findings, LicenseMatch, Statement

FINDINGS = Findings(
    detections=(Detection("licensedcode", "mit", "MIT", "Permissive", 100.0, 1, 3,
                          (LicenseMatch("mit", "MIT", 1, 3, 100.0, 161, "mit.LICENSE", "2-aho"),)),),
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
