import json
import random
from itertools import combinations

import pytest

from cleaner.inspect.evaluate import EvalError, format_table, load_gold, load_predicted, score


def labels(values):
    """["a", "a", "b"] -> {"d0": "a", "d1": "a", "d2": "b"}."""
    return {f"d{i}": str(v) for i, v in enumerate(values)}


def brute_force(pred, gold):
    """The metrics straight from their definitions, over every pair (small inputs only)."""
    ids = sorted(gold)
    pred = {i: pred.get(i, ("missing", i)) for i in ids}
    pairs = list(combinations(ids, 2))
    both = sum(pred[a] == pred[b] and gold[a] == gold[b] for a, b in pairs)
    same_p = sum(pred[a] == pred[b] for a, b in pairs)
    same_g = sum(gold[a] == gold[b] for a, b in pairs)
    expected = same_p * same_g / max(len(pairs), 1)
    top = (same_p + same_g) / 2
    ari = 1.0 if top == expected else (both - expected) / (top - expected)
    bp = sum(sum(gold[x] == gold[d] for x in ids if pred[x] == pred[d])
             / sum(pred[x] == pred[d] for x in ids) for d in ids) / len(ids)
    br = sum(sum(pred[x] == pred[d] for x in ids if gold[x] == gold[d])
             / sum(gold[x] == gold[d] for x in ids) for d in ids) / len(ids)
    pp = both / same_p if same_p else 1.0
    pr = both / same_g if same_g else 1.0
    return ari, (bp, br), (pp, pr)


# --- score ------------------------------------------------------------------------------

def test_ari_hand_computed():
    gold = labels([0, 0, 0, 1, 1, 1])
    pred = labels([0, 0, 1, 1, 2, 2])
    # Contingency cells 2,1,1,2 -> 2 pairs together in both; predicted sizes 2,2,2 -> 3
    # pairs; gold sizes 3,3 -> 6 pairs; 15 pairs in all.
    # expected = 3*6/15 = 1.2, max = (3+6)/2 = 4.5, ARI = (2-1.2)/(4.5-1.2) = 8/33.
    r = score(pred, gold)
    assert r["ari"] == round(8 / 33, 4) == 0.2424
    assert (r["documents"], r["gold_clusters"], r["predicted_clusters"]) == (6, 2, 3)
    assert (r["missing"], r["ignored"]) == (0, 0)


def test_bcubed_and_pairwise_hand_computed():
    gold = labels([0, 0, 0, 1, 1, 1])
    pred = labels([0, 0, 1, 1, 2, 2])
    r = score(pred, gold)
    # B-cubed precision: d0,d1 1; d2 1/2 (cluster {d2,d3}); d3 1/2; d4,d5 1 -> 5/6.
    # B-cubed recall: d0,d1 2/3; d2 1/3; d3 1/3; d4,d5 2/3 -> (4+1+1+4)/3/6 = 5/9.
    assert r["bcubed"]["precision"] == round(5 / 6, 4)
    assert r["bcubed"]["recall"] == round(5 / 9, 4)
    assert r["bcubed"]["f1"] == round(2 * (5 / 6) * (5 / 9) / (5 / 6 + 5 / 9), 4) == 0.6667
    # Pairwise: 2 correct of 3 predicted pairs, of 6 gold pairs.
    assert r["pairwise"] == {"precision": 0.6667, "recall": 0.3333, "f1": 0.4444}


def test_perfect_clustering_is_all_ones():
    gold = labels([0, 0, 1, 2, 2, 2, 3])
    pred = {k: f"rec-{v}" for k, v in gold.items()}  # same partition, other names
    r = score(pred, gold)
    assert r["ari"] == 1.0
    assert r["bcubed"] == r["pairwise"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_all_in_one_against_all_singletons():
    singletons = labels(range(5))
    one = labels([0] * 5)
    r = score(one, singletons)  # predicted one cluster, gold all singletons
    assert r["ari"] == 0.0
    assert r["bcubed"] == {"precision": 0.2, "recall": 1.0, "f1": round(2 * 0.2 / 1.2, 4)}
    assert r["pairwise"] == {"precision": 0.0, "recall": 1.0, "f1": 0.0}
    r = score(singletons, one)
    assert r["ari"] == 0.0
    assert r["bcubed"] == {"precision": 1.0, "recall": 0.2, "f1": round(2 * 0.2 / 1.2, 4)}
    # No predicted pairs: precision 1.0 by definition (nothing wrongly merged).
    assert r["pairwise"] == {"precision": 1.0, "recall": 0.0, "f1": 0.0}


@pytest.mark.parametrize("values", [range(4), [0] * 4, [7]])
def test_degenerate_identical_partitions_have_ari_one(values):
    # Both all singletons, both one cluster, a single document: ARI's 0/0 case -> 1.0.
    r = score(labels(values), labels(values))
    assert r["ari"] == 1.0
    assert r["pairwise"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_missing_and_ignored_ids():
    gold = {"a": "x", "b": "x", "c": "y"}
    pred = {"a": "r1", "c": "r2", "zz": "r1", "yy": "r9"}  # b missing, zz/yy not in gold
    r = score(pred, gold)
    assert (r["missing"], r["ignored"]) == (1, 2)
    assert r["documents"] == 3
    assert r["predicted_clusters"] == 3  # b is a singleton, not merged with a via zz
    assert r["pairwise"] == {"precision": 1.0, "recall": 0.0, "f1": 0.0}


def test_missing_ids_are_singletons_not_one_cluster():
    gold = labels([0, 0, 0])
    r = score({"d0": "r1"}, gold)
    assert r["missing"] == 2 and r["predicted_clusters"] == 3
    assert r["bcubed"]["precision"] == 1.0 and r["bcubed"]["recall"] == round(1 / 3, 4)


def test_a_gold_that_shares_no_id_with_the_run_is_an_error_not_ari_one():
    """Every gold id missing made every one a singleton: ARI 1.0 against an all-singleton gold."""
    with pytest.raises(EvalError, match="none of gold's 2 ids is in the run"):
        score({"x": "r1"}, labels([0, 1]))


def test_empty_gold_is_an_error():
    with pytest.raises(EvalError, match="empty"):
        score({"a": "r"}, {})


def test_matches_pair_definitions_on_random_partitions():
    rng = random.Random(5)
    for _ in range(40):
        n = rng.randint(1, 30)
        gold = {f"d{i}": str(rng.randint(0, rng.randint(0, 6))) for i in range(n)}
        pred = {f"d{i}": str(rng.randint(0, rng.randint(0, 6)))
                for i in range(n) if rng.random() < 0.9}
        ari, (bp, br), (pp, pr) = brute_force(pred, gold)
        r = score(pred, gold)
        got = (r["ari"], r["bcubed"]["precision"], r["bcubed"]["recall"],
               r["pairwise"]["precision"], r["pairwise"]["recall"])
        # approx: the reported values are rounded to 4 decimals.
        assert got == pytest.approx((ari, bp, br, pp, pr), abs=5.1e-5)


def test_order_independent():
    rng = random.Random(1)
    gold = {f"d{i}": f"g{rng.randint(0, 40)}" for i in range(500)}
    pred = {f"d{i}": f"r{rng.randint(0, 60)}" for i in range(520)}
    expected = score(pred, gold)
    for _ in range(3):
        g, p = list(gold.items()), list(pred.items())
        rng.shuffle(g)
        rng.shuffle(p)
        assert score(dict(p), dict(g)) == expected


def test_large_input_completes():
    rng = random.Random(2)
    n = 20_000
    gold = {f"d{i}": f"g{i // 4}" for i in range(n)}
    pred = {f"d{i}": f"r{i // 4 if rng.random() < 0.9 else rng.randint(0, n)}"
            for i in range(n)}
    r = score(pred, gold)
    assert r["documents"] == n and 0.0 < r["ari"] < 1.0


def test_format_table():
    r = score(labels([0, 0, 0, 1, 1, 1]), labels([0, 0, 1, 1, 2, 2]))
    table = format_table(r)
    assert "ARI" in table and "0.2424" in table and "B-cubed" in table
    assert "pairwise" in table and "predicted clusters" in table
    rows = [line for line in table.splitlines() if line.startswith(("B-cubed", "pairwise"))]
    assert len({len(line) for line in rows}) == 1  # aligned columns


# --- load_gold --------------------------------------------------------------------------

def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_id_and_label_columns(tmp_path):
    path = write(tmp_path, "gold.csv", "label,note,id\nev1,x,a\nev1,\"a, b\",b\n\nev2,,c\n")
    assert load_gold(path) == {"a": "ev1", "b": "ev1", "c": "ev2"}


@pytest.mark.parametrize("header", ["ID,Event", " id , cluster ", "\ufeffid,label"])
def test_csv_header_variants(tmp_path, header):
    path = write(tmp_path, "gold.csv", f"{header}\na,1\nb,2\n")
    assert load_gold(path) == {"a": "1", "b": "2"}


def test_csv_unnamed_header_uses_first_two_columns(tmp_path):
    path = write(tmp_path, "gold.csv", "doc,story,extra\na,s1,z\nb,s1,z\n")
    assert load_gold(path) == {"a": "s1", "b": "s1"}


def test_tsv(tmp_path):
    path = write(tmp_path, "gold.tsv", "id\tlabel\na\tx, y\nb\tz\n")
    assert load_gold(path) == {"a": "x, y", "b": "z"}


def test_jsonl_keys(tmp_path):
    rows = [{"id": "a", "label": "x"}, {"id": "b", "event": "x"}, {"id": 3, "cluster": 7}]
    path = write(tmp_path, "gold.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert load_gold(path) == {"a": "x", "b": "x", "3": "7"}


def test_json_list(tmp_path):
    path = write(tmp_path, "gold.json", json.dumps([{"id": "a", "label": "x"}], indent=2))
    assert load_gold(path) == {"a": "x"}


def test_repeated_id_with_same_label_is_fine(tmp_path):
    path = write(tmp_path, "gold.csv", "id,label\na,x\na,x\n")
    assert load_gold(path) == {"a": "x"}


@pytest.mark.parametrize("name, text, message", [
    ("gold.csv", "id,label\na,x\na,y\n", r"gold\.csv:3: id 'a' has label 'y' but .*:2 gave"),
    ("gold.csv", "id,label\na,x\nb\n", r"gold\.csv:3: 1 column\(s\), expected at least 2"),
    ("gold.csv", "id,note\na,x\n", r"gold\.csv:1: no label column"),
    ("gold.csv", "story,label\na,x\n", r"gold\.csv:1: no 'id' column"),
    ("gold.csv", "id\n", r"gold\.csv:1: the header has 1 column|no label column"),
    ("gold.csv", "id,label\n", r"gold\.csv: no gold labels"),
    ("gold.csv", "", r"gold\.csv: no gold labels"),
    ("gold.csv", "id,label\n ,x\n", r"gold\.csv:2: empty id"),
    ("gold.jsonl", '{"id": "a", "label": "x"}\n{"id": "b", "label": \n',
     r"gold\.jsonl:2: invalid JSON"),
    ("gold.jsonl", '["a", "x"]\n', r"gold\.jsonl item 1: expected a JSON object"),
    ("gold.jsonl", '{"id": "a", "label": "x"}\n"a"\n', r"gold\.jsonl:2: expected a JSON object"),
    ("gold.jsonl", '{"id": "a", "topic": "x"}\n', r"gold\.jsonl:1: no label key"),
    ("gold.jsonl", '{"label": "x"}\n', r"gold\.jsonl:1: no 'id' key"),
    ("gold.jsonl", '{"id": null, "label": "x"}\n', r"gold\.jsonl:1: id must be a string"),
    ("gold.jsonl", "\n\n", r"gold\.jsonl: no gold labels"),
    ("gold.txt", "id,label\na,x\n", r"gold\.txt: unknown gold format '\.txt'"),
])
def test_malformed_gold(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(EvalError, match=message) as info:
        load_gold(path)
    assert "\n" not in str(info.value)


def test_gold_not_utf8(tmp_path):
    path = tmp_path / "gold.csv"
    path.write_bytes("id,label\na,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(EvalError, match=r"gold\.csv: not UTF-8"):
        load_gold(path)


def test_missing_gold_file(tmp_path):
    with pytest.raises(EvalError, match="nope.csv: cannot read"):
        load_gold(tmp_path / "nope.csv")


# --- load_predicted ---------------------------------------------------------------------

def write_run(tmp_path, docs):
    out = tmp_path / "clean"
    out.mkdir()
    (out / "documents.jsonl").write_text(
        "".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return out


def test_load_predicted(tmp_path):
    out = write_run(tmp_path, [
        {"id": "a", "status": "kept", "record_id": "rec-1"},
        {"id": "b", "status": "duplicate", "record_id": "rec-1"},
        {"id": "c", "status": "rejected", "record_id": None, "error": "empty"},
        {"id": "d", "status": "rejected", "record_id": None, "error": "empty"},
    ])
    pred = load_predicted(out)
    assert pred == {"a": "rec-1", "b": "rec-1", "c": "rejected:c", "d": "rejected:d"}
    # Rejected documents are singletons, not one "rejected" cluster.
    r = score(pred, {"a": "x", "b": "x", "c": "y", "d": "y"})
    assert r["predicted_clusters"] == 3
    assert r["pairwise"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}


def test_folder_without_documents_jsonl(tmp_path):
    with pytest.raises(EvalError, match="not a cleaner run's output folder"):
        load_predicted(tmp_path)
    with pytest.raises(EvalError, match="missing does not exist"):  # attack-15: a typo is said so
        load_predicted(tmp_path / "missing")


@pytest.mark.parametrize("line, message", [
    ("{not json", r"documents\.jsonl:2: invalid JSON"),
    ('{"status": "kept", "record_id": "r"}', r"documents\.jsonl:2: expected a document"),
    ('{"id": "b", "status": "kept", "record_id": null}', r"documents\.jsonl:2: .*no record_id"),
    ('{"id": "a", "status": "kept", "record_id": "rec-2"}', r"documents\.jsonl:2: .*twice"),
])
def test_malformed_documents_jsonl(tmp_path, line, message):
    out = tmp_path / "clean"
    out.mkdir()
    first = json.dumps({"id": "a", "status": "kept", "record_id": "rec-1"})
    (out / "documents.jsonl").write_text(f"{first}\n{line}\n", encoding="utf-8")
    with pytest.raises(EvalError, match=message):
        load_predicted(out)


def test_line_separator_inside_a_string_is_not_a_line_break(tmp_path):
    # The pipeline writes JSON with ensure_ascii=False, so U+2028 can appear raw in a line.
    out = tmp_path / "clean"
    out.mkdir()
    row = {"id": "a\u2028b", "status": "kept", "record_id": "rec-1"}
    (out / "documents.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    assert load_predicted(out) == {"a\u2028b": "rec-1"}


@pytest.mark.parametrize("name, text, where, hint", [
    ("g.csv", "id;label\na;1\n", ":1:", "it holds ';'"),           # a spreadsheet's ';'
    ("g.csv", "id\tlabel\na\t1\n", ":1:", "it holds tabs"),         # a tab-separated file saved as .csv
    ("g.csv", "id,label\na,1\nb;1\n", ":3:", "it holds ';'"),
    ("g.tsv", "id,label\na,1\n", ":1:", "it holds ','"),
])
def test_gold_with_another_separator_says_so(tmp_path, name, text, where, hint):
    """attack-13b: a gold file separated otherwise than its name says was only "1 column(s)"."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(EvalError) as info:
        load_gold(path)
    message = str(info.value)
    assert where in message and hint in message and "\n" not in message, message


def test_gold_as_one_id_to_label_object_says_what_the_format_is(tmp_path):
    """attack-13b: {"a": "s1", "b": "s1"} (id -> label, as the help words it) was only "no 'id' key"."""
    path = tmp_path / "g.json"
    path.write_text('{"a": "s1", "b": "s1"}')
    with pytest.raises(EvalError, match=r"no 'id' key \(a gold file holds one .* not one \{id: label\} object\)"):
        load_gold(path)
