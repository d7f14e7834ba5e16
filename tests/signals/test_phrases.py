"""Opt-out and notice signals from rules/tdm_signals.yaml and rules/corpus_notices.yaml."""

import pytest

from licenselens.corpus.analyser import NOTICE_RULES, TDM_RULES, DocumentAnalyser
from licenselens.signals.anchors import lowered

from ..conftest import mencius_paragraphs, shakespeare


def signals(text, rules=TDM_RULES, name=None):
    analyser = DocumentAnalyser()
    low = lowered(text)
    anchors = analyser.scanner.scan(low)
    if rules == TDM_RULES:
        return [s for s, _ in analyser.opt_outs(text, low, anchors, name)]
    return [s for s, _ in analyser.notices.find(text, anchors["notices"])]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('<meta name="robots" content="noindex, noai">', ["robots-noai"]),
        ("<META NAME='robots' CONTENT='noimageai'>", ["robots-noimageai"]),
        ("X-Robots-Tag: noai", ["robots-noai"]),
        ('<meta name="tdm-reservation" content="1">', ["tdmrep-reservation"]),
        ('<meta content="1" name="tdm-reservation">', ["tdmrep-reservation"]),
        ('{"location": "/", "tdm-reservation": 1}', ["tdmrep-reservation"]),
        ("User-agent: GPTBot\nDisallow: /\n", ["ai-crawler-disallow"]),
        ("User-agent: CCBot\nCrawl-delay: 10\nDisallow: /\n", ["ai-crawler-disallow"]),
        ("# ai.txt\nUser-Agent: *\nDisallow: /\n", ["ai-crawler-disallow"]),
        ("Content may not be used to train artificial\nintelligence systems.", ["terms-prohibit-ai-training"]),
        ("It is prohibited to use this data for training generative AI.", ["terms-prohibit-ai-training"]),
        ("We reserve all rights of text and data mining under Article 4(3).", ["tdm-rights-reserved"]),
        ("未经书面许可，禁止将本站内容用于人工智能模型训练。", ["zh-prohibit-ai-training"]),
        ("The Publisher prohibits the use of this work for AI training.", ["terms-prohibit-ai-training"]),
        # wording real sites use that was missed before (issue 17)
        ("本网站内容禁止用于AI训练。", ["zh-prohibit-ai-training"]),  # "AI" next to Chinese characters
        ("本站內容禁止用於人工智慧訓練。", ["zh-prohibit-ai-training"]),  # Traditional Chinese
        ("禁止 AI 學習本站內容。", ["zh-prohibit-ai-training"]),
        ("All rights reserved, including text or data mining.", ["tdm-rights-reserved"]),
        ("NO AI TRAINING.", ["terms-prohibit-ai-training"]),
        ("You may not use the content to train a foundation or frontier model.", ["terms-prohibit-ai-training"]),
        (
            "Der Rechteinhaber behält sich die Nutzung für Text- und Data-Mining nach § 44b UrhG vor.",
            ["tdm-rights-reserved"],
        ),
        ("User-agent: GPTBot  # OpenAI\nDisallow: /\n", ["ai-crawler-disallow"]),  # an inline comment
        ("User-agent: GPTBot\nUser-agent: Googlebot\nDisallow: /\n", ["ai-crawler-disallow"]),  # a group
        ("User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n", ["content-signal-no-ai-train"]),
        ("Les droits de fouille de textes et de données sont réservés.", ["fr-tdm-reservation"]),
        (
            "Il est interdit d'utiliser ces contenus pour l'entraînement de systèmes d'intelligence artificielle.",
            ["fr-tdm-reservation"],
        ),
        ("当サイトのコンテンツのAI学習への利用を禁止します。", ["ja-prohibit-ai-training"]),
        ("本サイトの画像を機械学習に使用することは禁止されています。", ["ja-prohibit-ai-training"]),
        # not reservations
        ("客户内容不得用于训练模型。", []),
        ("La fouille de textes et de données est une technique d'analyse.", []),
        ("AI学習の基礎を解説します。", []),  # a provider's promise about its customers' data
        ("禁止转载。本文介绍如何训练模型。", []),
        ("User-agent: GPTBot\nAllow: /\n", []),
        ("User-agent: GPTBot\nDisallow: /private/\n", []),  # part of a site is no reservation of it
        ("User-agent: *\nDisallow: /\n", []),  # every crawler alike: not an AI reservation
        ("User-agent: Googlebot\nDisallow: /\n\nUser-agent: *\nAllow: /\n", []),
        ("User-agent: *\nContent-Signal: search=yes, ai-train=yes\n", []),
        ("We use AI to train our staff better.", []),
    ],
)
def test_opt_out_signals(text, expected):
    assert signals(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The soldiers may not train in the rain, said the general.",
        "We use machine learning to train models; see our paper.",
        "<meta name=\"robots\" content=\"noindex, nofollow\">",
        "User-agent: *\nDisallow: /private/\n",
        "Our artificial intelligence course trains students in machine learning.",
    ],
)
def test_no_opt_out_in_ordinary_text(text):
    assert signals(text) == []


def test_real_corpora_have_no_opt_out_or_notice():
    for text in (shakespeare(), "\n".join(mencius_paragraphs())):
        assert signals(text) == [] and signals(text, NOTICE_RULES) == []


def test_rights_reserved_notices():
    assert signals("Copyright 2020 Foo Ltd. All Rights Reserved.", NOTICE_RULES) == ["all-rights-reserved"]
    assert signals("版权所有 © 2023 示例出版社", NOTICE_RULES) == ["all-rights-reserved"]
    assert signals("No part of this book may be reproduced in any form.", NOTICE_RULES) == ["all-rights-reserved"]
    assert signals("The rights of the reserved seats.", NOTICE_RULES) == []


def test_an_ai_txt_is_recognised_by_its_file_name():
    """Spawning's ai.txt: rules for every agent that disallow anything are a reservation of AI use."""
    text = "User-Agent: *\nDisallow: *.jpg\nDisallow: *.txt\nAllow: /\n"
    assert signals(text, name="site/ai.txt") == ["ai-crawler-disallow"]
    assert signals(text, name="site/robots.txt") == []
    assert signals("User-Agent: *\nAllow: /\n", name="ai.txt") == []


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("<META CONTENT=1 NAME=TDM-Reservation>", None, ["tdmrep-reservation"]),
        ('<meta name="tdm-reservation" content="0">', None, []),
        (
            "HTTP/1.1 200 OK\ntdm-reservation: 1\ntdm-policy: https://pub.example/policy.json\n",
            None,
            ["tdmrep-reservation"],
        ),  # fmt: skip
        ("HTTP/1.1 200 OK\ntdm-reservation: 0\n", None, []),
        (
            '[{"location": "/*", "tdm-reservation": 1, "tdm-policy": "https://pub.example/p.json"}]',
            "tdmrep.json",
            ["tdmrep-reservation"],
        ),  # fmt: skip
        ('[{"location": "/images/*", "tdm-reservation": 1}]', "tdmrep.json", ["tdmrep-reservation"]),  # explicit
        ('[{"location": "*", "tdm-reservation": 0}]', "tdmrep.json", []),
        ("We discuss the tdm-reservation: 1 header in this post.", None, []),  # a sentence, not a header
        ('<meta name="robots" content="noindex,noai,noimageai">', None, ["robots-noai", "robots-noimageai"]),
        ('<meta name="description" content="why noai matters">', None, []),  # the word, not a directive
        ("X-Robots-Tag: noai, noimageai", None, ["robots-noai", "robots-noimageai"]),
    ],
)
def test_machine_readable_forms_are_parsed(text, name, expected):
    assert signals(text, name=name) == expected


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("<html>" + "<meta noai " * 2000, None, []),  # unclosed tags: each skipped, none fed the whole rest
        ("[" * 100_000 + '"tdm-reservation"', None, []),  # nested past Python's recursion limit
        ("User-agent: GPTBot\nDisallow: /\ud800\n", "robots.txt", []),  # a lone surrogate of an undecodable byte
        ("<html><!-- <meta name=robots content=noai> --></html>", None, []),  # a comment
        ("<html><script>x = '<meta name=robots content=noai>'</script></html>", None, []),  # a script's string
        # a reporting word in a later sentence says nothing about this one
        (
            "You may not use this content to train AI models. Any lawsuit arising from these terms goes to Delaware.",
            None,
            ["terms-prohibit-ai-training"],
        ),  # fmt: skip
    ],
)
def test_hostile_and_tricky_documents(text, name, expected):
    assert signals(text, name=name) == expected
