"""cpu-28 (#18 point 2): the same results, less CPU a document.

- input/read.scrub looks for lone surrogates only in a text that may hold one (not ASCII,
  and does not encode as UTF-8), and leaves an ASCII text's NFC alone: the same text as the
  regex and normalisation it skips (kept here to compare with).
- dedup/terms.text_tokens scans a text that fits a one-byte code page with that page's
  pattern (page_tokens: its word characters, digits and whitespace as explicit classes):
  the same tokens as _TOKENS.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.core.text import WORD_CLASS
from cleaner.dedup import terms as terms_module
from cleaner.dedup.signatures import CODE_PAGES, in_code_page
from cleaner.input.read import from_record, scrub

_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub_before(text: str) -> str:
    """input/read.scrub as it was before cpu-28."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = _SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


_ODD = ["\ud800", "\udfff", "\udc80x", "\x00", "\r\n", "\r", "e\u0301", "\u212b", "A\u030a", "ﬁ", "Ω", "ß", "a",
        " ", "\n", "é", "Київ", "北京", "😀", "\u2028"]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(_ODD), max_size=30).map("".join) | st.text(max_size=60))
def test_scrub_is_what_it_was(text):
    assert scrub(text) == _scrub_before(text)


def test_scrub_still_replaces_lone_surrogates_and_composes():
    assert scrub("a\ud800b") == "a\ufffdb"
    assert scrub("e\u0301\ud800") == "\u00e9\ufffd"  # not ASCII, does not encode: both done
    assert scrub("ab\r\ncd\re\x00") == "ab\ncd\ne"  # ASCII: line ends and NUL still
    # A record's text from JSON escapes: a lone surrogate, NFC
    assert from_record({"text": "caf\u0065\u0301 \udc80"}, "x", "s").text == "caf\u00e9 \ufffd"


def _page_chars(codec: str) -> list[str]:
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
    return chars


# Pieces that reach every alternative of _TOKENS: numbers with separators, words with
# hyphens and apostrophes, sentence ends, line breaks, "_", whitespace of every kind a
# page holds.
_PIECES = ["Dec.", "20", "12,000", "03:40", "2025-12-20", "O'Neill", "Kherson’s", "Saint-Denis", "a_b", "_", "-",
           "'", ".", "!", "?", " ", "  ", "\n", "\n\n", ". \n", ".\t", "\x85", "\xa0", "\x1c", "\x0b", "Straße", "Київ",
           "ª", "º", "µ", "¹", "²", "½", "×", "÷", "№", "ў", "Ђ", "ŠŽ", "œ", "–", "—", "…"]


def _page_text(codec: str):  # type: ignore[no-untyped-def]
    chars = _page_chars(codec)
    return (st.lists(st.sampled_from(chars), max_size=60).map("".join)
            | st.lists(st.sampled_from(chars + _PIECES), max_size=40).map(" ".join)
            | st.lists(st.sampled_from(chars + _PIECES), max_size=40).map("".join))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(CODE_PAGES).flatmap(lambda codec: st.tuples(st.just(codec), _page_text(codec))))
def test_page_tokens_are_the_tokens(case):
    codec, text = case
    try:
        text.encode(codec)
    except UnicodeEncodeError:  # a piece from another page: not a text this page's pattern reads
        pass
    else:
        assert terms_module.page_tokens(codec).findall(text) == terms_module._TOKENS.findall(text)
    assert terms_module.text_tokens(text) == terms_module._TOKENS.findall(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80) | st.lists(st.sampled_from(_PIECES + ["北京", "😀", "ข่าว"]), max_size=30).map(" ".join))
def test_text_tokens_are_the_tokens(text):
    assert terms_module.text_tokens(text) == terms_module._TOKENS.findall(text)


def test_each_page_class_is_the_category_on_that_page():
    for codec in CODE_PAGES:
        chars = _page_chars(codec)
        assert len(chars) >= 251  # cp1252 and cp1251 leave a few bytes undefined
        pattern = terms_module.page_tokens(codec)
        for ch in chars:
            word = bool(re.fullmatch(WORD_CLASS, ch))
            # one character alone is a token exactly when it is a word character or a digit
            assert (pattern.fullmatch(ch) is not None) == (word or ch == "\n" or bool(re.fullmatch(r"\d", ch)))


def test_a_text_in_no_page_is_read_by_the_unicode_patterns():
    text = "Met Li in 北京 on Dec 20. Then 3,000 went"
    assert in_code_page(text) is None
    assert terms_module.text_tokens(text) == terms_module._TOKENS.findall(text)
    assert in_code_page("Київ, 20 грудня.") is not None  # cp1251
    assert in_code_page("Kyiv – 20 “Dec”") is not None  # cp1252


def test_no_code_page_holds_an_unspaced_script():
    """line_word_counts and the signing stage skip the search for an unspaced script in a
    text that fits a code page: none of its characters is one."""
    from cleaner.core.text import UNSPACED

    for codec in CODE_PAGES:
        assert not any(UNSPACED.search(ch) for ch in _page_chars(codec))


def test_line_word_counts_are_word_counts_in_and_out_of_a_page():
    from cleaner.core.text import word_count
    from cleaner.dedup.signatures import line_word_counts

    for text in ("Київ, 20 грудня.\nA b", "北京 a\nb c d", "plain text\n\nand more_words", "ข่าว ok\n", ""):
        assert line_word_counts(text) == [word_count(line) for line in text.split("\n")]


def test_a_batch_of_texts_is_folded_once():
    """A batch signed (64 documents), then stored: the template line keys find each text's
    fold kept (before cpu-28, two were kept, and every fold was done twice)."""
    from cleaner.dedup import signatures

    texts = [f"Text {k} about Odesa.\nA second LINE {k}." for k in range(64)]
    folds = [signatures.folded(t) for t in texts]
    before = signatures.folded.kept.cache_info().hits
    assert [signatures.folded(t) for t in texts] == folds
    assert signatures.folded.kept.cache_info().hits - before == 64
    long = "Ab " * (signatures.FOLDED_CHARS // 3 + 1)  # past FOLDED_CHARS: folded, not kept
    assert signatures.folded(long) == signatures._fold(long) == long.casefold()
    code_pages = [signatures.document_code_page(t) for t in texts]
    assert [signatures.document_code_page(t) for t in texts] == code_pages == [signatures.in_code_page(t) for t in texts]
