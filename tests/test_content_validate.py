"""`python -m bot content validate`: each check catches its mistake, with file and line.

Each test builds a small, valid checkout in tmp_path, breaks one thing and
expects exactly that error. Rasa is not needed (`rasa=False`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content.checks import Report
from bot.content.validate import telegram_html_problems
from bot.ui.composed_checks import validate, visible_length

INTENTS = [
    {"name": "greet", "route": "service"},
    {"name": "law_religious_activity", "route": "faq"},
    {"name": "personal_doubts", "route": "escalate"},
]
TAXONOMY = {
    "version": 1,
    "intents": INTENTS,
    "regions": {"cities": ["Astana"], "oblasts": ["Abai", "North Kazakhstan"]},
}
WORDS = {
    "greet": ["сәлем", "привет", "салам", "здравствуйте", "добрый"],
    "law_religious_activity": ["закон", "заң", "кодекс", "норма", "статья"],
    "personal_doubts": ["сомнения", "күмән", "запутался", "потерян", "страх"],
}


def _examples(intent: str, lang: str, count: int) -> list[str]:
    # Distinct enough that no two share 90 % of their words.
    stems = WORDS[intent]
    return [f"{stems[i % 5]} {lang} {intent[:4]} номер {i} вариант {i * 7}" for i in range(count)]


def _nlu_file(intents: dict[str, list[str]]) -> str:
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in intents.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {t}" for t in texts]
    return "\n".join(lines) + "\n"


def _answer(intent: str, lang: str, text: str | None = None) -> dict[str, object]:
    return {
        "condition": [{"type": "slot", "name": "language", "value": lang}],
        "text": text
        or f'Ответ на {intent} ({lang}). <b>Важно</b>: <a href="https://adilet.zan.kz">закон</a>.',
        "metadata": {"resources": ["adilet"], "facts": []},
    }


def _build(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "content" / "taxonomy.yml").write_text(yaml.safe_dump(TAXONOMY, allow_unicode=True))
    intents = [str(i["name"]) for i in INTENTS]
    domain = {
        "version": "3.1",
        "intents": intents,
        "responses": {
            f"utter_{intent}": [_answer(intent, "kk"), _answer(intent, "ru")] for intent in intents
        },
    }
    (root / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False))
    for lang in ("kk", "ru"):
        folder = root / "nlu_data" / lang
        folder.mkdir(parents=True)
        counts = {"greet": 20, "law_religious_activity": 40, "personal_doubts": 40}
        data = {intent: _examples(intent, lang, n) for intent, n in counts.items()}
        (folder / "data.yml").write_text(_nlu_file(data))
    resources = {
        "national": [
            {"id": "adilet", "kind": "url", "contact": "https://adilet.zan.kz", "verified": True}
        ],
        "regions": [
            {"id": "astana", "name": {"en": "Astana", "ru": "Астана"}},
            {"id": "abai", "name": {"en": "Abai", "kk": "Абай облысы"}},
            {"id": "north_kazakhstan", "name": {"ru": "Северо-Казахстанская область"}},
        ],
    }
    (root / "content" / "resources.yml").write_text(yaml.safe_dump(resources, allow_unicode=True))
    return root


def _errors(report: Report) -> list[str]:
    return [f"{i.where}: {i.message}" for i in report.errors]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return _build(tmp_path / "repo")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_valid_tree_has_no_errors(tree: Path) -> None:
    report = validate(tree)
    assert _errors(report) == []
    assert report.checked["examples"] == 200


def test_the_same_example_under_two_intents(tree: Path) -> None:
    # The same words, spelled in Latin letters and with Kazakh letters folded.
    path = tree / "nlu_data" / "ru" / "data.yml"
    _edit(
        path,
        "- intent: law_religious_activity\n  examples: |\n",
        ("- intent: law_religious_activity\n  examples: |\n    - Privet, kak dela\n"),
    )
    _edit(
        path,
        "- intent: greet\n  examples: |\n",
        "- intent: greet\n  examples: |\n    - привет как дела!\n",
    )
    errors = _errors(validate(tree))
    assert len(errors) == 2
    assert errors[0].startswith("nlu_data/ru/data.yml:5: 'привет как дела!' (greet)")
    assert "also an example of law_religious_activity (nlu_data/ru/data.yml:" in errors[0]


def test_a_repeated_example_within_an_intent(tree: Path) -> None:
    path = tree / "nlu_data" / "kk" / "data.yml"
    _edit(
        path,
        "    - сәлем kk gree номер 0 вариант 0\n",
        ("    - сәлем kk gree номер 0 вариант 0\n    - Сәлем KK gree номер 0, вариант 0!!!\n"),
    )
    errors = _errors(validate(tree))
    assert errors == [
        "nlu_data/kk/data.yml:6: 'Сәлем KK gree номер 0, вариант 0!!!' repeats "
        "'сәлем kk gree номер 0 вариант 0' (nlu_data/kk/data.yml:5) once spelling is normalised"
    ]


def test_too_few_examples(tree: Path) -> None:
    path = tree / "nlu_data" / "kk" / "data.yml"
    lines = [line for line in path.read_text().splitlines() if "pers номер 39 " not in line]
    path.write_text("\n".join(lines) + "\n")
    errors = _errors(validate(tree))
    assert len(errors) == 1
    assert "personal_doubts has 39 kk example(s); a escalate intent needs at least 40" in errors[0]


def test_an_intent_missing_from_the_domain(tree: Path) -> None:
    _edit(tree / "domain.yml", "- personal_doubts\n", "")
    errors = _errors(validate(tree))
    assert errors == [
        "domain.yml:3: taxonomy intent 'personal_doubts' is not in domain.yml `intents`"
    ]


def test_an_intent_without_examples(tree: Path) -> None:
    taxonomy = {**TAXONOMY, "intents": [*INTENTS, {"name": "thanks", "route": "service"}]}
    (tree / "content" / "taxonomy.yml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True))
    errors = _errors(validate(tree))
    assert "thanks has 0 kk example(s); a service intent needs at least 20" in "\n".join(errors)
    assert any("thanks" in e and "not in domain.yml" in e for e in errors)
    assert any("has no answer utter_thanks" in e for e in errors)


def test_an_overlong_answer(tree: Path) -> None:
    _edit(tree / "domain.yml", "Ответ на greet (ru).", "Ответ на greet (ru). " + "слово " * 200)
    errors = _errors(validate(tree))
    assert len(errors) == 1
    assert "utter_greet (ru) is 1" in errors[0]
    assert "the limit is 1000" in errors[0]
    assert errors[0].startswith("domain.yml:")


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ("<b>Важно</b>", "unclosed <b>"),  # the closing tag is removed below
        ("<b>Важно</b>", "<br> is not a Telegram HTML tag"),
        ("https://adilet.zan.kz", "link 'http://adilet.zan.kz' is not https://"),
        ("закон</a>", "a bare & (write &amp;)"),
        ("закон</a>", "a bare < or > (write &lt; or &gt;, or use a Telegram tag)"),
    ],
)
def test_broken_telegram_html(tree: Path, broken: str, problem: str) -> None:
    replacement = {
        "unclosed <b>": "<b>Важно",
        "<br> is not a Telegram HTML tag": "<b>Важно</b><br>",
        "link 'http://adilet.zan.kz' is not https://": "http://adilet.zan.kz",
        "a bare & (write &amp;)": "закон</a> & право",
        "a bare < or > (write &lt; or &gt;, or use a Telegram tag)": "закон</a> 1 < 2",
    }[problem]
    _edit(tree / "domain.yml", broken, replacement)
    errors = _errors(validate(tree))
    assert any(problem in e and "utter_greet (kk)" in e for e in errors), errors


def test_html_checker_accepts_telegram_markup() -> None:
    assert (
        telegram_html_problems(
            "<b>1</b> <i>2</i> <u>3</u> <s>4</s> <code>5</code> <pre>6</pre> "
            '<a href="https://example.kz/a?b=1&amp;c=2">7</a> &lt;8&gt; &#169; '
            '<span class="tg-spoiler">9</span> <blockquote>10</blockquote>'
        )
        == []
    )
    assert telegram_html_problems("<b><i>x</b></i>") != []


def test_an_unknown_resource_id(tree: Path) -> None:
    _edit(tree / "domain.yml", "- adilet", "- adilet_old")
    errors = _errors(validate(tree))
    assert len(errors) == 1
    assert "utter_greet names resource 'adilet_old', not in content/resources.yml" in errors[0]


def test_a_missing_region(tree: Path) -> None:
    _edit(tree / "content" / "resources.yml", "Северо-Казахстанская область", "Павлодар")
    _edit(tree / "content" / "resources.yml", "north_kazakhstan", "pavlodar")
    errors = _errors(validate(tree))
    assert errors == [
        "content/resources.yml: region 'North Kazakhstan' of the taxonomy has no entry"
    ]


def test_unverified_facts_and_contacts_are_warnings(tree: Path) -> None:
    _edit(tree / "content" / "resources.yml", "verified: true", "verified: false")
    _edit(tree / "domain.yml", "facts: []", "facts: [{claim: 'law of 2011', source: adilet}]")
    report = validate(tree)
    assert _errors(report) == []
    warnings = [i.message for i in report.warnings]
    assert any("unverified contact 'adilet'" in w for w in warnings)
    assert any("unverified fact 'law of 2011'" in w for w in warnings)


def test_safety_lexicons_in_either_layout(tree: Path) -> None:
    folder = tree / "content" / "safety"
    folder.mkdir()
    (folder / "base.yml").write_text(
        "situation: doubts\nroute: escalate\nintent: personal_doubts\npatterns: [запутался]\n"
    )
    assert _errors(validate(tree)) == []
    (folder / "more.yml").write_text(
        "situations:\n"
        "  - id: doubts\n    route: panic\n    intent: personal_doubts\n    patterns: [x]\n"
        "  - id: other\n    route: crisis\n    intent: no_such_intent\n    patterns: 7\n"
        "  - id: third\n    route: crisis\n    intent: personal_doubts\n"
    )
    report = validate(tree)
    assert _errors(report) == [
        "content/safety/more.yml:2: situation 'doubts' repeats content/safety/base.yml:1",
        "content/safety/more.yml:3: unknown route 'panic'",
        "content/safety/more.yml:8: unknown intent 'no_such_intent'",
        "content/safety/more.yml:9: patterns must be a list of strings",
        "content/safety/more.yml:10: a situation needs patterns or phrases",
    ]
    assert [i.message for i in report.warnings if "differs" in i.message] == [
        "route crisis differs from the taxonomy's escalate for personal_doubts"
    ]


def test_the_kazakh_russian_word_bridge(tree: Path) -> None:
    bridge = tree / "nlu" / "kk_ru.tsv"
    bridge.parent.mkdir(exist_ok=True)
    bridge.write_text(
        "# comment\n"
        "улым\tсын\n"
        "ekeu\n"  # no tab
        "ұлым\tсын\n"  # not folded
        "улым\tдочь\n"  # twice
        "согыс\tWar\n"  # not a Russian word
        "ма\t\n",  # a particle: no translation
        encoding="utf-8",
    )
    report = validate(tree)
    assert _errors(report) == [
        "nlu/kk_ru.tsv:3: expected two columns separated by one tab",
        "nlu/kk_ru.tsv:4: write the Kazakh word folded, as the NLU sees it: 'улым'",
        "nlu/kk_ru.tsv:5: 'улым' is already on line 2",
        "nlu/kk_ru.tsv:6: the translation is one lowercase Russian word",
    ]
    assert report.checked["Kazakh-Russian word bridge entries"] == 3


def test_broken_yaml_is_reported_with_its_line(tree: Path) -> None:
    (tree / "nlu_data" / "ru" / "broken.yml").write_text("nlu:\n- intent: greet\n  examples: [\n")
    errors = _errors(validate(tree))
    assert len(errors) == 1
    assert "nlu_data/ru/broken.yml:4" in errors[0]


def test_the_repository_has_no_errors() -> None:
    """The real content: this is what CI runs (without Rasa's own validation)."""
    report = validate(Path(__file__).resolve().parent.parent)
    assert _errors(report) == []


def test_the_emergency_order_names_crisis_intents_and_known_numbers(tree: Path) -> None:
    path = tree / "content" / "resources.yml"
    resources = yaml.safe_load(path.read_text())
    resources["emergency_numbers"] = [{"number": "112"}, {"number": "102"}]
    resources["emergency_order"] = {
        "greet": ["112"],
        "crisis_self_harm": ["112", "104", "102", "102"],
    }
    path.write_text(yaml.safe_dump(resources, allow_unicode=True))
    errors = _errors(validate(tree))
    assert any("'greet' is not a crisis intent" in e for e in errors), errors
    assert any("'104' is not an emergency number" in e for e in errors), errors
    assert any("'102' is listed twice" in e for e in errors), errors


def test_a_menu_entry_shows_an_intent_or_the_numbers(tree: Path) -> None:
    menu = {
        "categories": [
            {
                "id": "help",
                "title": {"kk": "Көмек", "ru": "Помощь"},
                "questions": [
                    {"show": "emergency_numbers", "label": {"kk": "Нөмірлер", "ru": "Номера"}},
                    {"show": "jokes", "label": {"kk": "Әзіл", "ru": "Шутки"}},
                    {"label": {"kk": "Бос", "ru": "Пусто"}},
                ],
            }
        ]
    }
    (tree / "content" / "menu.yml").write_text(yaml.safe_dump(menu, allow_unicode=True))
    errors = _errors(validate(tree))
    assert len(errors) == 2, errors
    assert "menu shows unknown 'jokes'" in errors[0]
    assert "either an intent or a show" in errors[1]


def test_an_answer_too_long_as_sent(tree: Path) -> None:
    # 100 words: under the 1,000-character limit of the text, over 700 as sent.
    (tree / "content" / "menu.yml").write_text("version: 1\ncategories: []\n")
    _edit(tree / "domain.yml", "Ответ на greet (ru).", "Ответ на greet (ru). " + "слово " * 118)
    errors = _errors(validate(tree))
    assert len(errors) == 1, errors
    assert "utter_greet (ru) is 7" in errors[0]
    assert "characters as sent; keep it under 700" in errors[0]


def test_visible_length_counts_what_a_reader_sees() -> None:
    assert visible_length('<b>Заң</b> &amp; <a href="https://adilet.zan.kz">құқық</a>') == 11


def test_an_answer_offering_a_specialist_needs_the_button(tree: Path) -> None:
    _edit(
        tree / "domain.yml",
        "Ответ на law_religious_activity (ru).",
        "Ответ на law_religious_activity (ru). Специалист ответит здесь, в чате.",
    )
    errors = _errors(validate(tree))
    assert len(errors) == 1, errors
    assert "offers a specialist in this chat: set `specialist: true`" in errors[0]


def test_a_glossary_variant_is_an_error(tree: Path) -> None:
    """The glossary (bot/content/glossary.py) is part of `content validate`."""
    _edit(tree / "domain.yml", "Ответ на greet (ru).", "Ответ на greet (ru). Я — бот Кенес.")
    errors = _errors(validate(tree))
    assert len(errors) == 1, errors
    assert errors[0].startswith("domain.yml:")
    assert "glossary:" in errors[0]
    assert "'Кенес'" in errors[0]
    assert "the service's name: 'Kenes'" in errors[0]


def test_a_sensitive_answer_carries_no_buttons_and_asks_for_no_rating(tree: Path) -> None:
    domain = yaml.safe_load((tree / "domain.yml").read_text())
    ru = domain["responses"]["utter_personal_doubts"][1]
    ru["buttons"] = [{"title": "👍", "payload": "/affirm"}]
    kk = domain["responses"]["utter_personal_doubts"][0]
    kk["text"] = "Маман көмектеседі. Жауап пайдалы болды ма?"
    # The same on an faq answer is not the sensitive-route error.
    faq = domain["responses"]["utter_law_religious_activity"][1]
    faq["text"] = "Закон. Ответ был полезен?"
    (tree / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False))
    errors = _errors(validate(tree))
    assert len(errors) == 2, errors
    assert (
        "utter_personal_doubts (kk) is on the escalate route and asks for a rating"
        in errors[0] + (errors[1])
    )
    assert any(
        "utter_personal_doubts (ru) is on the escalate route: no `buttons` under it" in e
        for e in errors
    )


def test_a_regional_answer_does_not_point_below(tree: Path) -> None:
    domain = yaml.safe_load((tree / "domain.yml").read_text())
    for variant in domain["responses"]["utter_law_religious_activity"]:
        variant["metadata"]["regional"] = True
    variant = domain["responses"]["utter_law_religious_activity"][0]
    variant["text"] = "Заң. Басқарманың байланыстары төменде."
    (tree / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False))
    errors = _errors(validate(tree))
    assert len(errors) == 1, errors
    assert "utter_law_religious_activity (kk) says the contacts are 'төменде'" in errors[0]


def test_an_answer_that_is_only_an_offer_of_a_specialist(tree: Path) -> None:
    (tree / "content" / "menu.yml").write_text("version: 1\ncategories: []\n")
    _edit(
        tree / "domain.yml",
        'Ответ на personal_doubts (ru). <b>Важно</b>: <a href="https://adilet.zan.kz">закон</a>.',
        "Специалист поговорит с вами в этом чате.",
    )
    errors = _errors(validate(tree))
    assert len(errors) == 1, errors
    assert "utter_personal_doubts (ru) says nothing but the offer of a specialist" in errors[0]


def test_an_offer_of_a_specialist_carries_no_number(tree: Path) -> None:
    """Without a staff group the offering sentence is left out: it must not take a number."""
    (tree / "content" / "menu.yml").write_text("version: 1\ncategories: []\n")
    _edit(
        tree / "domain.yml",
        "Ответ на personal_doubts (ru).",
        "Ответ на personal_doubts (ru). Позвоните 114 или поговорите со специалистом в этом чате.",
    )
    errors = _errors(validate(tree))
    assert len(errors) == 1, errors
    assert "offers a specialist in this chat and gives a number or a link" in errors[0]
