"""What the per-document stages hand to clustering: `Features`, one per document.

The signing stage (stages/sign.py) computes them where the text is; the clustering tiers
(dedup/) read nothing else, so they can run on a process that never holds a text. An
executor may move the array fields to disk (a spool) and keep references instead: which
fields those are is read from this class (`ARRAY_FIELDS`), never listed by hand elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Callable, TypeVar

import numpy as np

# A reference to an array an executor stored on disk (a spool's: store/spool.make_ref).
ArrayRef = int


def _array(doc: str) -> Any:
    return field(metadata={"array": True, "doc": doc})


def _packed(doc: str) -> Any:
    # An array field kept as its raw bytes (array("I")): empty by default, so a state
    # written before the field existed reads back (a field with a default goes last).
    return field(default=b"", metadata={"array": True, "doc": doc})


@dataclass(slots=True)
class Features:
    """The features of one document that clustering uses (see README "Output contract")."""

    exact: str  # exact-copy key: hash of the normalised words (dedup/shingles.py)
    # Sorted unique 32-bit hashes of the word (or, unspaced, character) shingles: the
    # near-duplicate tier verifies candidates on their exact Jaccard.
    near: Any = _array("shingle hashes, uint32")
    near_mh: Any = _array("MinHash of `near`: num_perm uint32 (datasketch-compatible)")
    # MinHash of the salient terms: the estimate story members report beside the exact Jaccard.
    story_mh: Any = _array("MinHash of `terms`: num_perm uint32")
    terms: tuple[str, ...] = ()  # salient terms, sorted (dedup/terms.py)
    lead: tuple[str, ...] = ()  # those of them in the title or lead
    term_lines: bytes = b""  # each term's only line, array("I") of CRC-32s (0: on several lines)
    # "ODESA, Dec 20 -": no year, yet enough to keep a week-apart story out of the date window.
    dateline: str | None = None
    # Name keys of the sources the text credits ("(Reuters) -", "jm/dpa", "Source: AP"):
    # a document crediting someone else is a copy (dedup/credits.py).
    credits: tuple[str, ...] = ()
    words: int = 0  # words (or, unspaced, characters-based count) of the text
    removed: int = 0  # lines the stages removed: the canonical with less clutter wins ties
    # The words of the lines each term is on (dedup/terms.pack_line_words): terms two texts
    # share only inside nearly the same lines are shared wording. Last, so that a state
    # written before it reads back (without it: identical lines only, by term_lines). The
    # largest field (~2 KB a document) and only the story tier's: a spooled run keeps it on
    # disk until then (cluster.load_line_words).
    line_words: Any = _packed("the lines' word hashes, packed (pack_line_words): bytes of uint32")

    def __reduce__(self) -> tuple[type["Features"], tuple[Any, ...]]:
        return by_position(self)


ARRAY_FIELDS = tuple(f.name for f in fields(Features) if f.metadata.get("array"))


T = TypeVar("T")
_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}  # a class -> its fields' values, in order


# The classes among them whose objects have a __dict__ (a user's subclass that is not a slots
# dataclass), or slots that are not fields (a subclass's own `__slots__`), by those slots'
# names (mangled, as they are set): their attributes of their own are pickled and copied
# beside the fields.
_OPEN: dict[type, tuple[str, ...]] = {}


def _own_slots(cls: type, names: tuple[str, ...]) -> tuple[str, ...]:
    """The slots of `cls` and its bases that are not fields (`names`), as attribute names."""
    slots = []
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        for slot in (declared,) if isinstance(declared, str) else declared:
            if slot.startswith("__") and not slot.endswith("__"):  # a private name, as Python mangles it
                slot = f"_{klass.__name__.lstrip('_')}{slot}"
            if slot not in names and slot not in ("__dict__", "__weakref__") and slot not in slots:
                slots.append(slot)
    return tuple(slots)


def _own_state(obj: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """An object's attributes that are not fields, as pickle sets them back (its __dict__;
    its other slots, those set)."""
    unset = object()
    slots = {name: value for name in _OPEN[type(obj)] if (value := getattr(obj, name, unset)) is not unset}
    return getattr(obj, "__dict__", None), slots


def _set_own_state(obj: Any, state: tuple[dict[str, Any] | None, dict[str, Any]]) -> None:
    attributes, slots = state
    if attributes:
        obj.__dict__.update(attributes)
    for name, value in slots.items():
        setattr(obj, name, value)


def _values_of(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """`cls`'s fields' values in order, as a function of an object, made once a class (_VALUES)."""
    names = tuple(f.name for f in fields(cls))
    extra = _own_slots(cls, names)
    if cls.__dictoffset__ or extra:
        _OPEN[cls] = extra
    values = _VALUES[cls] = attrgetter(*names) if len(names) > 1 else (lambda o: (getattr(o, names[0]),))
    return values


def copy_with(obj: T, **changes: Any) -> T:
    """`dataclasses.replace(obj, **changes)` for this package's slots dataclasses, whose
    fields are all __init__ arguments and which have no __post_init__ (Features, Document,
    Stored): the class called with every field's value in order, then the changes set.
    ~1 µs instead of replace's ~4 (its keywords, its checks of every field); a stored
    document is copied three times (exec/flow.pack, Document.without_hand_offs)."""
    cls = type(obj)
    values = _VALUES.get(cls) or _values_of(cls)
    new = cls(*values(obj))
    if cls in _OPEN:
        _set_own_state(new, _own_state(obj))
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def by_position(obj: T) -> tuple[type[T], tuple[Any, ...]]:
    """`__reduce__` for this package's slots dataclasses (see copy_with): pickled as the
    class and its fields' values in order, and read back by calling the class with them.
    A slots dataclass otherwise pickles as {field name: value}, every name in every copy:
    a checkpoint entry (a slim copy, its Features and Stored) costs ~27 µs to pickle and
    ~27 to read back that way, ~21 and ~19 so (thru-25, #18); a 2-worker run's main
    process reads back every slim copy a worker sends. A stored pickle's layout is the
    classes' field order: store/spool.CHECKPOINT_FORMAT names it."""
    cls = type(obj)
    values = (_VALUES.get(cls) or _values_of(cls))(obj)
    if cls in _OPEN:  # a subclass's own attributes too: pickle sets a (__dict__, slots) state back
        # Without slots of its own, its __dict__ alone, as before review-28: a subclass's own
        # __setstate__ is given what it was (tests/test_review2_28.py).
        return cls, values, _own_state(obj) if _OPEN[cls] else obj.__dict__  # type: ignore[return-value]
    return cls, values


def raw_array(value: Any) -> bytes:
    """An array field's value as the raw uint32 bytes a store keeps (numpy array or bytes)."""
    return value if isinstance(value, bytes) else np.ascontiguousarray(value, dtype=np.uint32).tobytes()


def share_terms(features: Features, table: dict[str, str]) -> None:
    """Salient terms (and lead terms) as the str objects `table` holds, one a term (the
    first met): each copy unpickled (from a worker, a child, a state's terms table) has
    objects of its own, though names repeat across stories (#18, #16 point 9)."""
    if features.terms is not None:
        share = table.setdefault
        features.terms = tuple(map(share, features.terms, features.terms))
        features.lead = tuple(map(share, features.lead, features.lead))
