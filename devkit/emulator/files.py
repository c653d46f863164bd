"""Files and media objects for the Bot API emulator.

Telegram identifies a file by an opaque `file_id` (valid for re-sending) and a
`file_unique_id`; a photo arrives as several sizes. The store hands out
realistic identifiers, remembers which kind of media each one is (Telegram
rejects a voice's file_id in sendPhoto), and keeps uploaded bytes so getFile
and the file download URL work.
"""

from __future__ import annotations

import base64
import copy
import itertools
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FILE_KINDS = ("photo", "sticker", "voice", "video", "video_note", "audio", "document", "animation")
OTHER_KINDS = ("location", "contact", "poll", "dice")
MEDIA_KINDS = FILE_KINDS + OTHER_KINDS
CAPTIONED_KINDS = frozenset({"photo", "voice", "video", "audio", "document", "animation"})
DICE_EMOJI = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}

# The first bytes of real file_ids encode the file type; keeping them makes
# the identifiers look like the ones a bot sees in production logs.
_PREFIXES = {
    "photo": "AgACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}
_EXTENSIONS = {
    "photo": ("photos", "jpg"),
    "voice": ("voice", "oga"),
    "video": ("videos", "mp4"),
    "document": ("documents", "pdf"),
    "sticker": ("stickers", "webp"),
    "audio": ("music", "mp3"),
    "animation": ("animations", "mp4"),
    "video_note": ("video_notes", "mp4"),
}
# Interchangeable kinds: a GIF is both an animation and a document.
_COMPATIBLE = {"animation": {"animation", "document"}, "document": {"document", "animation"}}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    file_size: int
    media: Any
    data: bytes | None = None
    file_path: str | None = None


def _token(size: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).decode().rstrip("=")


@dataclass
class FileStore:
    files: dict[str, StoredFile] = field(default_factory=dict)
    paths: dict[str, StoredFile] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _ids(self, kind: str) -> tuple[str, str]:
        return _PREFIXES[kind] + _token(48), "AQAD" + _token(9)

    def _register(self, kind: str, media: Any, size: int, data: bytes | None) -> Any:
        objects = media if isinstance(media, list) else [media]
        for item in objects:
            self.files[item["file_id"]] = StoredFile(
                item["file_id"],
                item["file_unique_id"],
                kind,
                item.get("file_size", size),
                media,
                data,
            )
        return copy.deepcopy(media)

    def create(
        self,
        kind: str,
        *,
        data: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        """A new media object of `kind` (a list of sizes for a photo)."""
        size = len(data) if data is not None else random.randint(20_000, 900_000)
        if kind == "photo":
            sizes = []
            for width, height, share in ((90, 67, 0.02), (320, 240, 0.15), (1280, 960, 1.0)):
                file_id, unique_id = self._ids(kind)
                sizes.append(
                    {
                        "file_id": file_id,
                        "file_unique_id": unique_id,
                        "file_size": max(1, int(size * share)),
                        "width": width,
                        "height": height,
                    }
                )
            return self._register(kind, sizes, size, data)
        file_id, unique_id = self._ids(kind)
        media: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
        if kind == "sticker":
            media.update(
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
                emoji="👍",
                set_name="KenesTestStickers",
            )
        elif kind == "voice":
            media.update(duration=4, mime_type=mime_type or "audio/ogg")
        elif kind == "video":
            media.update(width=1280, height=720, duration=12, mime_type=mime_type or "video/mp4")
        elif kind == "video_note":
            media.update(length=384, duration=7)
        elif kind == "audio":
            media.update(
                duration=185,
                performer="Artist",
                title="Track",
                file_name=file_name or "track.mp3",
                mime_type=mime_type or "audio/mpeg",
            )
        elif kind == "document":
            media.update(
                file_name=file_name or "document.pdf", mime_type=mime_type or "application/pdf"
            )
        elif kind == "animation":
            media.update(
                width=480,
                height=270,
                duration=3,
                file_name=file_name or "animation.mp4",
                mime_type=mime_type or "video/mp4",
            )
        if extra:
            media.update(extra)
        return self._register(kind, media, size, data)

    def get(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id)

    def reuse(self, file_id: str, kind: str) -> Any | None:
        """The media object to send again for `file_id`, None if unknown.

        Raises ValueError when the file is of another kind.
        """
        stored = self.files.get(file_id)
        if stored is None:
            return None
        if kind not in _COMPATIBLE.get(stored.kind, {stored.kind}):
            raise ValueError(f"file {file_id} is a {stored.kind}, not a {kind}")
        if kind == stored.kind:
            return copy.deepcopy(stored.media)
        media = copy.deepcopy(stored.media)
        for key in ("width", "height", "duration"):
            if kind == "document":
                media.pop(key, None)
        return media

    def file_path(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            folder, extension = _EXTENSIONS[stored.kind]
            stored.file_path = f"{folder}/file_{next(self._counter)}.{extension}"
            self.paths[stored.file_path] = stored
        return stored.file_path

    def content(self, path: str) -> bytes | None:
        stored = self.paths.get(path)
        if stored is None:
            return None
        if stored.data is not None:
            return stored.data
        # A deterministic stand-in of the announced size for files nobody uploaded.
        return (stored.file_unique_id.encode() * (stored.file_size // 8 + 1))[: stored.file_size]


def build_other(kind: str, **values: Any) -> dict[str, Any]:
    """Location, contact, poll or dice content with realistic defaults."""
    if kind == "location":
        return {
            "latitude": float(values.get("latitude", 51.128207)),
            "longitude": float(values.get("longitude", 71.430411)),
        }
    if kind == "contact":
        contact = {
            "phone_number": str(values.get("phone_number", "+77010000000")),
            "first_name": str(values.get("first_name", "Contact")),
        }
        for key in ("last_name", "user_id", "vcard"):
            if values.get(key) is not None:
                contact[key] = values[key]
        return contact
    if kind == "poll":
        options = values.get("options") or ["Yes", "No"]
        return {
            "id": str(random.randint(10**17, 10**18)),
            "question": str(values.get("question", "Question?")),
            "options": [
                {
                    "persistent_id": str(index),
                    "text": option if isinstance(option, str) else str(option.get("text", "")),
                    "voter_count": 0,
                }
                for index, option in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": bool(values.get("is_anonymous", True)),
            "type": str(values.get("type", "regular")),
            "allows_multiple_answers": bool(values.get("allows_multiple_answers", False)),
            "allows_revoting": False,
            "members_only": False,
        }
    if kind == "dice":
        emoji = str(values.get("emoji") or "🎲")
        return {"emoji": emoji, "value": random.randint(1, DICE_EMOJI.get(emoji, 6))}
    raise ValueError(f"unknown media kind {kind!r}")


def media_kind(message: Mapping[str, Any]) -> str | None:
    """Which kind of media a message carries, if any."""
    for kind in ("animation", *MEDIA_KINDS):
        if kind in message:
            return kind
    return None
