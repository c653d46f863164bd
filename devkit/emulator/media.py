"""Bot API methods that send media (photos, voice, documents, ... from an upload, a
file_id or a URL; locations, contacts, dice, polls) and getFile."""

from __future__ import annotations

from typing import Any

from devkit.emulator.core import EmulatorCore
from devkit.emulator.errors import bad_request
from devkit.emulator.files import CAPTIONED_KINDS, DICE_EMOJI, build_other
from devkit.emulator.params import Handler, Params, Upload
from devkit.emulator.state import BotState, JsonDict
from devkit.emulator.text import CAPTION_LIMIT


class MediaMethods(EmulatorCore):
    """sendPhoto and the other file senders, the other media senders, getFile."""

    def _input_file(self, params: Params, kind: str) -> Any:
        raw = params.raw(kind)
        upload: Upload | None = None
        if raw is None or raw == "":
            upload = params.files.get(kind)
            if upload is None:
                raise bad_request(f"there is no {kind.replace('_', ' ')} in the request")
        elif isinstance(raw, str) and raw.startswith("attach://"):
            upload = params.files.get(raw.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        if upload is not None:
            name, data, mime_type = upload
            return self.files.create(kind, data=data, file_name=name, mime_type=mime_type)
        file_id = str(raw)
        if file_id.lower().startswith(("http://", "https://")):
            return self.files.create(kind)
        try:
            media = self.files.reuse(file_id, kind)
        except ValueError:
            raise bad_request("type of file mismatch") from None
        if media is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return media

    def _media_sender(self, kind: str) -> Handler:
        method = "send" + "".join(part.capitalize() for part in kind.split("_"))

        def send(bot: BotState, params: Params) -> JsonDict:
            chat = self._chat(params, sending=True)
            media = self._input_file(params, kind)
            content: JsonDict = {kind: media}
            if kind == "animation":
                content["document"] = {
                    key: media[key]
                    for key in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
                    if key in media
                }
            if kind in CAPTIONED_KINDS:
                caption, entities = self._formatted(
                    params, "caption", "caption_entities", limit=CAPTION_LIMIT
                )
                if caption:
                    content["caption"] = caption
                    if entities:
                        content["caption_entities"] = entities
            if kind == "sticker" and params.present("emoji"):
                media["emoji"] = params.text("emoji")
            return self._deliver(method, bot, params, content, chat=chat)

        return send

    def _send_location(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        latitude, longitude = params.number("latitude"), params.number("longitude")
        if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
            raise bad_request("wrong latitude/longitude specified")
        content = {"location": build_other("location", latitude=latitude, longitude=longitude)}
        return self._deliver("sendLocation", bot, params, content, chat=chat)

    def _send_contact(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        if not params.present("phone_number"):
            raise bad_request("phone number is empty")
        if not params.present("first_name"):
            raise bad_request("first name is empty")
        values = {
            key: params.text(key)
            for key in ("phone_number", "first_name", "last_name", "vcard")
            if params.present(key)
        }
        content = {"contact": build_other("contact", **values)}
        return self._deliver("sendContact", bot, params, content, chat=chat)

    def _send_dice(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        emoji = params.text("emoji") or "🎲"
        if emoji not in DICE_EMOJI:
            raise bad_request("wrong dice emoji")
        content = {"dice": build_other("dice", emoji=emoji)}
        return self._deliver("sendDice", bot, params, content, chat=chat)

    def _send_poll(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        question = params.text("question") or ""
        if not question.strip():
            raise bad_request("poll question must be non-empty")
        options = params.structured("options", "can't parse options JSON object")
        if not isinstance(options, list) or not 2 <= len(options) <= 12:
            raise bad_request("poll must have 2-12 options")
        poll = build_other(
            "poll",
            question=question,
            options=options,
            is_anonymous=params.flag("is_anonymous") if params.present("is_anonymous") else True,
            type=params.text("type") or "regular",
            allows_multiple_answers=params.flag("allows_multiple_answers"),
        )
        return self._deliver("sendPoll", bot, params, {"poll": poll}, chat=chat)

    def _get_file(self, bot: BotState, params: Params) -> JsonDict:
        stored = self.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": self.files.file_path(stored),
        }
