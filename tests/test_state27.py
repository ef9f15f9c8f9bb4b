"""state-27 (#16 point 9): what a state's batch holds in its main process through the story
tier's peak. The story window's texts the main process signs itself (SalientAhead's `here`)
leave no tokens in its token cache (terms.tokens_apart): they are not signed there again."""

from cleaner.api import get_config
from cleaner.dedup import terms
from cleaner.exec import forked
from cleaner.stages.sign import Sign


def _jobs(n: int) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(f"OSLO - Harald Vikstrom opened the Fjellby tunnel on {i % 28 + 1} May 2025.\n"
             f"Crews from Tromsdal{i} and Nordkapp{i} worked {i * 3} nights on it.",
             "2025-05-20", f"Tunnel opens {i}", "en") for i in range(n)]


def _known() -> dict:
    return {lang: (set(k.plain), dict(k.kinds)) for lang, k in terms._KNOWN.items()}


def test_the_caller_s_signing_leaves_the_token_cache_as_it_was():
    sign = Sign.from_config(get_config(None))
    sign.salient("Before: Quentin Marlowe visited Aldbury on 3 June 2025.", "2025-06-04", None, "en")
    before, kept = _known(), terms._KEPT[0]
    assert before and any("Aldbury" in k for _, k in before.values())

    class Idle:
        def apply_async(self, *a, **k):
            raise AssertionError("nothing may be sent")

    ahead = forked.SalientAhead(sign, Idle(), 1)
    ahead.limit = 0  # no child takes anything: the caller signs every chunk
    jobs = _jobs(9)
    for start in range(0, 9, 2):
        ahead.add(jobs[start:start + 2])
    found = ahead.results()
    assert _known() == before and terms._KEPT[0] == kept  # Tromsdal0, Vikstrom, ... not kept
    assert found == [sign.salient(*job) for job in jobs]  # the same terms with the cache as without


def test_tokens_apart_restores_the_cache_after_an_error():
    sign = Sign.from_config(get_config(None))
    sign.salient("Quentin Marlowe visited Aldbury.", None, None, "en")
    before = _known()
    try:
        with terms.tokens_apart():
            sign.salient("Ottoline Brackwater sailed to Kestrelholm.", None, None, "de")
            assert "de" in terms._KNOWN
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert _known() == before
