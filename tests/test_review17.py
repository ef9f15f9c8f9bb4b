"""review-17: defects found reviewing session 17's merged branches (perdoc-18, state-18,
serial-18k, attack-17), each with a test that fails without its fix."""

import pytest

from cleaner.api import Deduplicator

# Two texts of made-up tokens whose word 3-gram Jaccard is 0.258 while their 16-permutation
# MinHashes (seed 1) agree on one value of 16 (0.0625), their low bytes too: over the tier's
# floor (0.18 / 3 = 0.06), under the state's screen (0.18 x STATE_SCREEN = 0.072).
_G = 'police582 station261 school507 island483 library807 doctor96 theatre29 library443 river712 island272 farmer605 budget923 festival31 market26 forest9 library702 doctor992 court743 market540 farmer782 island961 theatre566 farmer353 farmer693 farmer779 mayor975 airport948 market426 budget190 airport123 election917 energy958 court519 factory310 airport601 theatre866 energy402 council491 teacher761 company424 garden375 railway88 island679 energy110 bridge533 company379 theatre750 market480 council315 company662 bridge172 energy232 river789 factory552 farmer414 energy352 storm470 village675 river392 energy828 police531 doctor436 harbor492 railway583 factory963 energy423 theatre832 storm424 storm1 forest553 election469 market823 farmer650 garden563 garden881 winter817 minister33 station85 market463 river772.'
_B = 'doctor101 weather48 school507 island483 library807 doctor96 theatre29 festival347 river712 island272 island833 budget923 festival31 festival427 forest9 library702 water434 factory238 police997 farmer782 village469 harbor369 farmer353 farmer693 farmer779 mayor975 river14 market426 minister920 airport123 winter536 energy958 water205 airport248 airport601 theatre866 energy402 council491 garden192 company424 garden375 railway88 island679 energy110 market952 court847 theatre750 market480 region199 company662 bridge172 energy232 river789 factory552 farmer414 energy352 storm470 village675 river392 energy828 police531 doctor436 harbor492 railway583 factory963 energy423 theatre832 storm424 hospital15 forest553 mayor468 market823 island214 garden563 garden881 winter817 minister33 station85 market463 river772.'


@pytest.mark.parametrize("workers", [1, 2])
def test_the_state_screen_does_not_depend_on_what_the_batch_loaded(tmp_path, workers):
    """A state's group loaded by an earlier document of the batch (c, a near copy: loaded on
    demand with workers=1, read ahead with workers > 1) was compared with a later one (b)
    down to the tier's floor with workers=1, but screened at STATE_SCREEN with workers=2:
    b joined g's record with one worker count and not the other."""
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("[minhash]\nnum_perm = 16\n[near]\nthreshold = 0.18\nlsh_threshold = 0.05\n")
    c_text = _G.replace("doctor96", "changed1", 1)
    with Deduplicator(config=cfg, workers=workers) as dedup:
        list(dedup.add([{"id": "g", "text": _G, "date": "2024-01-01"}]))
        rows = list(dedup.add([{"id": "c", "text": c_text, "date": "2024-01-02"},
                               {"id": "b", "text": _B, "date": "2024-01-03"}]))
    got = {r["id"]: r["status"] for r in rows}
    # c joins g; b is under the state's screen against g, whichever document loaded g first.
    assert got == {"c": "duplicate", "b": "kept"}


def test_a_cache_folder_under_an_unknown_home_means_no_cache(tmp_path, monkeypatch):
    """CLEANER_CACHE_DIR="~nosuchuser/c" (attack-17 expands a leading ~): Path.expanduser
    raised RuntimeError out of the story tier's word list look-up, a traceback and exit 1,
    where the table caches (core/table_cache.py) already ran without a cache."""
    from cleaner.dedup import term_weights, zipf_cache

    monkeypatch.setenv(zipf_cache.CACHE_ENV, "~no-such-user-review17/cache")
    monkeypatch.chdir(tmp_path)
    term_weights._ZIPF_SEEN.clear()
    for _ in range(2):  # the second time, a run that found its marker would build the cache
        assert term_weights.zipf_of({"bridge"}, "en")["bridge"] > 3
    assert list(tmp_path.iterdir()) == []  # no folder named "~no-such-user-review17" either
