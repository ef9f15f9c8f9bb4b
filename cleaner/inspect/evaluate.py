"""Score a run's grouping of documents against a gold clustering.

    gold = load_gold("gold.csv")            # document id -> gold label (event, story...)
    pred = load_predicted("clean/")         # document id -> record_id, from documents.jsonl
    print(format_table(score(pred, gold)))

Metrics (all over the documents in gold): adjusted Rand index, B-cubed and pairwise
precision/recall/F1. Everything is computed from the contingency table (counts of
documents per (predicted, gold) cell), so scoring is O(n) in documents: no pair is ever
enumerated.
"""
from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, TextIO

from cleaner.core.config import open_regular
from cleaner.input.read import json_type, whole_number

ID_COLUMN = "id"
LABEL_COLUMNS = ("label", "event", "cluster")  # accepted names for the gold label, in order


class EvalError(Exception):
    """Unusable gold or run output; the message is one line naming the file (and line)."""


# --- gold -------------------------------------------------------------------------------

class Gold(dict[str, str]):
    """Document id -> gold label. `unnamed_header`: the (id, label) cells of a CSV's first
    row when it names no column (`doc,story`, taken for a header): `score` reads it as a
    data row when its id is a document of the run (a gold file written without a header
    lost its first document, unsaid)."""

    unnamed_header: tuple[str, str] | None = None


def load_gold(path: str | Path) -> Gold:
    """Document id -> gold label, from a CSV/TSV (header row) or JSONL file."""
    path = Path(path)
    suffix = path.suffix.lower()
    header: list[tuple[str, str]] = []
    if suffix in (".csv", ".tsv"):
        rows = _csv_rows(path, "\t" if suffix == ".tsv" else ",", header)
    elif suffix in (".jsonl", ".json"):
        rows = _jsonl_rows(path)
    else:
        raise EvalError(f"{path}: unknown gold format {suffix or '(no extension)'!r}; "
                        "use .csv, .tsv, .jsonl or .json")
    gold = Gold()
    first_seen: dict[str, str] = {}
    try:
        for where, doc_id, label in rows:
            if doc_id in gold and gold[doc_id] != label:
                raise EvalError(f"{where}: id {doc_id!r} has label {label!r} but "
                                f"{first_seen[doc_id]} gave it {gold[doc_id]!r}")
            gold.setdefault(doc_id, label)
            first_seen.setdefault(doc_id, where)
    except UnicodeDecodeError:
        raise EvalError(f"{path}: not UTF-8 text") from None
    gold.unnamed_header = header[0] if header else None
    if not gold and gold.unnamed_header is None:
        raise EvalError(f"{path}: no gold labels in the file")
    return gold


def _open(path: Path) -> TextIO:
    try:
        # utf-8-sig: spreadsheets often save a byte-order mark, which would end up in the
        # first header name ("\ufeffid") and hide the id column.
        return open_regular(path, "r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise EvalError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _other_separator(cells: list[str], delimiter: str) -> str:
    """A hint when a short row holds another separator than the file's name implies: a
    spreadsheet's ';' or a tab-separated file saved as .csv."""
    found = next((sep for sep in ("\t", ";", ",") if sep != delimiter and any(sep in c for c in cells)), None)
    if found is None:
        return ""
    named = {"\t": "tabs", ";": "';'", ",": "','"}
    return (f" (it holds {named[found]}: a .csv is read as comma-separated, a .tsv as tab-separated; "
            "save it as one of these)")


def _csv_rows(path: Path, delimiter: str, unnamed: list[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """(where, id, label) per data row; `where` is "path:line" for error messages. A
    header that names no column goes to `unnamed`, as (id, label) cells."""
    with _open(path) as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None:
                return
            at = f"{path}:{reader.line_num}"
            names = [h.strip().lower() for h in header]
            id_col = names.index(ID_COLUMN) if ID_COLUMN in names else None
            label_col = next((names.index(n) for n in LABEL_COLUMNS if n in names), None)
            if id_col is None and label_col is None:
                # No recognised names: the first two columns are id and label.
                if len(names) < 2:
                    raise EvalError(f"{at}: the header has {len(names)} column(s); "
                                    f"need id and label{_other_separator(header, delimiter)}")
                id_col, label_col = 0, 1
                if header[0].strip() and header[1].strip():
                    unnamed.append((header[0].strip(), header[1].strip()))
            elif id_col is None:
                raise EvalError(f"{at}: no 'id' column in the header")
            elif label_col is None:
                raise EvalError(f"{at}: no label column in the header "
                                f"(one of {', '.join(LABEL_COLUMNS)})")
            need = max(id_col, label_col) + 1
            for row in reader:
                at = f"{path}:{reader.line_num}"  # a quoted multi-line row: its last line
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < need:
                    raise EvalError(f"{at}: {len(row)} column(s), expected at least {need}"
                                    f"{_other_separator(row, delimiter)}")
                yield at, _value(at, "id", row[id_col]), _value(at, "label", row[label_col])
        except csv.Error as exc:
            raise EvalError(f"{path}:{reader.line_num}: malformed CSV: {exc}") from None


def _jsonl_rows(path: Path) -> Iterator[tuple[str, str, str]]:
    with _open(path) as f:
        text = f.read()
    if text.lstrip().startswith("["):
        # A .json file holding one list of objects rather than JSON Lines.
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        except RecursionError:
            raise EvalError(f"{path}: JSON nested too deep") from None
        located = ((f"{path} item {n}", obj) for n, obj in enumerate(items, 1))
    else:
        located = ((f"{path}:{n}", _json_line(f"{path}:{n}", raw))
                   for n, raw in enumerate(text.split("\n"), 1) if raw.strip())
    for at, obj in located:
        if not isinstance(obj, dict):
            raise EvalError(f"{at}: expected a JSON object, got {json_type(obj)}")
        if ID_COLUMN not in obj:
            # {"a1": "s1", "a2": "s1"}: the whole gold as one {id: label} object.
            mapping = not any(k in obj for k in LABEL_COLUMNS) and \
                all(not isinstance(v, (dict, list)) for v in obj.values())
            hint = (' (a gold file holds one {"id": ..., "label": ...} object a line, or a list of them; '
                    "not one {id: label} object)") if mapping else ""
            raise EvalError(f"{at}: no 'id' key{hint}")
        key = next((k for k in LABEL_COLUMNS if k in obj), None)
        if key is None:
            raise EvalError(f"{at}: no label key (one of {', '.join(LABEL_COLUMNS)})")
        yield at, _value(at, "id", obj[ID_COLUMN]), _value(at, key, obj[key])


def _json_line(at: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EvalError(f"{at}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise EvalError(f"{at}: JSON nested too deep") from None


def _value(at: str, name: str, value: Any) -> str:
    # Numbers are fine as ids/labels (7 and "7" are the same; 7.0 too, as `run` reads an
    # input id: input/read.py); null, bools, lists and other floats are not.
    value = whole_number(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise EvalError(f"{at}: {name} must be a string or integer, got {json_type(value)}"
                        f"{'' if value is None or isinstance(value, (dict, list)) else ' ' + json.dumps(value)}")
    text = str(value).strip()
    if not text:
        raise EvalError(f"{at}: empty {name}")
    return text


# --- predictions ------------------------------------------------------------------------

REJECTED = "rejected:"  # a rejected document's label: its own


def load_predicted(out_dir: str | Path) -> dict[str, str]:
    """Document id -> record_id from a run's documents.jsonl.

    A rejected document belongs to no record; it gets its own label "rejected:<id>", so
    it counts as a singleton (never as grouped with the other rejected documents).
    """
    path = Path(out_dir) / "documents.jsonl"
    if not os.path.lexists(out_dir):  # a typo (`eval clen/ gold.csv`)
        raise EvalError(f"{out_dir} does not exist")
    if not path.is_file():
        from cleaner.inspect.runs import is_sqlite

        raise EvalError(f"{out_dir}: not a cleaner run's output folder (no documents.jsonl)" + (
            "; it is a state file (run --state): `cleaner export STATE --out DIR` writes one to evaluate"
            if is_sqlite(Path(out_dir)) else ""))
    pred: dict[str, str] = {}
    with _open(path) as f:
        try:
            lines = f.read().split("\n")  # not splitlines(): \u2028 may sit inside a string
        except UnicodeDecodeError:
            raise EvalError(f"{path}: not UTF-8 text") from None
        for line, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            at = f"{path}:{line}"
            obj = _json_line(at, raw)
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                raise EvalError(f"{at}: expected a document object with a string 'id'")
            doc_id = obj["id"]
            if obj.get("status") == "rejected":
                label = f"{REJECTED}{doc_id}"
            elif isinstance(obj.get("record_id"), str) and obj["record_id"]:
                label = obj["record_id"]
            else:
                raise EvalError(f"{at}: document {doc_id!r} (status "
                                f"{obj.get('status')!r}) has no record_id")
            if pred.setdefault(doc_id, label) != label:
                raise EvalError(f"{at}: document {doc_id!r} appears twice with "
                                "different records")
    return pred


# --- scoring ----------------------------------------------------------------------------

def _pairs(k: int) -> int:
    return k * (k - 1) // 2


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _prf(p: float, r: float) -> dict[str, float]:
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(_f1(p, r), 4)}


def score(pred: dict[str, str], gold: dict[str, str]) -> dict[str, Any]:
    """Compare a predicted clustering with gold, over the ids in gold.

    Gold ids absent from pred count as predicted singletons ("missing"), and so do those the
    run rejected ("rejected": load_predicted's own labels); pred ids absent
    from gold are left out ("ignored"). ARI is 1.0 when its denominator is 0, which only
    happens when both partitions are all singletons or both one cluster (then they are
    identical; this matches scikit-learn). Pairwise precision is 1.0 when no pair is
    predicted, recall 1.0 when gold has no pair (nothing claimed / nothing to find).
    """
    first = gold.unnamed_header if isinstance(gold, Gold) else None
    if first is not None and first[0] in pred and first[0] not in gold:
        gold = {first[0]: first[1], **gold}  # a document of the run: a data row, not a header
    n = len(gold)
    if n == 0:
        raise EvalError("gold is empty: nothing to score")
    missing = 0
    # (predicted label, gold label) -> documents; a document missing from the run is its own label
    cells: Counter[tuple[str | tuple[str, str], str]] = Counter()
    for doc_id, g in gold.items():
        p: str | tuple[str, str] | None = pred.get(doc_id)
        if p is None:
            missing += 1
            p = ("missing", doc_id)  # a tuple never equals a real (string) record id
        cells[p, g] += 1
    if missing == n:  # every gold id a singleton of its own scores ARI 1.0: say so instead
        raise EvalError(f"none of gold's {n} ids is in the run: is it the gold of another corpus, or the run of another?")
    pred_sizes: Counter[str | tuple[str, str]] = Counter()
    gold_sizes: Counter[str] = Counter()
    for (p, g), k in cells.items():
        pred_sizes[p] += k
        gold_sizes[g] += k

    # Pair counts as Python ints: with 100k documents products like a*b exceed int64.
    same_both = sum(_pairs(k) for k in cells.values())
    same_pred = sum(_pairs(k) for k in pred_sizes.values())
    same_gold = sum(_pairs(k) for k in gold_sizes.values())
    total = _pairs(n)
    # ARI = (index - expected) / (max - expected), with expected = a*b/total and
    # max = (a+b)/2; multiplied through by 2*total so it is one exact integer ratio.
    num = 2 * (same_both * total - same_pred * same_gold)
    den = total * (same_pred + same_gold) - 2 * same_pred * same_gold
    ari = num / den if den else 1.0

    # B-cubed: a document's precision is the share of its predicted cluster that shares
    # its gold label; every document in cell (p, g) has the same value k / |p|.
    b_p = sum(k * k / pred_sizes[p] for (p, _), k in cells.items()) / n
    b_r = sum(k * k / gold_sizes[g] for (_, g), k in cells.items()) / n

    pw_p = same_both / same_pred if same_pred else 1.0
    pw_r = same_both / same_gold if same_gold else 1.0

    return {
        "documents": n,
        "gold_clusters": len(gold_sizes),
        "predicted_clusters": len(pred_sizes),
        "missing": missing,
        # Gold documents the run rejected: singletons too (load_predicted), and a low recall
        # is then the rejections', not the clustering's: counted, as missing ones are.
        "rejected": sum(1 for doc_id in gold if str(pred.get(doc_id, "")).startswith(REJECTED)),
        "ignored": sum(1 for doc_id in pred if doc_id not in gold),
        "ari": round(ari, 4),
        "bcubed": _prf(b_p, b_r),
        "pairwise": _prf(pw_p, pw_r),
    }


def format_table(result: dict[str, Any]) -> str:
    """The score as a small aligned text table."""
    counts = [(k.replace("_", " "), str(result[k])) for k in
              ("documents", "gold_clusters", "predicted_clusters", "missing", "rejected", "ignored")]
    counts.append(("ARI", f"{result['ari']:.4f}"))
    width = max(len(name) for name, _ in counts)
    lines = [f"{name:<{width}}  {value:>8}" for name, value in counts]
    lines.append("")
    lines.append(f"{'':<{width}}  {'precision':>9}  {'recall':>9}  {'F1':>9}")
    for name, key in (("B-cubed", "bcubed"), ("pairwise", "pairwise")):
        m = result[key]
        lines.append(f"{name:<{width}}  {m['precision']:>9.4f}  {m['recall']:>9.4f}  "
                     f"{m['f1']:>9.4f}")
    return "\n".join(lines)
