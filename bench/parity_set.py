#!/usr/bin/env python3
"""Build a comparison set for licence parity with ScanCode: real licence texts and rules from ScanCode's
own data, put into files the way they occur in the wild, plus files that are not plain text.

Not a test; run it by hand, then compare with ScanCode file by file::

    .venv/bin/python bench/parity_set.py --out /tmp/parity [--rules 400] [--licences 80]
    .venv/bin/python bench/scan_vs_scancode.py --tree /tmp/parity --jobs 2

What goes in (deterministic: every k-th rule and licence in sorted order, styles and encodings in turn):

* rules and licence texts as comment headers of source files in 20 languages and comment styles,
  as the whole file, and inside a docstring or a markup comment; encodings UTF-8, UTF-8 with a BOM,
  UTF-16 with a BOM, Latin-1 (where the text fits); line endings LF, CRLF and CR;
* PDFs of licence texts written by a PDF library (fpdf2);
* RTF documents of other licence texts written by pandoc (Debian package ``pandoc``; skipped without it);
* compiled executables (the system C compiler) holding a licence notice as a string;
* source files with a licence header and control bytes (NUL, SOH, ...) in a string literal;
* one-line licence references: NuGet licence URLs, SPDX, OSI, GNU, Apache and Creative Commons URLs.

Real repositories go in the comparison with ``scan_vs_scancode.py --tree`` on their own checkout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

# (extension, first line, line prefix, last line): how a header comment is written
STYLES = [
    ("c", "/*", " * ", " */"),
    ("java", "/*", " * ", " */"),
    ("js", "//", "// ", ""),
    ("go", "", "// ", ""),
    ("rs", "", "// ", ""),
    ("py", "", "# ", ""),
    ("sh", "#!/bin/sh", "# ", ""),
    ("rb", "", "# ", ""),
    ("sql", "", "-- ", ""),
    ("hs", "{-", "  ", "-}"),
    ("lisp", "", ";; ", ""),
    ("bat", "@echo off", "REM ", ""),
    ("vb", "", "' ", ""),
    ("tex", "", "% ", ""),
    ("f90", "", "! ", ""),
    ("html", "<!--", "  ", "-->"),
    ("xml", '<?xml version="1.0"?>\n<!--', "", "-->"),
    ("md", "", "", ""),
    ("txt", "", "", ""),
    ("pyi", '"""', "", '"""'),
]
BODIES = {
    "c": "int main(void) { return 0; }",
    "java": "public class Example {}",
    "js": "module.exports = {};",
    "go": "package example",
    "rs": "fn main() {}",
    "py": "def main():\n    return 0",
    "sh": 'echo "ok"',
    "rb": "puts 'ok'",
    "sql": "SELECT 1;",
    "hs": "main = pure ()",
    "lisp": "(defun main () nil)",
    "bat": "echo ok",
    "vb": "Module Example\nEnd Module",
    "tex": "\\documentclass{article}",
    "f90": "program example\nend program example",
    "html": "<p>example</p>",
    "xml": "<example/>",
    "md": "",
    "txt": "",
    "pyi": "def main() -> int: ...",
}
ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]
NEWLINES = ["\n", "\n", "\r\n", "\n", "\r"]
URLS = [
    "https://licenses.nuget.org/MIT",
    "https://licenses.nuget.org/Apache-2.0",
    "https://licenses.nuget.org/(MIT OR Apache-2.0)",
    "<licenseUrl>https://licenses.nuget.org/BSD-3-Clause</licenseUrl>",
    "https://opensource.org/licenses/MIT",
    "http://www.apache.org/licenses/LICENSE-2.0",
    "https://spdx.org/licenses/BSD-2-Clause.html",
    "https://www.gnu.org/licenses/gpl-3.0.html",
    "https://www.gnu.org/licenses/lgpl-2.1.html",
    "https://creativecommons.org/licenses/by/4.0/",
    "https://creativecommons.org/licenses/by-sa/4.0/legalcode",
    "http://www.mozilla.org/MPL/2.0/",
    "license: https://opensource.org/licenses/ISC",
    "See https://www.boost.org/LICENSE_1_0.txt",
]


def body_of(path: Path) -> str:
    """A ScanCode rule or licence file without its YAML front matter."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        _, _, rest = text[3:].partition("\n---")
        text = rest.split("\n", 1)[1] if "\n" in rest else ""
    return text.strip("\n")


def every_kth(paths: list[Path], count: int) -> list[Path]:
    step = max(1, len(paths) // count)
    return paths[::step][:count]


def wrapped(text: str, style: tuple[str, str, str, str]) -> str:
    ext, first, prefix, last = style
    lines = [first] if first else []
    lines += [(prefix + line).rstrip() for line in text.splitlines()]
    if last:
        lines.append(last)
    body = BODIES[ext]
    return "\n".join(lines) + ("\n\n" + body if body else "") + "\n"


def write_text(path: Path, text: str, encoding: str, newline: str) -> str:
    try:
        data = text.replace("\n", newline).encode(encoding)
    except UnicodeEncodeError:
        encoding = "utf-8"
        data = text.replace("\n", newline).encode(encoding)
    path.write_bytes(data)
    return encoding


def build(out: Path, rules: int, licences: int, pdfs: int, binaries: int, rtfs: int) -> dict:
    import licensedcode

    data = Path(licensedcode.__file__).parent / "data"
    rule_files = every_kth(sorted((data / "rules").glob("*.RULE")), rules)
    licence_files = every_kth(sorted((data / "licenses").glob("*.LICENSE")), licences)
    counts: dict[str, int] = {}

    def add(kind: str) -> int:
        counts[kind] = counts.get(kind, 0) + 1
        return counts[kind]

    texts = [(p, body_of(p)) for p in rule_files + licence_files]
    texts = [(p, t) for p, t in texts if t.strip()]
    headers = out / "headers"
    headers.mkdir(parents=True)
    for i, (source, text) in enumerate(texts):
        style = STYLES[i % len(STYLES)]
        encoding, newline = ENCODINGS[i % len(ENCODINGS)], NEWLINES[(i // 3) % len(NEWLINES)]
        name = f"{source.stem}.{style[0]}"
        write_text(headers / name, wrapped(text, style), encoding, newline)
        add(f"header-{style[0]}")

    docs = out / "pdf"
    docs.mkdir()
    from fpdf import FPDF

    for source in licence_files[:pdfs]:
        text = body_of(source).encode("latin-1", "replace").decode("latin-1")
        if not text.strip():
            continue
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 4, text)
        pdf.output(str(docs / f"{source.stem}.pdf"))
        add("pdf")

    rich = out / "rtf"
    rich.mkdir()
    pandoc = shutil.which("pandoc")
    for source in licence_files[pdfs : pdfs + rtfs] if pandoc else []:
        text = body_of(source)
        if not text.strip():
            continue
        # each paragraph as plain text (pandoc's markdown reader would read * and _ as emphasis)
        subprocess.run(
            [pandoc, "--from", "markdown-smart", "--to", "rtf", "--standalone", "-o", str(rich / f"{source.stem}.rtf")],
            input=text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_"),
            text=True,
            check=True,
        )
        add("rtf")

    compiled = out / "bin"
    compiled.mkdir()
    cc = shutil.which("cc")
    for source, text in texts[:binaries] if cc else []:
        literal = json.dumps(text)  # a C string literal: quotes, backslashes and newlines escaped
        program = compiled / f"{source.stem}.c"
        program.write_text(
            f'#include <stdio.h>\nconst char *notice = {literal};\nint main(void) {{ return puts(notice) < 0; }}\n'
        )
        subprocess.run([cc, "-O0", "-o", str(compiled / source.stem), str(program)], check=True)
        program.unlink()
        add("executable")

    control = out / "control-bytes"
    control.mkdir()
    for source, text in texts[: max(10, binaries)]:
        header = wrapped(text, STYLES[1]).split("public class")[0]
        (control / f"{source.stem}.java").write_bytes(
            header.encode("utf-8") + b'public class Bytes {\n    static final String S = "a\x00b\x01c\x02d\x1f";\n}\n'
        )
        add("control-bytes")

    refs = out / "references"
    refs.mkdir()
    for i, url in enumerate(URLS):
        (refs / f"reference-{i:02d}.txt").write_text(url + "\n", encoding="utf-8")
        add("url-only")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rules", type=int, default=400)
    parser.add_argument("--licences", type=int, default=80)
    parser.add_argument("--pdfs", type=int, default=20)
    parser.add_argument("--binaries", type=int, default=15)
    parser.add_argument("--rtfs", type=int, default=20)
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        print(f"{args.out} is not empty", file=sys.stderr)
        return 2
    counts = build(args.out, args.rules, args.licences, args.pdfs, args.binaries, args.rtfs)
    print(json.dumps({"out": str(args.out), "files": sum(counts.values()), "by_kind": counts}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
