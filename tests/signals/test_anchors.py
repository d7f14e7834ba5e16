import random

from hypothesis import given, settings
from hypothesis import strategies as st

from licenselens.signals.anchors import AnchorScanner, lowered

from ..conftest import mencius_paragraphs, shakespeare

GROUPS = {
    "lic": {"prefixes": ["licen", "rights reserved"], "words": ["gpl", "cc by", "(c)"], "phrases": ["版权", "©"]},
    "tdm": {"phrases": ["artificial", " ai ", "noai", "人工智能"]},
}


def reference(low: str) -> dict[str, list[int]]:
    """Every occurrence by str.find, with the documented semantics applied."""
    import re

    found = {g: [] for g in GROUPS}
    for group, table in GROUPS.items():
        for mode, anchors in table.items():
            for anchor in anchors:
                first = re.search(r"[a-z0-9]+", anchor)
                position = low.find(anchor)
                while position >= 0:
                    ok = True
                    if anchor.isascii() and first:  # its first letter run must start a run of the text
                        run_start = position + first.start()
                        ok = run_start == 0 or not (low[run_start - 1].isascii() and low[run_start - 1].isalnum())
                    end = position + len(anchor)
                    starts_word = position == 0 or not low[position - 1].isalnum()
                    ends_word = end >= len(low) or not low[end].isalnum()
                    if ok and (mode == "phrases" or (starts_word and (mode == "prefixes" or ends_word))):
                        found[group].append(position)
                    position = low.find(anchor, position + 1)
    return {g: sorted(p) for g, p in found.items()}


def test_vectorised_scan_equals_the_reference_on_real_text_with_planted_anchors():
    scanner = AnchorScanner(GROUPS)
    rng = random.Random(3)
    text = shakespeare()[:200_000]
    chinese = "".join(mencius_paragraphs()[:300])
    plants = [
        "Licensed under",
        "sublicense",
        "GPL-2.0",
        "LGPL",
        "CC BY 4.0",
        "(c) 2020",
        "(C)opyright",
        "©2021",
        "版权所有",
        "Artificial intelligence",
        "no AI here",
        "noai",
        "“licence”",
        "élicense",
        "人工智能训练",
    ]
    for _ in range(40):
        pieces = [
            text[rng.randrange(len(text)) :][: rng.randrange(50, 3000)],
            rng.choice(plants),
            chinese[rng.randrange(len(chinese)) :][:200] if rng.random() < 0.3 else "",
            rng.choice(plants),
        ]
        low = lowered(" ".join(pieces))
        assert scanner.scan(low) == reference(low)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "licen",
                "ce",
                "gpl",
                "lgpl",
                " ",
                "(c)",
                "©",
                "版权",
                "x",
                "AI",
                " ai ",
                "é",
                "artificial",
                "cc by",
                "rights reserved",
                "\n",
                "1",
            ]
        ),
        max_size=30,
    )
)
def test_vectorised_scan_equals_the_reference_on_generated_text(parts):
    low = lowered("".join(parts))
    assert AnchorScanner(GROUPS).scan(low) == reference(low)
