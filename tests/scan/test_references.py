from __future__ import annotations

from licenselens.scan.options import ScanOptions
from licenselens.scan.references import use_referenced, walk_order
from licenselens.scan.runner import scan_tree
from licenselens.types.findings import Detection

from ..conftest import SITE_PACKAGES


def test_a_reference_to_license_takes_its_matches_like_scancode(tmp_path):
    dist = next(SITE_PACKAGES.glob("click-*.dist-info"))
    for name in ("METADATA", "RECORD"):
        (tmp_path / name).write_bytes((dist / name).read_bytes())
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "LICENSE.txt").write_bytes((dist / "licenses" / "LICENSE.txt").read_bytes())
    result, _ = scan_tree([str(tmp_path)], ScanOptions(jobs=1, use_cache=False))
    record = next(f for f in result.files if f.path == "RECORD")
    detection = next(d for d in record.detections if d.detector == "licensedcode")
    # ScanCode 32.5 reports exactly this for click's RECORD (bsd-new from the LICENSE.txt it names)
    assert detection.license_expression == "bsd-new"
    assert {m.from_file for m in detection.matches} == {None, "licenses/LICENSE.txt"}
    assert any(m.referenced_filenames for m in detection.matches if m.from_file is None)


def test_rules_of_use_referenced_license_expression():
    unknown = Detection("licensedcode", "unknown-license-reference", "", "", 100, 1, 1)
    mit = Detection("licensedcode", "mit", "MIT", "", 100, 1, 1)
    assert use_referenced("bsd-new", unknown)
    assert use_referenced("mit", mit)
    assert not use_referenced(None, mit)
    assert not use_referenced("a AND b AND c AND d AND e AND f", mit)


def test_walk_order_is_scancode_bottom_up():
    paths = ["b/x", "a.txt", "b/c/y", "z.txt", "b/a"]
    assert sorted(paths, key=walk_order) == ["a.txt", "z.txt", "b/a", "b/x", "b/c/y"]
