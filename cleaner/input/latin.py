"""Which single-byte Latin code page a legacy file was written in.

charset-normalizer scores a decoding by how chaotic and how coherent its text looks, and
for Latin-script text several code pages often tie (they differ only in a few accented
letters): a Spanish latin-1 file came out as cp1250, "español" as "espańol"; French
"après" as "aprčs". So when its choice is one of these code pages, each is tried and the
one whose accented letters best fit one language's alphabet wins; a tie goes to the
earlier code page below (cp1252 first: the web's default for latin-1).
"""

from __future__ import annotations

import re
from collections import Counter

# Tried in this order; a tie keeps the earlier one.
CODEPAGES = ("cp1252", "iso8859_15", "cp1250", "iso8859_2", "cp1257", "iso8859_13", "cp1254", "cp1258")

# The non-ASCII letters (lower case) of languages written in these code pages. Vietnamese
# in cp1258 writes tones as combining marks.
_ALPHABETS = (
    "àâæçéèêëîïôœùûüÿ",  # French
    "äöüß",  # German
    "áéíñóúü",  # Spanish
    "áâãàçéêíóôõú",  # Portuguese
    "àèéìíîòóùú",  # Italian
    "áéèëïóöü",  # Dutch
    "àçéèíïòóúü",  # Catalan
    "åäöé",  # Swedish, Finnish
    "æøåéó",  # Danish, Norwegian
    "áðéíóúýþæö",  # Icelandic
    "äõöüšž",  # Estonian
    "áčďéěíňóřšťúůýž",  # Czech
    "áäčďéíĺľňóôŕšťúýž",  # Slovak
    "ąćęłńóśźż",  # Polish
    "áéíóöőúüű",  # Hungarian
    "čćđšž",  # Slovene, Croatian, Bosnian
    "ăâîșțşţ",  # Romanian (comma below, or the cedilla of older fonts)
    "çëé",  # Albanian
    "çğıöşüâî",  # Turkish
    "ąčęėįšųūž",  # Lithuanian
    "āčēģīķļņšūž",  # Latvian
    "àáâãèéêìíòóôõùúýăđĩũơư\u0300\u0301\u0303\u0309\u0323",  # Vietnamese (cp1258)
)
_ALPHABET_SETS = tuple(frozenset(a) for a in _ALPHABETS)
_SAMPLE = 1 << 18  # bytes judged
_NON_ASCII = re.compile(r"[^\x00-\x7f\s]")
_C1 = re.compile("[\x80-\x9f]")
# Punctuation and signs every code page writes alike: neither evidence for nor against.
_NEUTRAL = frozenset("\u00a0“”‘’„‚«»‹›–—…•€£¥§°©®™·¡¿×÷±")
# Of those, the ones real words hold between two letters: "don’t", Catalan "l·l", "well–known".
# Between letters, only the other signs count against a code page (ISO 8859-2's "ą" read as
# cp1250's "±" gives "Rz±d").
_WORD_JOINERS = frozenset("’‘·–—\u00a0")


def fit(text: str) -> float:
    """The share of the text's non-ASCII characters that one language's alphabet holds
    (the best language's share; 1.0 when there is nothing to judge). A sign between two
    letters is judged too (an apostrophe or a dash is not): ISO 8859-2's "ą" is cp1250's "±",
    and "Rz±d" is no word."""
    counts = Counter(m.group().lower() for m in _NON_ASCII.finditer(text)
                     if m.group() not in _NEUTRAL
                     or (m.group() not in _WORD_JOINERS and _inside_word(text, m.start())))
    total = sum(counts.values())
    if not total:
        return 1.0
    return max(sum(n for c, n in counts.items() if c in alphabet) for alphabet in _ALPHABET_SETS) / total


def _inside_word(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()


# charset-normalizer's names for single-byte Latin encodings: a choice among these is weighed.
_LATIN = frozenset(CODEPAGES) | {
    "latin_1", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_14", "iso8859_16",
    "cp437", "cp850", "cp852", "cp858", "hp_roman8", "mac_roman", "mac_latin2", "mac_iceland", "mac_turkish",
}


def is_latin(encoding: str) -> bool:
    """Whether charset-normalizer's choice `encoding` is a single-byte Latin encoding."""
    return encoding.lower().replace("-", "_") in _LATIN


def best_codepage(data: bytes, chosen: str, chosen_text: str) -> tuple[str, str]:
    """(text, encoding): charset-normalizer's `chosen` decoding, or another Latin code
    page's whose letters fit a language better. The first `_SAMPLE` bytes are judged (one
    byte a character in these pages); the winner decodes the whole."""
    order = {enc: i for i, enc in enumerate(CODEPAGES)}
    sample = data[:_SAMPLE]
    ranked = [(-fit(chosen_text[:_SAMPLE]), order.get(chosen, len(CODEPAGES)), chosen)]
    for enc in CODEPAGES:
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:
            continue
        if not _C1.search(text):  # an ISO 8859 page reads cp125x's letters as control codes
            ranked.append((-fit(text), order[enc], enc))
    for _, _, enc in sorted(ranked):
        if enc == chosen:
            return chosen_text, chosen
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:  # a byte past the sample it has no letter for
            continue
        if not _C1.search(text):
            return text, enc
    return chosen_text, chosen
