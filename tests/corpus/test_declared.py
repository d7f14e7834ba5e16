"""Declared licence against detected licences: the mislabelling audit."""

from licenselens.corpus.declared import mismatch, normalise_declared
from licenselens.scancode.licensedb import license_db
from licenselens.types.findings import Detection


def detection(key):
    return Detection("licensedcode", key, key, license_db().category(key), 100.0, 1, 1)


def test_contradictions():
    assert mismatch("MIT", (detection("gpl-3.0-plus"),), ()) == "text states GPL-3.0-or-later; declared MIT"
    assert mismatch("MIT OR Apache-2.0", (detection("apache-2.0"),), ()) is None
    assert mismatch("CC-BY-SA-4.0", (detection("cc-by-sa-4.0"),), ()) is None
    assert mismatch("CC-BY-4.0", (), ("all-rights-reserved",)) == "'all rights reserved' notice; declared CC-BY-4.0"
    assert mismatch("MIT", (detection("mit"),), ("all-rights-reserved",)) is None  # a BSD/MIT notice says it too
    assert mismatch("LicenseRef-scancode-proprietary-license", (), ("all-rights-reserved",)) is None
    assert mismatch("MIT", (detection("unknown-license-reference"),), ()) is None
    assert mismatch(None, (detection("gpl-2.0"),), ()) is None


def test_declared_values_are_normalised():
    assert normalise_declared("mit") == "MIT"
    assert normalise_declared("apache-2.0 or mit") == "Apache-2.0 OR MIT"
    assert normalise_declared("(((") is None
