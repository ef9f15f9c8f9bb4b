import numpy as np
from datasketch import MinHash

from cleaner.dedup.terms import salient_terms
from cleaner.dedup.shingles import exact_key, is_unspaced, shingle_set, shingles
from cleaner.dedup.signatures import POLY_BASE, POSITION_CONSTANTS, fmix32, jaccard, minhash_values, string_hashes, token_hashes
from cleaner.core.text import tokens


TEXT = "Russian missiles hit the port of Odesa early on Saturday, killing seven people, the governor said."


def test_signature_equals_datasketch_over_the_same_shingle_values():
    values = shingle_set(TEXT, 3, 3)
    ref = MinHash(num_perm=128, seed=1, hashfunc=int)
    ref.update_batch([int(v) for v in values])
    assert np.array_equal(minhash_values(values, 128, 1), ref.hashvalues)
    empty = MinHash(num_perm=64, seed=3)
    assert np.array_equal(minhash_values(np.empty(0, dtype=np.uint32), 64, 3), empty.hashvalues)


def test_permutations_are_datasketchs():
    from cleaner.dedup.signatures import permutations

    for num_perm, seed in ((128, 1), (64, 3), (256, 12345), (1, 0)):
        ref = MinHash(num_perm=num_perm, seed=seed)
        empty, a, b = permutations(num_perm, seed)
        assert empty.dtype == a.dtype == b.dtype == ref.hashvalues.dtype == np.uint32
        assert np.array_equal(empty, ref.hashvalues)
        assert np.array_equal(a, ref.permutations[0]) and np.array_equal(b, ref.permutations[1])


def test_signing_does_not_import_datasketch():
    """Its import pulls in scipy: ~0.8 s of CPU in every process that signs documents."""
    import subprocess
    import sys

    code = ("import sys; from cleaner.core.document import Document; from cleaner.stages.sign import Sign; "
            "s = Sign(); s.setup(); d = s.process(Document(id='a', source='a', text='Odesa said on Saturday.'));"
            "assert d.features.near_mh.dtype.name == 'uint32'; print('datasketch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _fmix64(h: int) -> int:
    m = 2**64 - 1
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & m
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & m
    return h ^ (h >> 33)


def _token_value(token: str) -> int:
    # The documented scheme, in plain Python: polynomial over code points, then fmix64.
    return _fmix64(sum(ord(c) * pow(POLY_BASE, j, 2**64) for j, c in enumerate(token)) % 2**64)


def test_shingle_values_follow_the_documented_scheme():
    values = shingle_set("Alpha, beta GAMMA", 3, 3)
    low = [_token_value(t) & 0xFFFFFFFF for t in ("alpha", "beta", "gamma")]
    by_hand = sum(v * int(c) for v, c in zip(low, POSITION_CONSTANTS)) % 2**32
    assert values.tolist() == [int(fmix32(np.array([by_hand], dtype=np.uint32))[0])]
    # one value per distinct shingle, and order inside a shingle matters
    assert len(shingle_set(TEXT, 3, 3)) == len(shingles(TEXT, 3, 3))
    assert shingle_set("a b", 2, 2).tolist() != shingle_set("b a", 2, 2).tolist()


def test_token_values_match_the_scheme_for_long_tokens_and_every_script():
    text = "Straße ΣΊΣΥΦΟΣ naïve ﬁne 12,000 Київ 東京 " + "x" * 9000  # a token longer than a power block
    assert token_hashes(text).tolist() == [_token_value(t) for t in tokens(text)]
    assert string_hashes(["київ", "", "x"]).tolist() == [_token_value("київ"), _token_value("x")]
    assert token_hashes("上海港", chars=True).tolist() == [_token_value(c) for c in "上海港"]


def test_exact_key_compares_the_words_themselves_not_their_hashes():
    # Thue-Morse words collide under any polynomial hash mod 2^64 (so their token values
    # are equal); the exact tier merges without checking, so its key must not.
    a = "".join("ab"[bin(i).count("1") % 2] for i in range(2048))
    b = a.translate(str.maketrans("ab", "ba"))
    assert exact_key(a) != exact_key(b)
    assert exact_key("ab c") != exact_key("a bc") and exact_key("") == exact_key("!!")


def test_exact_key_ignores_case_punctuation_and_spacing():
    assert exact_key("Seven  killed, 23 hurt.") == exact_key("seven killed 23 hurt")
    assert exact_key("Seven killed") != exact_key("Eight killed")


def test_word_and_character_shingles():
    assert shingles("a b c d e f", 5, 5) == {"a b c d e", "b c d e f"}
    assert shingles("short text", 5, 5) == {"short text"}
    zh = "上海港集装箱吞吐量创新高"
    assert is_unspaced(zh) and not is_unspaced("plain English words")
    assert "上海港集装" in shingles(zh, 5, 5)


def test_exact_jaccard():
    a, b = shingle_set("x y z", 1, 1), shingle_set("y z w", 1, 1)
    assert jaccard(a, b) == 0.5 and jaccard(a, a) == 1.0


def test_salient_terms_are_names_numbers_and_dates():
    text = "Seven people died in Odesa on Saturday. Governor Mykola Derevianko said 23 were hurt at 03:40."
    terms, *_ = salient_terms(text)
    assert {"odesa", "mykola", "derevianko", "23", "0340"} <= set(terms)
    assert "seven" not in terms and "governor" not in terms  # sentence-initial capital only
    assert "saturday" not in terms  # a weekday is a date, not a name...
    dated, *_ = salient_terms(text, "2025-12-21")
    assert "@12-20" in dated  # ...counted back from the document's date (a Sunday)


from hypothesis import given, settings, strategies as st  # noqa: E402

_TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_vectorised_token_values_equal_per_token_values(text):
    assert token_hashes(text).tolist() == string_hashes(tokens(text)).tolist()


@settings(max_examples=200, deadline=None)
@given(_TEXTS, st.integers(1, 6))
def test_one_shingle_value_per_distinct_shingle(text, n):
    values = shingle_set(text, n, n)
    assert len(values) == len(np.unique(values))
    assert len(values) <= max(1, len(shingles(text, n, n)))
    assert (len(values) == 0) == (len(shingles(text, n, n)) == 0)


@settings(max_examples=100, deadline=None)
@given(_TEXTS)
def test_exact_key_ignores_spacing_and_punctuation_around_words(text):
    assert exact_key(text) == exact_key(" " + text + " .")


def test_long_texts_are_hashed_in_batches_with_the_same_values(monkeypatch):
    import cleaner.dedup.signatures as sig

    text = " ".join(f"word{i % 997} Straße{i % 13}" for i in range(4000)) + " " + "z" * 300
    whole = token_hashes(text)
    sig._scan.cache_clear()
    monkeypatch.setattr(sig, "CHUNK_CHARS", 50)  # many batches, and a token longer than one
    assert token_hashes(text).tolist() == whole.tolist() == string_hashes(tokens(text)).tolist()
