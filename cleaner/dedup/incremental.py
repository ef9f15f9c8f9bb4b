"""Records that grow batch after batch, against a state (store/state.py): the same tiers
as one run, with history read from the state instead of held in memory.

Copy tier: a Clusterer whose groups, exact keys and LSH bands are the state's, so a new
document is compared with the canonical of every group the state holds (through the
index), joins the best match or starts a group. Story tier: the batch's groups are linked
with the groups of a window (canonicals dated within `story.window_days` of the batch's
dates, and groups of the last `story.window_batches` batches, which covers undated ones),
by the same average linkage as one run, over the window's groups alone (a record's
groups outside it are not read); records only ever merge, never split, so a
record id once given stays valid.

Where this can differ from one run over everything (README, "Batches and streams"):
- a document better than its group's canonical (earlier date, longer...) arrives later:
  it becomes the canonical, the record keeps its id, and a `canonical_changed` event says so;
  in one run it would have led the group from the start, and later documents are
  compared with the canonical of their time;
- average linkage can join two records that already exist: one run would have built
  one record; here the older record absorbs the newer (its id stays) with a `merged`
  event naming the id that ends;
- a story link a later batch would undo in one run (average linkage is not monotone)
  stays: records never split; and groups outside the window are not linked again;
- a candidate in the state whose MinHash screen is under near.threshold x STATE_SCREEN
  (0.12 at the default 0.3) is not compared, where one run compares down to
  near.threshold x cluster.ESTIMATE_FLOOR (0.1): a near copy at the threshold is missed
  with probability 8.5e-7 here, 1.8e-8 in one run (a probabilistic screen, #16 point 9);
- a batch's group joins an existing record by its average similarity to the record's
  groups in the window only (dated within `story.window_days` of the batch, or of the
  last `story.window_batches` batches): one run would average over all of the record's
  groups, old ones included, so a long-running story can take (or refuse) a group here
  that one run would not.
"""

from __future__ import annotations

import json
from array import array

from dataclasses import replace
from datetime import date as Date
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import numpy as np

from cleaner.core.config import Config
from cleaner.core.document import DUPLICATE, KEPT, Document
from cleaner.core.features import Features, share_terms
from cleaner.core.protocols import DocStore
from cleaner.core.provenance import code_fingerprint
from cleaner.dedup.bands import BandIndex
from cleaner.dedup.cluster import (CANONICAL, ESTIMATE_FLOOR, Clusterer, Member, PreferenceKey, Record,
                                   SourcePriority, array_of, load_line_words, preference_key, record_id, settle,
                                   story_links, story_records)
from cleaner.dedup.ids import later_names, rename
from cleaner.dedup.stories import candidate_edges, local_edges, measured_locally
from cleaner.dedup.terms import is_name
from cleaner.dedup.term_weights import TermWeights, doc_terms
from cleaner.exec.memory import release_free_memory
from cleaner.stages.sign import Sign
from cleaner.store.state import Packer, State, Undecodable, band_row

if TYPE_CHECKING:
    from cleaner.exec.forked import Helpers, PackAhead, SalientAhead


def day_number(iso: str | None) -> int | None:
    try:
        return Date.fromisoformat(iso).toordinal() if iso else None
    except ValueError:
        return None


def lead_names_of(doc: Document) -> list[str]:
    assert doc.features is not None  # signed (stages/sign.py), or restored from the state with its features
    return sorted(t for t in doc.features.lead if is_name(t))


def state_settings(cfg: Config) -> str:
    """What comparisons against a state's history depend on: a state made with other
    values would compare signatures that do not match."""
    mh, near = cfg["minhash"], cfg["near"]
    return (f"minhash num_perm={mh['num_perm']} seed={mh['seed']}; near word_ngram={near['word_ngram']} "
            f"char_ngram={near['char_ngram']} lsh_threshold={near['lsh_threshold']}")


# A Member as the state keeps it (docs.member): its fields after the document; shared terms
# and evidence are not kept (a record's story members get theirs again from story_records).
MemberRow = tuple[str, float, float | None, list[str] | None, list[dict[str, Any]] | None, str]


LOOK_AHEAD = 250  # documents a look-ahead reads together (~20,000 band rows against 200,000 documents)
# Documents whose candidates the copy tier reads ahead at a time (a stream's batch; a folder
# run's one batch can be all its documents: what is read ahead stays bounded).
READ_AHEAD = 1000
READ_TOGETHER = 64  # the story window's canonicals read in one statement (_window_ahead)
PACK_CHUNK = 32  # documents' rows a child packs a task (_pack_ahead; ~0.1 ms a row)
# A state's candidate whose screen (StateGroups.screen: at or above its MinHash estimate)
# is under near.threshold x this is not read: a probabilistic screen, like
# cluster.ESTIMATE_FLOOR (1/3) under it. With 128 permutations a pair at the threshold (0.3)
# estimates under 0.12 with probability 8.5e-7 (binomial tail; under ESTIMATE_FLOOR's 0.1,
# 1.8e-8), while most candidates against a large state are pairs of Jaccard ~0.05-0.2
# (bench/scratch/state18_screen.py: of the state bench's 1,000-document probe's 6,835
# candidates against 200,000 documents, 5,753 estimate at 0.1 or more, 2,209 at 0.12, none
# reaches 0.3 on shingles), and each costs its canonical's text read and shingled again
# (#16 point 9).
STATE_SCREEN = 0.4
# The story window's canonicals' terms the state keeps (_keep_terms), in bytes a document
# of the state at most, the earliest batches' dropped first: ~1.3 KB a canonical (most of
# it its term lines' word hashes, which do not compress), for every copy group of the
# window's days (30 days of the state bench's news: 16,200 groups, 21 MB) would be +114
# bytes a document at 200,000 documents and +730 at 19,000, where the whole state is in
# the window (#16 point 9: at most 2 KB a document; the state keeps ~1.5-1.9 KB without).
# 80: the state bench's 200,000-document state 1,896 -> ~1,980 bytes a document, its probe's
# window finding ~3 in 4 of its canonicals' terms kept (the earliest days' go first).
TERMS_BUDGET = 80


def terms_settings(cfg: Config) -> str:
    """What the salient terms a state keeps depend on besides a canonical's stored text,
    date, title and language (sign.salient): story.lead_words, what a checkpoint's
    fingerprint names of the code, packages and Unicode tables (provenance.code_fingerprint).
    A batch under other values (a
    changed configuration between batches, an upgrade) drops every kept row first, so a kept
    term is always the one signing would give now: a cache never changes a result."""
    return f"story.lead_words={cfg['story']['lead_words']}; {code_fingerprint()}"


class StateIndex:
    """The CandidateIndex of the copy tier, in the state: LSH band keys in an indexed table.
    A query reads its groups' screens with them (the low bytes of each canonical's MinHash,
    absent for a group not in the groups table yet), in the same statement, and counts each
    one's bytes equal to the query's in one array operation (`matches`, the last query's:
    group -> (equal bytes, bytes)), for StateGroups.screen.

    A signature looked up ahead (`look_ahead`: the batch's next documents, before the copy
    tier visits them) is answered from what the state held then, and the groups this batch
    inserted since, kept here (`added`): the same groups and screens its query would read,
    without the query (a group found both ways is one group; a group of the batch has no
    screen either way, and one whose canonical the batch changed is not screened)."""

    def __init__(self, state: State, threshold: float, num_perm: int):
        self.state, self.bands = state, BandIndex(threshold, num_perm)
        self.matches: dict[int, tuple[int, int]] = {}
        self.queried: bytes | None = None  # the signature (its bytes) `matches` were counted against
        # look_ahead's answers by signature, until its query: (groups, those with a screen,
        # their equal bytes, bytes), as arrays (a 1,000-document batch against 200,000
        # documents finds ~90,000 candidates: as sets and dicts, ~20 MB).
        self.ahead: dict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
        self.added: dict[int, list[int]] = {}  # band row (band_row) -> the groups this batch inserted with it
        # A query answered from a look-ahead leaves out the groups whose screen, counted with
        # it, is under `floor`, unless in `own`: StateGroups.screen would refuse each of them
        # (their canonical is the state's, so they are screened at max(the tier's floor, its
        # own)), and the tier skips a group its screen refuses. None: every group (the tier
        # screens them one call each: ~90 a document of the state bench's probe against
        # 200,000 documents, ~3 pass; the copy pass is this process's alone, #16 point 9).
        self.floor: float | None = None
        self.own: set[int] = set()
        # The band rows (band_row) inserted and their groups, not in the state yet (`write`):
        # as arrays (a 1,000-document batch inserts ~28,000; as tuples, ~3.5 MB).
        self._rows, self._groups = array("q"), array("q")

    def insert(self, idx: int, signature: np.ndarray) -> None:
        """Group `idx` findable by `signature`'s band keys. While a look-ahead's answers wait
        (workers > 1: at most READ_AHEAD documents), through `added` at once (every query of
        the batch reads it) and in the state when `write` puts the rows there; else at once."""
        keys = self.bands.band_keys(signature)
        if not self.ahead:  # no look-ahead's answers wait (workers=1): into the state now, `added`
            self.state.add_bands(keys, idx)  # unbounded otherwise (review-15: ~4.5 KB a document)
            return
        for key in keys:
            row = band_row(key)
            self.added.setdefault(row, []).append(idx)
            self._rows.append(row)
        self._groups.extend([idx] * len(keys))

    def write(self) -> None:
        """The band rows inserted since, into the state, in one statement, in key order: one
        row at a time into a 200,000-document state's band index (~4 million rows) reached a
        new page of it for nearly every row (0.37 s for a 1,000-document batch); in key order,
        the neighbours share pages. The same rows (INSERT OR IGNORE: a set)."""
        rows, groups = self._rows, self._groups
        self._rows, self._groups = array("q"), array("q")
        self.state.add_band_rows(np.frombuffer(rows, dtype=np.int64), np.frombuffer(groups, dtype=np.int64))

    def done(self) -> None:
        """The copy pass is over: its band rows into the state (`write`), and what answered its
        queries let go (`added`: ~28,000 band rows of a 1,000-document batch, ~3.5 MiB of small
        objects made among the read-ahead's, which pinned the allocator's arenas through the
        story tier's peak: #16 point 9). A query after this reads the state."""
        self.write()
        self.ahead.clear()
        self.added.clear()
        self.matches, self.queried = {}, None

    def look_ahead(self, signatures: list[np.ndarray]) -> None:
        """The state's answers to these signatures' queries, read together
        (State.band_screens_all), each kept for its signature's next query. The state's
        answers hold every group inserted so far: `added` (and answers not asked for)
        start again."""
        for _ in self.looking_ahead(signatures):
            pass

    def looking_ahead(self, signatures: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
        """look_ahead a slice at a time (LOOK_AHEAD signatures: what the statements read,
        bounded), each slice yielded once its answers are kept, so the caller can work on
        them before the next slice is read (StateGroups.read_ahead: the children sign the
        first slices' candidates meanwhile). The caller inserts nothing until the last: the
        answers are those look_ahead gives."""
        self.write()  # the state's answers then hold every group inserted so far
        self.ahead.clear()
        self.added.clear()
        for start in range(0, len(signatures), LOOK_AHEAD):
            part = signatures[start:start + LOOK_AHEAD]
            self._look_ahead(part)
            yield part

    def _look_ahead(self, signatures: list[np.ndarray]) -> None:
        answers = self.state.band_screens_all([self.bands.band_keys(signature) for signature in signatures])
        for signature, (found, held, lows) in zip(signatures, answers):
            # Each screen's bytes equal to the signature's, counted for all of them at once (_count).
            equal = np.count_nonzero(lows == screen_bytes(signature), axis=1).astype(np.int32) if len(held) else \
                np.zeros(0, dtype=np.int32)
            self.ahead[signature.tobytes()] = (found, held, equal, lows.shape[1] if len(held) else 0)

    def query(self, signature: np.ndarray, keep: bool = False) -> set[int]:
        """The groups sharing a band key with `signature` (`keep`: a kept answer stays kept)."""
        mine = signature.tobytes()
        ahead = self.ahead.get(mine) if keep else self.ahead.pop(mine, None)
        keys = self.bands.band_keys(signature)
        if ahead is None:
            found = self.state.band_screens(keys)
            self.matches = self._count(found, signature)
            groups = set(found)
        else:  # what the state held when looked up
            kept, held, equal, width = ahead
            groups = set(kept.tolist())
            self.matches = {g: (count, width) for g, count in zip(held.tolist(), equal.tolist())}
            if self.floor is not None and width:
                # The share of equal bytes as StateGroups.screen computes it (one division each).
                groups.difference_update(set(held[~(equal / width >= self.floor)].tolist()) - self.own)
        # And the groups the batch inserted (since): their band rows are written after the
        # copy tier (`write`); without a group row yet, the state gives them no screen either.
        groups.update(g for key in keys for g in self.added.get(band_row(key), ()))
        self.queried = mine
        return groups

    def screened_ahead(self, signature: np.ndarray, floor: float) -> tuple[list[int], list[int]] | None:
        """Of the groups a look-ahead found for `signature` (kept: `query(keep=True)` would
        answer them), those whose screen's share of equal bytes is at or above `floor`, and
        those without a screen, both sorted; None when the answer is not kept or the batch
        inserted groups since (the caller queries). The screen's arithmetic, an array at
        a time: StateGroups.read_ahead screened ~90,000 candidates one call each (0.1-0.2 CPU s
        of the main process for the state bench's probe against 200,000 documents)."""
        ahead = self.ahead.get(signature.tobytes())
        if ahead is None or self.added:
            return None
        kept, held, equal, width = ahead
        passing = held[equal / width >= floor] if width else held[:0]
        unscreened = np.setdiff1d(kept, held, assume_unique=True) if len(held) < len(kept) else held[:0]
        return sorted(passing.tolist()), sorted(unscreened.tolist())

    @staticmethod
    def _count(found: dict[int, bytes | None], signature: np.ndarray) -> dict[int, tuple[int, int]]:
        """group -> (its screen's bytes equal to the signature's, bytes), for the groups with a screen."""
        held = [(g, screen) for g, screen in found.items() if screen is not None]
        if not held or len({len(screen) for _, screen in held}) != 1:
            return {}
        width = len(held[0][1])
        lows = np.frombuffer(b"".join(screen for _, screen in held), dtype=np.uint8).reshape(len(held), width)
        equal = np.count_nonzero(lows == screen_bytes(signature), axis=1).tolist()
        return {g: (count, width) for (g, _), count in zip(held, equal)}


class StateExact:
    """The copy tier's exact-key table (get / setdefault, as a dict), in the state. Keys
    looked up ahead (`look_ahead`: a read-ahead's documents, whose candidates are read only
    if the state holds no exact copy) are answered again without a query: as the state
    would (the key's group in the state then, else the first group this batch set it to:
    INSERT OR IGNORE keeps the first)."""

    def __init__(self, state: State):
        self.state = state
        self.known: dict[str, int | None] = {}  # the last look-ahead's keys (a READ_AHEAD slice's)

    def look_ahead(self, keys: list[str]) -> list[int | None]:
        self.known = {key: self.state.exact(key) for key in keys}
        return [self.known[key] for key in keys]

    def get(self, key: str) -> int | None:
        return self.known[key] if key in self.known else self.state.exact(key)

    def setdefault(self, key: str, idx: int) -> None:
        self.state.add_exact(key, idx)
        if key in self.known and self.known[key] is None:
            self.known[key] = idx


class StateGroups:
    """The copy tier's list of groups (`Clusterer.records`), in the state: a group is
    loaded (its canonical, shingles recomputed from its text) when a document is compared
    with it; groups appended are the batch's new ones. A candidate read ahead
    (`read_ahead`) is kept as its canonical's shingles alone (`shingled`), what the tier
    compares it by; it is loaded whole only when the tier asks for more (a document joins
    it, or its shingles match and its MinHash is asked for)."""

    def __init__(self, state: State, sign: Sign, store: DocStore | None = None, index: StateIndex | None = None):
        self.state, self.sign = state, sign
        self.index = index  # the copy tier's index: its last query's screens counted (StateIndex.matches)
        self.exact: StateExact | None = None  # the copy tier's exact keys (read_ahead's look-ups kept there)
        self.floor = 0.0  # the screen's own floor (near.threshold x STATE_SCREEN), if above the tier's
        self.loaded: dict[int, Record] = {}
        # Groups read ahead, not loaded: their canonical's shingles (read_ahead). Against
        # 200,000 documents the probe batch read 3,054 candidates and joined none (every
        # shingle Jaccard under 0.2): their texts and rows were ~10 KiB each of a peak
        # that grew with the state (#16 point 9), and their rows' unpickling main-process time.
        self.shingled: dict[int, np.ndarray] = {}
        self.store = store  # the batch's document store (its documents' arrays may be spooled)
        self.number: dict[int, int] = {}  # id(document) -> its row in the state
        self.new: list[int] = []
        self.next = state.next_group()
        # Groups read ahead (`read_ahead`) whose canonical is still the state's: screened as
        # groups not loaded are (a group loaded otherwise is the batch's, or was compared).
        self.ahead: set[int] = set()
        # Groups whose canonical is the batch's (new ones, promoted ones): the state holds no
        # screen row of it, so they are never screened (`screen`).
        self.own: set[int] = set()
        self._mine: tuple[bytes | None, np.ndarray] = (None, np.zeros(0, dtype=np.uint8))

    def __len__(self) -> int:
        return self.next

    def __getitem__(self, g: int) -> Record:
        record = self.loaded.get(g)
        if record is None:
            key, _, _, n = self.state.group(g)
            # A group read ahead keeps the shingles signed then (the same array).
            canonical = self.restore(n, *self.state.doc(n), near=True, shingles=self.shingled.pop(g, None))
            record = self.loaded[g] = Record([canonical], key=key)
        return record

    def shingles(self, g: int) -> np.ndarray:
        """The shingles of group `g`'s canonical (Clusterer.canonical_shingles): a group read
        ahead is not loaded for them."""
        found = self.shingled.get(g)
        return found if found is not None else array_of(self[g].canonical, "near", self.store)

    def screen(self, g: int, signature: np.ndarray, floor: float) -> bool:
        """Whether group `g`'s canonical may estimate at or above `floor` against
        `signature` (Clusterer.screen), from the low bytes of its MinHash (groups.screen),
        without loading it. Values that are equal have equal low bytes, so the bytes' share
        of matches is never below the values' (the estimate): below the floor, the estimate
        is too, and the candidate is the chance band collision _near would skip after
        reading the group (2,988 of a 1,000-document batch's 3,258 candidates in a 10k
        state of the state bench's news). Under `self.floor` too, when that is higher
        (STATE_SCREEN: a probabilistic screen)."""
        if g in self.own:
            return True
        if g in self.loaded and g not in self.ahead and self.floor <= floor:
            return True  # exact: _near's estimate skips what this would (a group compared before)
        # Under the state's own floor (STATE_SCREEN, above the tier's) the screen is
        # probabilistic: it must then screen every group the state holds a canonical of,
        # loaded or not. A group some earlier document loaded (workers=1 loads on demand;
        # read_ahead with workers > 1) was otherwise compared down to the tier's floor, so a
        # document's group depended on the worker count and on the batch's other documents.
        floor = max(floor, self.floor)
        index, mine = self.index, signature.tobytes()  # by value: an array may be refilled in place
        found = index.matches.get(g) if index is not None and index.queried == mine else None
        if found is None:  # not counted with the query (a group without a screen row yet)
            low = np.frombuffer(self.state.screen(g), dtype=np.uint8)
            if self._mine[0] != mine:  # a document's candidates are screened one after another
                self._mine = (mine, screen_bytes(signature))
            found = (int(np.count_nonzero(low == self._mine[1])), len(low))
        # The share of equal bytes, as np.mean gave it (a count of ones is exact; one division).
        return found[0] / found[1] >= floor

    def signature(self, g: int) -> np.ndarray:
        """The MinHash of group `g`'s canonical (Clusterer.canonical_signature): a canonical
        restored from the state is signed from its shingles when first asked, so only for a
        candidate whose shingles match (Clusterer.shingles_first; 7,835 canonicals restored
        for the state bench's 1,000-document probe against 200,000 documents, 0.86 CPU s of
        MinHash, of which a handful were asked for)."""
        canonical = self[g].canonical
        f = canonical.features
        assert f is not None  # signed, or restored with its shingles (restore_member, `near`)
        if f.near_mh is None:
            f.near_mh = self.sign.near_signature(f.near)
        return array_of(canonical, "near_mh", self.store)

    def numbered(self, g: int, doc: Document) -> tuple[int, int, Document]:
        """(g, `doc`'s row in the state, doc) as _stored_terms takes a window canonical; -1
        for a document with no row yet, which no kept terms row names."""
        return g, self.number.get(id(doc), -1), doc

    def release(self, keep: set[int]) -> int:
        """Forget the groups loaded for the copy tier's comparisons but `keep` (the batch's
        groups: those it placed a document in, new ones included): its pass is over, and
        their canonicals (texts, shingles: ~7,000 of them for a 1,000-document batch against
        200,000 documents) would otherwise stay alive through the story tier, on top of its
        window (the batch's peak, which grew with the state: #16 point 9). A group of the
        story window among them is read from the state again there, as any other. Returns
        how many were dropped."""
        gone = [g for g in self.loaded if g not in keep]
        for g in gone:
            for m in self.loaded.pop(g).members:
                self.number.pop(id(m.doc), None)
        dropped = len(gone) + len(self.shingled)  # a group read ahead is loaded only once joined (in `keep`)
        self.shingled.clear()
        self.ahead.clear()
        return dropped

    def promoted(self, g: int) -> None:
        """Group `g`'s canonical is now the batch's: its screen row in the state is its old
        canonical's, so it is no longer screened."""
        self.ahead.discard(g)
        self.own.add(g)

    def append(self, record: Record) -> None:
        self.loaded[self.next] = record
        self.own.add(self.next)
        self.new.append(self.next)
        self.next += 1

    def restore(self, n: int, member: MemberRow, slim: Document, text: str, near: bool = False,
                shingles: np.ndarray | None = None) -> Member:
        """A state's document (restore_member), remembered by its row."""
        # No story MinHash: the tiers compare these on terms and shingles; a record's
        # members (records()) are restored again, with it. The copy tier (`near`) needs
        # no term lines either: the story tier asks for them (with_line_words).
        restored = restore_member(self.sign, member, slim, text, near, story=False, lines=not near, shingles=shingles)
        self.number[id(slim)] = n
        return restored

    def read_ahead(self, docs: list[Document], floor: float, workers: int, helpers: Helpers | None = None) -> None:
        """Load, before the copy tier visits `docs` (the batch's, in its order), every group
        of the state that one of them will compare with: a candidate (StateIndex.look_ahead,
        whose answers the tier's queries then reuse) that passes its screen. Their canonicals'
        texts are read here and their shingles signed on `workers` cores (this process and
        forked ones) as the reading goes on (exec/forked.shingles_ahead): the same arrays,
        and the same groups as the tier would load one by one. The tier screens them as
        before (`ahead`), so it compares the same pairs. `helpers`: the batch's forked
        children (exec/forked.Helpers), kept for its later signing steps."""
        from cleaner.exec.forked import CHUNK, shingles_ahead

        index = self.index
        assert index is not None  # made with the copy tier's index
        read: list[int] = []  # the candidates read, in order
        seen: set[int] = set()

        # A document the state holds as an exact copy has no candidates to read.
        signed = [d for d in docs if d.features is not None]
        held = (self.exact.look_ahead([d.features.exact for d in signed if d.features is not None])
                if self.exact is not None else [self.state.exact(d.features.exact) for d in signed if d.features is not None])
        signatures = [array_of(d, "near_mh", self.store) for d, g in zip(signed, held) if g is None]

        def candidates() -> Iterator[int]:
            # A slice's candidates read (and signed) before the next slice is looked up.
            for signature in (s for part in index.looking_ahead(signatures) for s in part):
                # Screened an array at a time (index.screened_ahead), as `screen` would one by
                # one: no group here is the batch's (`own` groups are loaded), so a group with a
                # screen passes at max(floor, self.floor); one without is screened as before.
                ahead = index.screened_ahead(signature, max(floor, self.floor))
                if ahead is None:
                    found, unscreened = sorted(index.query(signature, keep=True)), None
                else:
                    found = sorted(ahead[0] + ahead[1])
                    unscreened = set(ahead[1])
                for g in found:
                    if g in self.loaded or g in self.shingled or g in seen:
                        continue
                    if (unscreened is None or g in unscreened) and not self.screen(g, signature, floor):
                        continue
                    seen.add(g)
                    read.append(g)
                    yield g

        def chunks() -> Iterator[list[str]]:
            # CHUNK candidates' canonicals' texts read in one statement (State.canonical_texts:
            # one a candidate took two, 6,835 candidates' 13,670 for the probe batch against 200,000).
            found = candidates()
            while part := [g for _, g in zip(range(CHUNK), found)]:
                yield self.state.canonical_texts(part)

        shingled = shingles_ahead(self.sign, chunks(), workers, helpers)
        self.shingled.update(zip(read, shingled, strict=True))
        self.ahead.update(read)


def screen_bytes(signature: np.ndarray) -> np.ndarray:
    """The low byte of each MinHash value (groups.screen: 1 byte a value, not 4)."""
    return (np.asarray(signature, dtype=np.uint32) & 0xFF).astype(np.uint8)


def with_line_words(sign: Sign, doc: Document) -> Document:
    """`doc` with the words of its term lines, recomputed from its text if it came back
    from the state without them (the story tier's similarity reads them)."""
    f = doc.features
    assert f is not None  # signed, or restored from the state with its features
    if doc.text and not f.line_words:
        with_terms(sign, doc, lines=True)
    return doc


def with_terms(sign: Sign, doc: Document, lines: bool) -> None:
    """A state's document with its salient terms again (a row that keeps its text keeps
    them as None: store/state.FROM_TEXT), signed from its text as the signing stage did;
    `lines`: the words of its term lines, even if its terms were kept. The one pass gives
    both, so both are kept (a canonical the copy tier reads is often in the story tier's
    window too, which reads its lines' words)."""
    f = doc.features
    assert f is not None  # restored from the state with its features
    if f.terms is None or (lines and not f.line_words):
        _signed(doc, sign.salient(doc.text, doc.date, doc.title, doc.lang))


def _signed(doc: Document, found: tuple[list[str], list[str], bytes, str | None, bytes]) -> None:
    """What with_terms keeps of sign.salient's answer for `doc`."""
    f = doc.features
    assert f is not None  # restored from the state with its features
    terms, lead, term_lines, dateline, line_words = found
    if f.terms is None:
        f.terms, f.lead, f.term_lines, f.dateline = tuple(terms), tuple(lead), term_lines, dateline
    if not f.line_words:
        f.line_words = line_words


def sign_ahead(sign: Sign, docs: list[Document], workers: int, helpers: Helpers | None = None) -> None:
    """with_terms(lines=True) for each of `docs` that will need it (no terms, or a text
    without its lines' words), on the workers' cores when there are enough (exec/forked.py;
    `helpers`: the batch's children): the calls the story tier makes after find the work
    done, with the same values."""
    from cleaner.exec.forked import salient_all

    todo = [d for d in docs if d.features is not None and (d.features.terms is None or
                                                           (d.text and not d.features.line_words))]
    for doc, found in zip(todo, salient_all(sign, [(d.text, d.date, d.title, d.lang) for d in todo], workers,
                                                      helpers)):
        _signed(doc, found)


def restore_member(sign: Sign, member: MemberRow, slim: Document, text: str, near: bool = False,
                   story: bool = True, lines: bool = True, shingles: np.ndarray | None = None) -> Member:
    """A document as the state keeps it, with the arrays the tiers read (`near`: a
    canonical the copy tier compares with gets its shingles again, from its text, as signing
    gave them (`shingles`: those, signed already); their MinHash when asked,
    StateGroups.signature; `story`: the MinHash of its terms, which a record's story members
    report as an estimate; a document kept with its text gets the words of
    its term lines back, which the story tier reads)."""
    f = slim.features
    assert f is not None  # the state keeps every document's features
    slim.text = text
    # Kept with its text: terms from the text (and its lines' words, in the same pass). Not
    # for the copy tier (neither `story` nor `lines`), which compares shingles alone: the
    # story tier signs the terms of the canonicals it reads (_window, with_line_words).
    if f.terms is None and (story or lines):
        with_terms(sign, slim, lines)
    if story:
        f.story_mh = sign.story_signature(list(f.terms))
    if near:
        f.near = sign.near_shingles(text) if shingles is None else shingles
    if lines:
        with_line_words(sign, slim)
    return Member(slim, *member)


def _let_go(features: list[Features]) -> None:
    """The term lines and their words of the story window's canonicals restored from the
    state, let go once the story tier's children are forked with them (ForkedStories
    `let_go`): the story tier's steps read them there, and nothing in this process reads
    them after (_rows reads their metadata; records() restores its own): ~1 KB a window
    group, mostly the words' hashes, held through the tier's peak (#16 point 9)."""
    for f in features:
        f.term_lines = b""
        f.line_words = b""


def _slim(doc: Document) -> Document:
    """What the state keeps of a document: metadata and features, no text, shingles,
    signatures or term lines' words (a canonical's text is kept apart, docs.text; its
    shingles, signature, salient terms and lines' words are recomputed from it when read
    back)."""
    assert doc.features is not None  # signed (stages/sign.py)
    features = replace(doc.features, near=None, near_mh=None, story_mh=None, line_words=b"")
    return replace(doc, text="", html=None, removed=[], flags=[], line_no=None, link_density=None,
                   raw_line=None, raw_path=None, features=features, stored=None, status="pending", record_id=None)


PackedRow = tuple[bytes, bytes | None, bytes | None]


def _pack_row(packer: Packer, doc: Document, with_text: bool, texts: bool = True) -> PackedRow:
    """`doc`'s rows as State.add_doc and State.add_terms pack them (`packed`): its slim
    copy; and for a canonical (`with_text`), its text when the text is at hand (`texts`:
    the batch writes a canonical's `text`, no caller's text_of) and its language's
    dictionary read (Packer.has: a batch's forked child never reads the state), and its
    terms row (_keep_terms) when its lines' words are at hand; else None, packed when
    written."""
    f = doc.features
    assert f is not None  # signed (stages/sign.py)
    text = (packer.pack_text(doc.text, doc.lang) if texts and with_text and doc.text and packer.has(doc.lang)
            else None)
    terms = (packer.pack(_terms_row(f)) if with_text and f.terms is not None and isinstance(f.line_words, bytes)
             else None)
    return packer.pack_doc(_slim(doc), with_text=with_text), text, terms


def _terms_row(f: Features) -> tuple[list[str], list[str], bytes, str | None, Any]:
    """A canonical's terms as the state's terms table keeps them (sign.salient's answer)."""
    assert f.terms is not None  # signed, or its terms taken again (with_terms)
    return list(f.terms), list(f.lead), f.term_lines, f.dateline, f.line_words


def _member(m: Member) -> MemberRow:
    return (m.relation, m.similarity, m.estimated, None, None, m.reason)


def _known_or_renamed(state: State, doc: Document, taken: set[str]) -> int | None:
    """The state's row of `doc` (an id the state holds): the same words under that id or under
    a name an earlier batch renamed it to (sent again); else None, `doc` renamed to the first
    name neither the state nor this batch (`taken`) holds: ids stay unique in the state."""
    assert doc.features is not None
    n = state.known_doc(doc.id, doc.features.exact)
    for name in later_names(doc) if n is None else ():
        if name in taken:
            continue
        if (n := state.known_doc(name, doc.features.exact)) is not None:
            rename(doc, name, "is held by an earlier batch's document with other words; the state holds this one's "
                   "under this name (sent again)")
            break
        if not state.held_ids([name]):
            rename(doc, name, "is held by an earlier batch's document with other words")
            taken.add(name)
            break
    return n


class IncrementalClusterer:
    def __init__(self, cfg: Config, state: State, commit: bool = True, whole: bool = True, workers: int = 1) -> None:
        """`commit` False: each batch's transaction stays open until `commit()` (a folder
        run commits once its output folder is written, so a failed write leaves the state
        as it was and --resume redoes the same batch). `whole` False: `add` returns no
        records and decides each document's row from its record's head alone (a stream's
        rows, `--out -` and the API's, need no more); a record is rebuilt whole only for a
        folder run's records.jsonl, `show` and `export`. `workers` > 1: the story tier's
        texts and steps run on that many forked processes when large enough (exec/forked.py;
        the same results)."""
        self.cfg, self.state, self.auto_commit, self.whole = cfg, state, commit, whole
        self.workers = workers
        self.pending: tuple[int, int, str] | None = None
        self.priority = SourcePriority(cfg["canonical"]["source_priority"])
        self.sign = Sign.from_config(cfg)
        self.events: list[dict[str, Any]] = []  # the last batch's
        self._canonicals: dict[int, Document] = {}  # the batch's window (_link_stories), for _rows
        self._absorbed: list[int] = []  # the batch's records joined into others (their roots), for _rows
        self._heads_hold = True  # the heads the state keeps were chosen with this batch's canonical settings
        # workers > 1: the batch's forked children for its signing steps (exec/forked.Helpers),
        # the story window's canonicals read early (group -> its row, as _link_stories reads
        # it) and their salient terms being signed on those children (documents, results).
        self._helpers: Helpers | None = None
        self._read: dict[int, tuple[int, MemberRow, Document]] = {}  # its text on the document alone
        self._ahead: tuple[list[Document], SalientAhead] | None = None
        self._early_window: tuple[list[int], list[int]] | None = None  # (fresh, its window), if the writes keep it
        self._texts_ahead = True  # the batch's text_of is the default (add)
        self.released = 0  # the last batch's groups loaded for the copy tier and dropped after its pass
        # Kept in the state with each batch, so `show` and `export` rebuild records with the
        # settings they were made with. Rule files are paths on this machine and do not
        # shape a record once made, so they stay out.
        self.config_json = json.dumps({k: v for k, v in cfg.values.items() if k != "boilerplate"},
                                      sort_keys=True, ensure_ascii=False)
        self.terms_settings = terms_settings(cfg)  # what the state's kept terms were made under (add)

    def add(self, docs: Iterable[Document], store: DocStore | None = None, label: str = "",
            text_of: Callable[[Document], str] | None = None) -> list[Record]:
        """Cluster one batch against the state, in one transaction, committed on return.
        Sets status and record_id on the batch's documents; returns the records they are
        in, whole (every member the state holds), or none when the clusterer was made with
        `whole` False. `store` resolves a spooled document's arrays and text."""
        docs = list(docs)
        self._texts_ahead = text_of is None  # a canonical's text is its `text` (_pack_row may pack it ahead)
        text_of = text_of or (lambda d: d.text if d.text or store is None or d.stored is None
                              else store.get(d.stored.ref).text)
        batch = self.state.begin()
        try:
            previous = self.state.meta("config")
            self._heads_hold = previous is None or \
                json.loads(previous).get("canonical") == json.loads(self.config_json).get("canonical")
            self.state.set_meta("config", self.config_json)
            if self.state.meta("terms") != self.terms_settings:
                # Terms kept under other settings or code would differ from those signed now.
                self.state.clear_terms()
                self.state.set_meta("terms", self.terms_settings)
            records = self._add(batch, docs, store, text_of)
            self.state.add_events(self.events)
        except BaseException:
            self.state.rollback()
            raise
        finally:
            self._canonicals, self._absorbed = {}, []
            self._read, self._ahead, self._early_window = {}, None, None
            self._close_helpers()
        self.pending = (batch, len(docs), label)
        if self.auto_commit:
            self.commit()
        return records

    def commit(self) -> None:
        """Commit the batch `add` left open (a no-op when there is none)."""
        if self.pending is not None:
            self.state.commit(*self.pending)
            self.pending = None

    def _add(self, batch: int, docs: list[Document], store: DocStore | None,
             text_of: Callable[[Document], str]) -> list[Record]:
        state = self.state
        events: list[dict[str, Any]] = []
        self.events = events
        # The window's group canonicals (group -> document), this batch's only: _rows reads
        # a record's head from them rather than from the state again.
        self._canonicals, self._absorbed = {}, []
        # The batch's documents in the copy tier's order (`usable`), for its forked children to
        # pack their rows from (Helpers' packing: PackAhead), as this process would.
        ordered: list[Document] = []
        if self.workers > 1:
            from cleaner.exec.forked import Helpers

            texts = self._texts_ahead
            self._helpers = Helpers(self.sign, self.workers,
                                    lambda k, with_text: _pack_row(state.packer, ordered[k], with_text, texts))
        index = StateIndex(state, self.cfg["near"]["lsh_threshold"], self.cfg["minhash"]["num_perm"])
        groups = StateGroups(state, self.sign, store, index)
        groups.floor = self.cfg["near"]["threshold"] * STATE_SCREEN
        tier_floor = self.cfg["near"]["threshold"] * ESTIMATE_FLOOR  # the copy tier's (Clusterer._near)
        if groups.floor > tier_floor:  # then StateGroups.screen screens every group not `own` at groups.floor
            index.floor, index.own = groups.floor, groups.own
        copies = Clusterer(self.cfg, store=store)
        # The state's groups and exact keys stand in for the Clusterer's list and dict: the
        # same calls, answered from the state (a group's canonical signature included:
        # Clusterer.canonical_signature reads it from the group, loaded from the state).
        groups.exact = StateExact(state)
        copies.records, copies.exact = groups, groups.exact  # type: ignore[assignment]
        copies.screen = groups.screen
        copies.near_lsh = index
        # A state's canonical comes back with its shingles alone; its MinHash is signed only
        # for a candidate whose shingles match (StateGroups.signature).
        copies.shingles_first = True
        copies.canonical_signature = groups.signature  # type: ignore[method-assign, assignment]
        copies.canonical_shingles = groups.shingles  # type: ignore[method-assign, assignment]
        # A document the state already holds (same id, same words: a feed sent again, a
        # retried batch) is not added twice: its row shows the record it is in.
        again: dict[int, Document] = {}
        fresh_docs = []
        # One statement for the batch: most ids are new, and only a held one can be known.
        held = state.held_ids([d.id for d in docs if d.ok])
        known: dict[int, int] = {}  # id(document) -> its row in the state
        taken = {d.id for d in docs}
        for d in sorted((d for d in docs if d.ok and d.id in held), key=lambda d: d.id):  # names in id order
            if (n := _known_or_renamed(state, d, taken)) is not None:
                known[id(d)] = n
        for d in docs:
            n = known.get(id(d))
            if n is None:
                fresh_docs.append(d)
            else:
                again[n] = d
        usable = sorted((d for d in fresh_docs if d.ok), key=lambda d: preference_key(d, self.priority))
        ordered.extend(usable)  # before the children fork (the copy tier's read-ahead)
        if self._helpers is not None:  # what they pack texts with, read before they fork
            state.packer.preload(sorted({d.lang for d in usable if d.lang}))
        placed: list[tuple[Document, int, bool]] = []
        promoted: dict[int, Member] = {}  # group -> its old canonical, now a member
        for i, doc in enumerate(usable):
            if self.workers > 1 and i % READ_AHEAD == 0:  # candidates' shingles on the workers' cores, ahead
                groups.read_ahead(usable[i:i + READ_AHEAD], self.cfg["near"]["threshold"] * ESTIMATE_FLOOR,
                                  self.workers, self._helpers)
            before = len(groups)
            idx = copies.add(doc)
            new = len(groups) > before
            placed.append((doc, idx, new))
            group = groups[idx]
            if group.canonical is not doc and \
                    preference_key(doc, self.priority) < preference_key(group.canonical, self.priority):
                promoted.setdefault(idx, group.members[0])
                groups.promoted(idx)  # its screen in the state is its old canonical's
                self._promote(copies, group, idx, doc, batch)
        index.done()  # the band rows of the groups the copy tier made findable, together
        self.released = groups.release({idx for _, idx, _ in placed})
        if self.released:  # their pages back to the system before the story tier's peak (exec/memory.py)
            release_free_memory()
        packing = self._pack_ahead(groups, placed)
        if self._helpers is not None:  # the story window's texts signed while this process writes
            self._window_ahead(batch, groups, sorted({idx for _, idx, _ in placed}), bool(promoted))
        packed = packing.results() if packing is not None else None
        # Into the state: every document, then the new groups and the new canonicals.
        relations: dict[int, str] = {}  # id(document) -> its relation in its group
        for k, (doc, idx, _) in enumerate(placed):
            group = groups[idx]
            member = next(m for m in group.members if m.doc is doc)
            canonical = group.canonical is doc
            relations[id(doc)] = member.relation
            groups.number[id(doc)] = state.add_doc(doc.id, idx, batch, doc.date, _member(member),
                                                   _slim(doc), text_of(doc) if canonical else None,
                                                   packed[k] if packed is not None else None)
        for idx in groups.new:
            c = groups[idx].canonical
            key = groups[idx].key
            state.add_group(idx, key, record_id(key), batch, groups.number[id(c)], day_number(c.date),
                            screen_bytes(array_of(c, "near_mh", store)).tobytes())
            state.add_leads(lead_names_of(c), idx)
        for idx, old in promoted.items():
            group = groups[idx]
            c = group.canonical
            state.set_canonical(idx, groups.number[id(c)], day_number(c.date),
                                screen_bytes(array_of(c, "near_mh", store)).tobytes())
            state.add_leads(lead_names_of(c), idx)
            moved = next(m for m in group.members if m.doc is old.doc)
            state.set_member(groups.number[id(old.doc)], _member(moved))
        fresh = sorted({idx for _, idx, _ in placed})
        terms_packed = {id(doc): found[2] for (doc, _, _), found in zip(placed, packed or [], strict=False)
                        if found[2] is not None}
        self._keep_terms(batch, groups, [*groups.new, *promoted], fresh, store, terms_packed)
        del packed, terms_packed  # written (~3 KB a document): not held through the story tier's peak
        weigh = self._link_stories(batch, groups, fresh, store)
        roots = {idx: state.root(idx) for idx in fresh}
        for doc, idx, new in placed:
            root = roots[idx]
            if new and root == idx:
                events.append(self._event(batch, "created", root, document=doc.id))
            else:
                events.append(self._event(batch, "member_added", root, document=doc.id,
                                          tier="story" if new else "copy"))
        batch_docs = {groups.number[id(d)]: d for d, _, _ in placed}
        batch_docs.update(again)
        touched = set(roots.values()) | {state.root(state.doc_group(n)) for n in again}
        if self.whole:
            records = self.records(sorted(touched), batch_docs, store, weigh)
            heads = [(r.record_id, r.canonical.id) for r in records]
        else:
            records = []
            heads = self._rows(batch, sorted(touched), batch_docs, placed, again, relations)
        for rid, canonical_id in heads:  # the document a record shows as canonical changed: say so
            record_root = state.root_of_record(rid)
            assert record_root is not None  # the record's groups were just read from the state
            head = state.head(record_root)
            if head != canonical_id:
                if head is not None:
                    events.append(self._event(batch, "canonical_changed", record_root, old=head,
                                              new=canonical_id))
                state.set_head(record_root, canonical_id)
        return records

    def _rows(self, batch: int, roots: list[int], batch_docs: dict[int, Document], placed: list[tuple[Document, int, bool]],
              again: dict[int, Document], relations: dict[int, str]) -> list[tuple[str, str]]:
        """What records() and settle() would set on the batch's documents (status and
        record_id) and which document each record shows as canonical, without rebuilding
        the records: a record's canonical is the best of its groups' canonicals (story_records
        puts the group in preference order first), and a document is kept when it is that
        group's canonical. Reads one slim document a group that may hold the head
        (`_head_groups`: the record's head before the batch, those of the records it
        absorbed, and the groups the batch placed documents in), not every member, nor every
        group of a long story. Returns (record id, canonical id) per record, in settle()'s order."""
        state = self.state
        absorbed: dict[int, list[int]] = {}
        for gone in self._absorbed:
            absorbed.setdefault(state.root(gone), []).append(gone)
        changed: dict[int, set[int]] = {}
        for _, idx, _ in placed:
            changed.setdefault(state.root(idx), set()).add(idx)
        head_of: dict[int, tuple[str, int, Document]] = {}  # root -> (record id, head group, canonical)
        for root in roots:
            best: tuple[PreferenceKey, int, Document] | None = None
            heads = self._head_groups(batch, root, absorbed.get(root, []), changed.get(root, set()))
            canonicals = (state.record_canonicals(root) if heads is None
                          else [(g, state.group(g)[3]) for g in sorted(heads)])
            for g, n in canonicals:  # in group order: the first best wins, as sort()
                doc = batch_docs.get(n)
                if doc is None:
                    doc = self._canonicals.get(g)
                if doc is None:
                    doc = state.slim_doc(n)
                key = preference_key(doc, self.priority)
                if best is None or key < best[0]:
                    best = (key, g, doc)
            assert best is not None  # a root is a group of its own record
            head_of[root] = (record_id(state.group(root)[0]), best[1], best[2])

        def decide(doc: Document, g: int, relation: str) -> None:
            rid, head, _ = head_of[state.root(g)]
            doc.record_id = rid
            doc.status = KEPT if g == head and relation == CANONICAL else DUPLICATE

        for doc, idx, _ in placed:
            decide(doc, idx, relations[id(doc)])
        for n, doc in again.items():
            decide(doc, state.doc_group(n), state.doc(n)[0][0])
        ordered = sorted(head_of.values(), key=lambda h: h[2].sort_key())  # settle()'s order (a stable sort)
        return [(rid, canonical.id) for rid, _, canonical in ordered]

    def _head_groups(self, batch: int, root: int, absorbed: list[int], changed: set[int]) -> set[int] | None:
        """The groups of record `root` among which its head (the group whose canonical is
        the best of the record's: _rows) is, without reading the record's other groups; None
        if that cannot be told (a record from before this batch without its head, or heads
        chosen with other `canonical` settings than this batch's: read them all). A group's canonical only ever gets better (_promote) and a record only gains
        groups, so the head is the best of: the head the record had after the last batch,
        the heads of the records joined into it in this batch (`absorbed`: their roots), and
        the groups whose canonical this batch may have changed (`changed`: every group it
        placed a document in). The state keeps a head as its document's id (groups.head, on
        a root's row), and that document stays in the group it headed (as its canonical, or
        a member once another replaced it: then the group's canonical is better still)."""
        if not self._heads_hold:  # another canonical.source_priority: every group's canonical may rank anew
            return None
        state, found = self.state, set(changed)
        for old in (root, *absorbed):
            head = state.head(old)
            if head is None:
                if state.group(old)[1] < batch:
                    return None
                continue  # a record this batch created: its groups are among `changed`
            holding = state.groups_holding(root, head)
            if not holding:
                return None
            found.update(holding)
        return found

    def _event(self, batch: int, kind: str, root: int, **detail: Any) -> dict[str, Any]:
        return {"batch": batch, "event": kind, "record_id": self._rid(root), **detail}

    def _rid(self, group: int) -> str:
        """The id of the record whose oldest group is `group` (its key: its first canonical's)."""
        return record_id(self.state.group(group)[0])

    def _promote(self, copies: Clusterer, group: Record, idx: int, doc: Document, batch: int) -> None:
        """A later document better than its group's canonical leads the group from now on."""
        old = group.members[0]
        joined = next(i for i, m in enumerate(group.members) if m.doc is doc)
        new = group.members.pop(joined)
        group.members[0] = Member(old.doc, new.relation, new.similarity, new.estimated,
                                  reason=f"{new.reason}; canonical until batch {batch}")
        group.members.insert(0, Member(doc, CANONICAL, 1.0, 1.0, reason=f"became the canonical in batch {batch}"))
        copies.index(idx, doc, array_of(doc, "near_mh", copies.store))

    def _keep_terms(self, batch: int, groups: StateGroups, made: list[int], fresh: list[int],
                    store: DocStore | None, packed: dict[int, bytes] | None = None) -> None:
        """The salient terms of the canonicals this batch set (`made`: new groups and promoted
        ones), into the state's terms table, and those no later batch's window is likely to
        read out of it: later batches take a window canonical's terms from there rather than
        sign its text again (~0.4 ms a text: 2,451 of them for the state bench's probe
        against 200,000 documents, #16 point 9). Dropped: terms set before the last
        `story.window_batches` batches whose canonical is undated or dated before this
        batch's window (`_window`'s first day), and the earliest batches' beyond
        TERMS_BUDGET bytes a document; a window read later without them signs them again,
        with the same values. `packed`: id(canonical) -> its terms row packed (_pack_row)."""
        packed = packed or {}
        story = self.cfg["story"]
        rows = []
        blobs: list[bytes | None] = []  # each row's terms packed on the batch's children (_pack_ahead), or None
        for g in made:
            c = groups[g].canonical
            f = c.features
            assert f is not None and f.terms is not None  # the batch's document, signed (stages/sign.py)
            if not isinstance(f.line_words, bytes) and store is None:
                continue  # not at hand: not kept (a window that reads it signs it again)
            # A spooled run's are on disk: read back once, here, where the story tier finds them.
            load_line_words([c], store)
            rows.append((g, groups.number[id(c)], day_number(c.date), batch, _terms_row(f)))
            blobs.append(packed.get(id(c)))
        self.state.add_terms(rows, blobs)
        days = [d for d in (day_number(groups[g].canonical.date) for g in fresh) if d is not None]
        self.state.drop_terms(batch - story["window_batches"], min(days) - story["window_days"] if days else None)
        self.state.trim_terms(TERMS_BUDGET)

    def _stored_terms(self, canonicals: list[tuple[int, int, Document]]) -> list[Document]:
        """(group, its canonical's row, that canonical) for window canonicals: those whose
        terms the state keeps (`_keep_terms`, for that very row) get them from there; returns
        the others that still need signing (no terms, or a text without its lines' words)."""
        need = [(g, n, d) for g, n, d in canonicals if d.features is not None and
                (d.features.terms is None or (d.text and not d.features.line_words))]
        stored = self.state.stored_terms([g for g, _, _ in need]) if need else {}
        todo = []
        for g, n, d in need:
            found = stored.get(g)
            if found is not None and found[0] == n:
                terms, lead, term_lines, dateline, words = found[1]
                _signed(d, (terms, lead, term_lines, dateline, words))
            else:
                todo.append(d)
        return todo

    def _window(self, batch: int, groups: StateGroups, fresh: list[int]) -> list[int]:
        """The batch's groups and the state's groups they may link with: in the window,
        and (story.window_lead_names, or a pair gate on lead names) with a title or lead
        name of one of the batch's, found through the state's index."""
        story = self.cfg["story"]
        days = [d for d in (day_number(groups[g].canonical.date) for g in fresh) if d is not None]
        span = story["window_days"]
        first, last = (min(days) - span, max(days) + span) if days else (None, None)
        since = batch - story["window_batches"]
        if story["window_lead_names"] or story["min_shared_lead_names"]:
            # A state's canonical the copy tier read: its terms (and its lines' words), once,
            # as _link_stories would; sign_ahead does what with_terms(lines=True) did for each.
            unsigned = [groups.numbered(g, c) for g, c in ((g, groups[g].canonical) for g in fresh)
                        if c.features is not None and c.features.terms is None]
            sign_ahead(self.sign, self._stored_terms(unsigned), self.workers, self._helpers)
            names = sorted({t for g in fresh for t in lead_names_of(groups[g].canonical)})
            # ...with the other groups of their records that are in the window too: whether a
            # group joins a record is its average similarity to the record's groups, and here
            # to its groups in the window alone. One run averages over all of them; a state
            # cannot: a story record keeps growing for as long as its story is told (in the
            # state bench's news, one record of 1,998 copy groups at 50,000 documents), and
            # reading it whole made each batch's window, its time and its memory grow with
            # the state (#16 point 9). The window is the tier's look-back (#16 point 5):
            # groups outside it are not compared with a batch, whichever record they are in.
            # The window's groups read once (by day and batch, through their indexes) and
            # intersected here with the groups holding a name and then with those of their
            # records (state-17: joined in SQL, each group found was looked up in the groups
            # table).
            in_window = set(self.state.window(first, last, since))
            found = sorted(self.state.record_groups(sorted(self.state.lead_groups(names) & in_window)) & in_window)
        else:
            found = self.state.window(first, last, since)
        return sorted(set(found) | set(fresh))

    def _pack_ahead(self, groups: StateGroups, placed: list[tuple[Document, int, bool]]) -> PackAhead | None:
        """The batch's documents' rows (their slim copies, canonicals' texts and terms rows,
        packed: State.add_doc's and add_terms' `packed`) started on the batch's forked
        children, if the copy tier's read-ahead forked them (a batch against a large state):
        they pack while this process reads the story window, and it writes the rows after
        (against 200,000 documents the children were idle for most of the copy pass and the
        writes, this process busy: #16 point 9). None: packed as written."""
        from cleaner.exec.forked import PackAhead

        helpers = self._helpers
        if helpers is None or helpers.packing is None or not helpers.forked() or not placed:
            return None
        pool = helpers.pool()
        ahead = PackAhead(helpers.packing, pool, self.workers - 1)
        # placed[k] is the copy tier's k-th document (`usable`): the children's document k.
        jobs = [(k, groups[idx].canonical is doc) for k, (doc, idx, _) in enumerate(placed)]
        for start in range(0, len(jobs), PACK_CHUNK):
            ahead.add(jobs[start:start + PACK_CHUNK])
        return ahead

    def _close_helpers(self) -> None:
        if self._helpers is not None:
            self._helpers.close()
            self._helpers = None

    def _window_ahead(self, batch: int, groups: StateGroups, fresh: list[int], promoted: bool) -> None:
        """Before the batch's rows are written (workers > 1): the story window (_window)
        read, and its canonicals' salient terms (what sign_ahead would sign in _link_stories)
        signed on the batch's forked children, fed from the pool's result thread, while this
        process writes the rows (else their core waits: the copy pass and the writes are this
        process's alone). _link_stories takes what was read and signed here and reads and
        signs any other of its window (computed again there: the writes may add to it), so
        it links the same documents with the same values. Fewer than MIN_TEXTS texts to
        sign: nothing here. Unless the batch `promoted` a document to its group's canonical,
        the writes leave the window as it is (they add the batch's new groups, which are in
        it as `fresh`, each its own record, and change no other group's day, leads or record;
        a promoted group's new lead names may bring in its record's other groups): then
        _link_stories takes this window and does not ask the state again."""
        from cleaner.exec.forked import CHUNK, MIN_TEXTS, SalientAhead

        assert self._helpers is not None  # workers > 1
        if not fresh:
            return
        todo: list[Document] = []
        sent = 0
        ahead: SalientAhead | None = None
        from_state: set[int] = set()  # id() of the window's canonicals read here from the state

        def send(ahead: SalientAhead, docs: list[Document]) -> None:
            """`docs` to the children to sign; a canonical read here lets its text go once
            sent (the children's answer is all _link_stories reads of it). The copy tier's
            canonicals keep theirs."""
            ahead.add([(d.text, d.date, d.title, d.lang) for d in docs])
            for d in docs:
                if id(d) in from_state:
                    d.text = ""

        window = self._window(batch, groups, fresh)
        if not promoted:
            self._early_window = (fresh, window)
        for start in range(0, len(window), READ_TOGETHER):
            part = window[start:start + READ_TOGETHER]
            # The part's groups not loaded, read together (State.canonicals).
            rows = {h: (n, member, slim, text) for h, _, n, member, slim, text in
                    self.state.canonicals([h for h in part if h not in groups.loaded])}
            canonicals: list[tuple[int, int, Document]] = []
            for g in part:
                if g in groups.loaded:
                    canonicals.append(groups.numbered(g, groups.loaded[g].members[0].doc))
                else:
                    # The text on the document alone, where it can be let go of (below).
                    n, member, slim, text = rows[g]
                    slim.text = text
                    self._read[g] = (n, member, slim)
                    from_state.add(id(slim))
                    canonicals.append((g, n, slim))
            # Terms the state keeps for a canonical are taken from there (_stored_terms).
            unsigned = self._stored_terms(canonicals)
            todo.extend(unsigned)
            # A canonical whose terms and lines' words the state kept is not signed again:
            # nothing reads its text after (_link_stories restores it without), so it is not
            # held through the batch's writes (~2-8 KB a text: 1,953 of the 200k probe's
            # window, #16 point 9).
            left = {id(d) for d in unsigned}
            for _, _, doc in canonicals:
                if id(doc) in from_state and id(doc) not in left:
                    doc.text = ""
            if ahead is None and len(todo) >= MIN_TEXTS:
                pool = self._helpers.pool()
                if pool is None:
                    return  # no children: sign_ahead signs them, in _link_stories
                ahead = SalientAhead(self.sign, pool, self.workers - 1)
            while ahead is not None and len(todo) - sent >= CHUNK:
                send(ahead, todo[sent:sent + CHUNK])
                sent += CHUNK
        if ahead is not None:
            if sent < len(todo):
                send(ahead, todo[sent:])
            self._ahead = (todo, ahead)

    def _link_stories(self, batch: int, groups: StateGroups, fresh: list[int],
                      store: DocStore | None) -> TermWeights:
        """Link the batch's groups with the window's, as one run would; join their records.
        Returns the term weights observed on the window (the batch's records show them)."""
        state = self.state
        if not fresh:  # nothing new (every document was in the state already)
            return TermWeights(self.cfg["story"]).observe([])
        early_window, self._early_window = self._early_window, None
        window = early_window[1] if early_window is not None and early_window[0] == fresh else \
            self._window(batch, groups, fresh)
        # The window's canonicals, read first, so their texts are signed again together
        # (sign_ahead: on the workers' cores); then each as before, its work found done.
        # Those _window_ahead read and signed before the batch's writes are taken as they are
        # (a group whose canonical row is the same; the writes change no other row it reads).
        read: dict[int, tuple[int, MemberRow, Document]] = {}  # each text on its document alone
        early, self._read = self._read, {}
        # Each group's key and canonical, read together (nothing here writes them).
        stored = state.keys_and_canonicals([g for g in window if g not in groups.loaded])
        for g in window:
            if g not in groups.loaded:
                n = stored[g][1]
                row = early.get(g)
                if row is None or row[0] != n:
                    member, slim, text = state.doc(n)
                    slim.text = text
                    row = (n, member, slim)
                read[g] = row
        del early
        if self._ahead is not None:
            signed, ahead = self._ahead
            self._ahead = None
            for doc, found in zip(signed, ahead.results(), strict=True):
                _signed(doc, found)
        self._close_helpers()  # the story tier's steps fork their own (they start with its arrays)
        canonicals = [groups.numbered(g, groups.loaded[g].members[0].doc) if g in groups.loaded
                      else (g, read[g][0], read[g][2]) for g in window]
        sign_ahead(self.sign, self._stored_terms(sorted(canonicals, key=lambda c: c[0])), self.workers)
        records: list[Record] = []
        # One str object a term for the window (core/features.share_terms): each canonical's terms
        # came unpickled, from a child's answer or the state's terms table (against 50,000
        # documents 41,772 terms, 14,410 distinct: ~2.4 -> ~0.8 MiB held through the story
        # tier, #16 point 9).
        names: dict[str, str] = {}
        from_state: list[Features] = []  # the features of the canonicals restored here (_let_go)
        for g in window:
            if g in groups.loaded:
                canonical = groups.loaded[g].members[0]
                with_line_words(self.sign, canonical.doc)
                records.append(Record([canonical], key=groups.loaded[g].key))
            else:
                # Restored without its text: its terms and lines' words are signed (above),
                # and nothing after reads a state canonical's text (the story tier compares
                # terms; _rows its metadata): ~3.6 KB a window group held through the story
                # tier's peak, the part of it that grew with the window (#16 point 9).
                n, member, slim = read.pop(g)
                records.append(Record([groups.restore(n, member, slim, "")], key=stored[g][0]))
                if slim.features is not None:
                    from_state.append(slim.features)
            self._canonicals[g] = records[-1].canonical
            if records[-1].canonical.features is not None:
                share_terms(records[-1].canonical.features, names)
        del read, stored, names
        if groups.next > len(groups.new):  # the state held groups before the batch
            # The story tier's peak is the batch's: what the window's reads and the copy tier
            # left free (texts, rows read, the page cache's clean pages) back to the system
            # first. An empty state's batch read nothing from it: its path is as it was.
            state.release_memory()
            release_free_memory()
        runner = None
        if self.workers > 1:
            from cleaner.exec.forked import ForkedStories

            # The clusters are read, not the edges; nor the weights: the children make them.
            # Nor, once they are forked, the state's canonicals' term lines and their words.
            runner = ForkedStories(self.workers, edges=False, forget=True, apart=True,
                                   let_go=partial(_let_go, from_state))
        clusters, _, weigh, _ = story_links(records, self.cfg, runner)
        for cluster_ in clusters:
            roots = sorted({state.root(window[i]) for i in cluster_})
            for gone in roots[1:]:
                keep = roots[0]
                state.join(keep, gone)
                self._absorbed.append(gone)
                if state.group(gone)[1] < batch:  # two records users have seen become one
                    self.events.append(self._event(batch, "merged", keep, ended=self._rid(gone)))
        return weigh

    def records(self, roots: list[int], batch_docs: dict[int, Document] | None = None,
                store: DocStore | None = None,
                weigh: TermWeights | None = None) -> list[Record]:
        """Records, whole, as the state holds them: each group with every member, the
        groups joined as one run joins a story record (story_records). `batch_docs` (row
        number -> document) stands in for the state's slim copies of this batch's documents;
        `weigh`, the term weights the batch was linked with (else each record's own)."""
        state, batch_docs = self.state, batch_docs or {}
        whole: list[tuple[list[Record], str]] = []
        for root in roots:
            group_records: list[Record] = []
            for g in state.groups_of(root):
                key, _, _, canonical_n = state.group(g)
                members: list[tuple[bool, Member]] = []
                for n, member, slim, text in state.docs_of(g):
                    doc = batch_docs.get(n)
                    restored = restore_member(self.sign, member, slim, text) if doc is None else Member(doc, *member)
                    members.append((n != canonical_n, restored))
                if not members:  # its documents' rows name another group: changed under SQLite, or by hand
                    raise Undecodable(f"copy group {g} of record {self._rid(root)} has no documents")
                members.sort(key=lambda m: m[0])  # the canonical first, then in order of arrival
                group_records.append(Record([m for _, m in members], key=key))
            group_records.sort(key=lambda r: preference_key(r.canonical, self.priority))
            whole.append((group_records, state.group(root)[0]))
        if weigh is None:  # weights as one run over these records would observe them
            weigh = TermWeights(self.cfg["story"]).observe([g.canonical for gs, _ in whole for g in gs])
        return settle([self._joined(gs, key, store, weigh) for gs, key in whole], self.priority)

    def _joined(self, groups: list[Record], record_id_key: str, store: DocStore | None,
                weigh: TermWeights) -> Record:
        """One record of copy groups in preference order: their story members, similarities
        and evidence, as one run's story_records gives them."""
        if len(groups) == 1:
            return Record(groups[0].members, key=record_id_key)
        story = self.cfg["story"]
        reps = [g.canonical for g in groups]
        weigh.look_up([m.doc for g in groups for m in g.members])
        weights = [doc_terms(r, weigh) for r in reps]
        # The record's edges as one run measures them: the pair gate, the date window, and
        # the component-local weights for a record of LOCAL_MIN_DOCS+ groups (measured_locally).
        left, right, sims = candidate_edges(reps, weights, story["min_shared_terms"], len(reps) + 1,
                                            story["date_window_days"], story["min_shared_lead_names"],
                                            story["outside_window_factor"])
        edges = dict(zip(zip(left.tolist(), right.tolist()), sims.tolist()))
        if measured_locally(story, len(reps)):
            edges = local_edges(reps, list(range(len(reps))), edges, weights, story)
        (record,) = story_records(groups, [list(range(len(groups)))], edges, weigh, weights, self.cfg, store,
                                  keys=[record_id_key])
        return record

    def all_records(self) -> list[Record]:
        return self.records(list(self.state.roots()))
