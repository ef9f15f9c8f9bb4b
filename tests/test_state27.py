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


def test_the_window_s_canonicals_share_one_object_a_term(tmp_path, monkeypatch):
    """A state's batch hands the story tier its window's canonicals with one str object a
    term (read back from the state and signed again, each had objects of its own)."""
    from cleaner import Deduplicator
    from cleaner.dedup import incremental

    def items(batch: int) -> list[dict]:
        towns = ["Tromsdal", "Nordkapp", "Hammerby", "Lysefjord", "Brekkestad", "Vardholm"]
        verbs = ["opened", "inspected", "praised", "visited", "closed", "blessed"]
        if batch:  # other wording, the same names: not copies of the first batch's
            return [{"id": f"b{batch}-{i}", "date": "2025-05-21", "title": f"Vikstrom and {towns[i]}",
                     "text": f"Harald Vikstrom told {towns[(i + 3) % 6]} radio that Ingrid Solberg had "
                             f"{verbs[(i + 2) % 6]} plans for {i * 13 + 5} kilometres of road.\n"
                             f"Fjellby council members from {towns[i]} {verbs[i]} it, {i + 40} of them."}
                    for i in range(6)]
        return [{"id": f"b{batch}-{i}", "date": "2025-05-20", "title": f"{towns[i]} news {batch}",
                 "text": f"OSLO - Harald Vikstrom {verbs[(i + batch) % 6]} the {towns[i]} tunnel with "
                         f"Ingrid Solberg on Tuesday, {i * 7 + batch} days after the vote.\n"
                         f"Crews from {towns[(i + 1) % 6]} and {towns[(i + 2 + batch) % 6]} worked "
                         f"{i * 11 + batch * 3} nights; {verbs[i]} officials said the Fjellby line follows."}
                for i in range(6)]

    seen: list[list] = []
    real = incremental.story_links

    def story_links(records, *a, **k):
        seen.append([r.canonical.features for r in records])
        return real(records, *a, **k)

    state = str(tmp_path / "state.db")
    with Deduplicator(state=state, batch_size=6) as dedup:
        list(dedup.add(items(0)))
    monkeypatch.setattr(incremental, "story_links", story_links)
    with Deduplicator(state=state, batch_size=6) as dedup:
        list(dedup.add(items(1)))
    window = seen[-1]
    assert len(window) > 6  # the state's groups are in the window
    objects: dict[str, set[int]] = {}
    for f in window:
        for t in (*f.terms, *f.lead):
            objects.setdefault(t, set()).add(id(t))
    assert any("vikstrom" in t.casefold() for t in objects), sorted(objects)
    assert all(len(ids) == 1 for ids in objects.values()), {t: len(i) for t, i in objects.items() if len(i) > 1}


def test_slim_documents_read_back_share_their_repeated_strings(tmp_path):
    """Two rows read back hold one object for each string most rows repeat (language, its
    reason, status, source, the metadata's fields and reasons); each had its own."""
    from cleaner.core.document import Document
    from cleaner.core.features import Features
    from cleaner.store.state import State

    def doc(i: int) -> Document:
        d = Document(id=f"d{i}", text=f"text {i}", title=f"Title {i}", source="feed-" + "x" * 30, status="kept",
                     date="2025-" + "05-20",
                     lang="en", lang_reason="langdetect on the first 500 characters " + "of the text",
                     meta={"date": "input field " + "'date'", "title": "first line " + "of text"})
        d.features = Features(exact=f"{i:040x}", near=None, near_mh=None, story_mh=None)
        return d

    state = State(tmp_path / "s.db")
    try:
        a, b = (state.packer.unpack_doc(state.packer.pack_doc(doc(i)), f"d{i}") for i in (1, 2))
    finally:
        state.close()
    for name in ("source", "status", "date", "lang", "lang_reason"):
        assert getattr(a, name) == getattr(doc(1), name) and getattr(a, name) is getattr(b, name), name
    assert a.meta == doc(1).meta and list(a.meta) == list(doc(1).meta)
    for (ka, va), (kb, vb) in zip(a.meta.items(), b.meta.items()):
        assert ka is kb and va is vb
    assert (a.title, a.id) == ("Title 1", "d1")
