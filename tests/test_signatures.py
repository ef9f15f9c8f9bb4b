import numpy as np
from datasketch import MinHash

from cleaner.features import salient_terms
from cleaner.shingles import exact_key, is_unspaced, shingle_set, shingles
from cleaner.signatures import POSITION_CONSTANTS, fmix32, hash32, jaccard, minhash_values


TEXT = "Russian missiles hit the port of Odesa early on Saturday, killing seven people, the governor said."


def test_signature_equals_datasketch_over_the_same_shingle_values():
    values = shingle_set(TEXT, 3, 3)
    ref = MinHash(num_perm=128, seed=1, hashfunc=int)
    ref.update_batch([int(v) for v in values])
    assert np.array_equal(minhash_values(values, 128, 1), ref.hashvalues)
    empty = MinHash(num_perm=64, seed=3)
    assert np.array_equal(minhash_values(np.empty(0, dtype=np.uint32), 64, 3), empty.hashvalues)


def test_shingle_values_follow_the_documented_scheme():
    values = shingle_set("alpha beta gamma", 3, 3)
    by_hand = (hash32("alpha") * int(POSITION_CONSTANTS[0]) + hash32("beta") * int(POSITION_CONSTANTS[1])
               + hash32("gamma") * int(POSITION_CONSTANTS[2])) % 2**32
    assert values.tolist() == [int(fmix32(np.array([by_hand], dtype=np.uint32))[0])]
    # one value per distinct shingle, and order inside a shingle matters
    assert len(shingle_set(TEXT, 3, 3)) == len(shingles(TEXT, 3, 3))
    assert shingle_set("a b", 2, 2).tolist() != shingle_set("b a", 2, 2).tolist()


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


def test_salient_terms_are_names_and_numbers():
    terms = salient_terms("Seven people died in Odesa on Saturday. Governor Mykola Derevianko said 23 were hurt at 03:40.")
    assert {"odesa", "saturday", "mykola", "derevianko", "23", "0340"} <= terms
    assert "seven" not in terms and "governor" not in terms  # sentence-initial capital only
