import numpy as np
from datasketch import MinHash

from cleaner.features import salient_terms
from cleaner.shingles import exact_key, is_unspaced, shingles
from cleaner.signatures import jaccard, minhash, shingle_hashes


def test_minhash_equals_datasketch_for_same_shingles():
    sh = shingles("Russian missiles hit the port of Odesa early on Saturday, killing seven people.", 5, 5)
    ours = minhash(shingle_hashes(sh), 128, 1)
    ref = MinHash(num_perm=128, seed=1)
    ref.update_batch([s.encode("utf-8") for s in sh])
    assert np.array_equal(ours.hashvalues, ref.hashvalues)


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
    a, b = shingle_hashes({"x", "y", "z"}), shingle_hashes({"y", "z", "w"})
    assert jaccard(a, b) == 0.5 and jaccard(a, a) == 1.0


def test_salient_terms_are_names_and_numbers():
    terms = salient_terms("Seven people died in Odesa on Saturday. Governor Mykola Derevianko said 23 were hurt at 03:40.")
    assert {"odesa", "saturday", "mykola", "derevianko", "23", "0340"} <= terms
    assert "seven" not in terms and "governor" not in terms  # sentence-initial capital only
