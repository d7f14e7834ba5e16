from __future__ import annotations

import pytest

from licenselens.scan.analyse import analyse_file

from ..conftest import SITE_PACKAGES

MANIFESTS = {
    "pyproject.toml": ('[project]\nname = "demo"\nversion = "1.0"\nlicense = {text = "MIT"}\n', "mit"),
    "package.json": ('{"name": "demo", "version": "1.0.0", "license": "Apache-2.0"}\n', "apache-2.0"),
    "Cargo.toml": ('[package]\nname = "demo"\nversion = "0.1.0"\nlicense = "MIT OR Apache-2.0"\n', "mit OR apache-2.0"),
    "composer.json": ('{"name": "acme/demo", "license": "GPL-3.0-or-later"}\n', "gpl-3.0-plus"),
    "pom.xml": (
        '<?xml version="1.0"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        '<modelVersion>4.0.0</modelVersion><groupId>org.acme</groupId><artifactId>demo</artifactId>'
        '<version>1.0</version>\n<licenses><license><name>Apache License, Version 2.0</name>'
        '<url>https://www.apache.org/licenses/LICENSE-2.0.txt</url></license></licenses>\n</project>\n',
        "apache-2.0",
    ),
    "demo.gemspec": (
        'Gem::Specification.new do |s|\n  s.name = "demo"\n  s.version = "1.0"\n  s.authors = ["Jane Roe"]\n  s.email = ["jane@example.org"]\n  s.license = "MIT"\nend\n',
        "mit",
    ),
}


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_declared_licence_of_manifest(tmp_path, name):
    text, expected = MANIFESTS[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    findings = analyse_file(str(path), name, 60, ("manifest",))
    assert not findings.errors
    assert expected in [d.license_expression for d in findings.detections]
    assert {d.detector for d in findings.detections} == {"manifest"}


def test_real_installed_metadata():
    metadata = next(SITE_PACKAGES.glob("rich-*.dist-info/METADATA"))
    findings = analyse_file(str(metadata), "METADATA", 60, ("manifest",))
    assert "mit" in [d.license_expression for d in findings.detections]


def test_ordinary_files_are_not_manifests(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"license": "MIT"}', encoding="utf-8")
    assert analyse_file(str(path), "notes.json", 60, ("manifest",)).detections == ()
