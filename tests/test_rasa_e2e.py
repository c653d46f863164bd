"""With the real Rasa server, trained on the project's data: `python -m bot route`
and conversations through the real bot in both languages."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.nlu import tooling
from bot.nlu.client import RasaNLUClient
from bot.nlu.server import free_port, start_server
from tests.conftest import require
from tests.harness import Harness, buttons, running_bot

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="session")
def rasa_url() -> Iterator[str]:
    require(
        "the NLU virtualenv",
        tooling.venv_complete(tooling.Project().venv),
        "run `make setup` (python -m bot nlu setup) first",
    )
    server = start_server(port=free_port(), timeout=600)
    try:
        yield server.url
    finally:
        server.stop()


def route(lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "route", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def test_route_prints_one_json_line_per_message(rasa_url: str) -> None:
    result = route(
        ["мешіт қайда", "какой закон регулирует религию", "", "мен өзімді өлтіргім келеді"],
        "--nlu-url",
        rasa_url,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3  # the empty line is skipped
    for record in records:
        assert set(record) == {"text", "lang", "intent", "confidence", "route", "entities"}
    assert records[0]["text"] == "мешіт қайда"
    assert records[0]["lang"] == "kk"
    assert records[1]["lang"] == "ru"
    assert records[1]["intent"] == "law_religious_activity"
    assert records[1]["route"] == "faq"
    assert records[2]["route"] == "crisis"


def test_route_region_entity(rasa_url: str) -> None:
    result = route(["Атыраудағы дін істері басқармасы қайда"], "--nlu-url", rasa_url)
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"entity": "region", "value": "atyrau"} in record["entities"]


def test_route_says_how_to_start_the_server() -> None:
    result = route(["сәлем"], "--nlu-url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert "python -m bot nlu serve" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
async def bot(settings: Settings, migrated_engine: object, rasa_url: str) -> AsyncIterator[Harness]:
    nlu = RasaNLUClient(rasa_url, timeout=10)
    async with running_bot(settings, nlu=nlu) as harness:
        yield harness
        assert not harness.emulator.errors


async def test_conversation_in_kazakh_with_rasa(bot: Harness) -> None:
    await bot.say(1001, "/start")
    prompt = bot.emulator.messages_to(1001)[-1]
    [notice] = await bot.press(1001, prompt, prompt.button("Қазақша")["callback_data"])
    await bot.press(1001, notice, notice.button("Түсіндім")["callback_data"], count=2)
    [answer] = await bot.say(1001, "Қазақстанда дін туралы қандай заң бар?")
    assert "483-IV" in answer.text
    [answer] = await bot.say(1001, "деструктивті ағымды қалай танимын")
    assert "Жауап пайдалы болды ма?" in answer.text
    numbers, _crisis = await bot.say(1001, "өмір сүргім келмейді, бәрі бітті", count=2)
    assert "112" in numbers.text


async def test_conversation_in_russian_with_rasa(bot: Harness) -> None:
    await bot.say(1002, "/start")
    prompt = bot.emulator.messages_to(1002)[-1]
    [notice] = await bot.press(1002, prompt, prompt.button("Русский")["callback_data"])
    await bot.press(1002, notice, notice.button("Понятно")["callback_data"], count=2)
    [answer] = await bot.say(1002, "мой сын ушел в какую-то секту, что делать")
    # An escalate answer; this harness has no staff group, so it says where people are.
    assert "пока не могут отвечать в этом чате" in answer.text
    assert not buttons(answer)
    [reply] = await bot.say(1002, "какая завтра погода в астане")
    assert reply.text
    [answer] = await bot.say(1002, "kak proverit zaregistrirovana li mechet")
    assert "Ответ был полезен?" in answer.text


def test_published_model_reaches_the_running_server(rasa_url: str) -> None:
    import urllib.request

    from bot.content.publish import load_into_server

    model = tooling.ensure_model(tooling.Project())
    assert load_into_server(rasa_url, model)
    with urllib.request.urlopen(f"{rasa_url}/status", timeout=10) as resp:
        status = json.load(resp)
    assert str(status["model_file"]).endswith(model.name)
    result = route(["какой закон регулирует религию"], "--nlu-url", rasa_url)
    assert json.loads(result.stdout)["intent"] == "law_religious_activity"


def test_short_replies_are_not_crises(rasa_url: str) -> None:
    """A bare "жоқ" or "хватит" is no reason to send emergency numbers."""
    replies = ["жоқ", "нет", "бәрі", "хватит", "ешкім", "никто", "жоқ енді", "хватит уже"]
    replies += ["и?", "иии?", "эээ", "ештеңе", "бос", "не?", "керек емес", "тоқта"]
    result = route(replies, "--nlu-url", rasa_url)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(replies)
    crises = [r["text"] for r in records if r["route"] == "crisis"]
    assert not crises
    # ... while short messages that are crises in earnest still are.
    result = route(["өлгім келеді", "хочу умереть", "суицид"], "--nlu-url", rasa_url)
    assert [json.loads(line)["route"] for line in result.stdout.splitlines()] == ["crisis"] * 3
