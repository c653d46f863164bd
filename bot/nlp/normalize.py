"""Text normalisation shared by the Rasa pipeline and the bot's safety check.

Citizens write Kazakh and Russian in Cyrillic, in Latin letters (several
competing alphabets), without Kazakh's special letters, and mixed in one
sentence. Both the NLU and the safety check see the same folded form, so a
lexicon entry or a training example written one way matches all the others:
`кеңес`, `кенес`, `keñes` and `kenes` all become `кенес`.

This module must stay importable by the Rasa environment (Python 3.10, no
third-party packages), so it uses the standard library only.
"""

from __future__ import annotations

import re
import unicodedata

# Kazakh Latin (2017 apostrophe variant, 2018 acute variant and 2021 variant)
# and Turkic diacritics, folded to the same Cyrillic letters as the
# special-letter folding below.
_APOSTROPHE_DIGRAPHS = {
    "a'": "а",
    "o'": "о",
    "u'": "у",
    "g'": "г",
    "n'": "н",
    "i'": "и",
    "s'": "ш",
    "c'": "ч",
}
_LATIN_DIACRITICS = {
    "ä": "а",
    "á": "а",
    "ğ": "г",
    "ǵ": "г",
    "ñ": "н",
    "ń": "н",
    "ö": "о",
    "ó": "о",
    "ū": "у",
    "ü": "у",
    "ú": "у",
    "ý": "у",
    "ı": "ы",
    "ş": "ш",
    "ç": "ч",
    "é": "е",
}
# Longest first: transliteration is greedy.
_LATIN_MULTI = [
    ("shch", "щ"),
    ("sch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "е"),
    ("ye", "е"),
    ("ia", "я"),
    ("iu", "ю"),
]
_LATIN_SINGLE = {
    "a": "а",
    "b": "б",
    "c": "ц",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "у",
    "x": "х",
    "y": "ы",
    "z": "з",
}
# Kazakh special letters typed without a Kazakh keyboard, and Russian letters
# that transliteration cannot tell apart.
_CYRILLIC_FOLD = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ё": "е",
        "й": "и",
        "э": "е",
        "ь": None,
        "ъ": None,
        "ə": "а",  # Latin schwa, often typed for ә
    }
)

_VOWELS = frozenset("аеиоуыэюяё")
_LATIN_WORD = re.compile(r"[a-z'áäçéğıñóöşúüūýǵń]+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_REPEATS = re.compile(r"(\D)\1+")
_SPACES = re.compile(r"\s+")


def _transliterate(word: str) -> str:
    for digraph, letter in _APOSTROPHE_DIGRAPHS.items():
        word = word.replace(digraph, letter)
    out: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        if ch in _LATIN_DIACRITICS:
            out.append(_LATIN_DIACRITICS[ch])
            i += 1
            continue
        for latin, cyr in _LATIN_MULTI:
            if word.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            if ch == "y" and out and out[-1] in _VOWELS and out[-1] != "у":
                # "kayda", "moy": y after a vowel is й (folded to и); but after u
                # it is Kazakh ы ("bauyr", "suyq").
                out.append("и")
            elif ch == "'":
                pass
            else:
                out.append(_LATIN_SINGLE.get(ch, ch))
            i += 1
    return "".join(out)


def normalize(text: str) -> str:
    """Fold `text` to lowercase Cyrillic without Kazakh special letters.

    Punctuation, emoji and letter repetitions ("помогитеее") are removed;
    digits are kept (numbers such as 112 matter).
    """
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.replace("\u2019", "'").replace("`", "'").replace("\u02bc", "'")
    text = _LATIN_WORD.sub(lambda m: _transliterate(m.group(0)), text)
    text = text.translate(_CYRILLIC_FOLD)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _REPEATS.sub(r"\1", text)
    # "ts" is ц in Russian transliteration but т+с in Kazakh Latin ("salemetsiz"):
    # fold both spellings to ц so they meet.
    text = text.replace("тс", "ц")
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """The normalised words of `text`."""
    return normalize(text).split()


# Emoji carry tone that the words alone do not: "өліп қалдым 😂" is a joke,
# "өліп қалдым 😔" may not be. `normalize` drops them (the safety lexicons
# match words); the NLU gets them back as word tokens through `emoji_tokens`.
# Two groups let a rare emoji share what the common ones of its kind taught.
_JOY = frozenset("😂🤣😅😆😄😁😃😀🙈😜😝😹🤪😛😊🙃😉😎🥳🤭😋")
_SORROW = frozenset("😢😭😔💔😞😟😥😰😨😱😩😣😖😫🥺😿🖤😓😪🥀")


def emoji_tokens(text: str) -> list[str]:
    """Word tokens for the emoji and other pictographs of `text`, in order.

    Each symbol becomes `emoji_<code point>`; joyful ones are followed by
    `emoji_joy`, sorrowful ones by `emoji_sorrow`. Skin tones, joiners and
    variation selectors are not symbols of their own and are skipped.
    """
    out: list[str] = []
    for ch in text:
        if unicodedata.category(ch) != "So":
            continue
        out.append(f"emoji_{ord(ch):x}")
        if ch in _JOY:
            out.append("emoji_joy")
        elif ch in _SORROW:
            out.append("emoji_sorrow")
    return out
