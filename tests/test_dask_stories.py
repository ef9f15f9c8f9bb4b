"""#17 point 3: the story tier's edges and components are computed on the cluster's workers
(exec/dask_stories.py), by the functions the local engine runs (dedup/stories.py), and
the results, taken back in row and component order, are the local engine's to the bit.
A feed of made-up events retold five times each (our own text): story links, components
of 4+ documents (component-local weights) and one person shared by several events."""

import json
import random
import subprocess
import sys

import numpy as np
import pytest

from cleaner.core.config import load_config
from cleaner.dedup import stories
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_inputs

distributed = pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]'); CI installs it")

OUTPUTS = ("documents.jsonl", "records.jsonl")
SYL = ["ka", "ro", "mel", "tan", "vi", "sor", "bel", "dun", "fa", "lis", "gro", "nar", "pe", "qui", "zan", "tor"]
FILLER = ["residents", "waited", "for", "news", "while", "rain", "kept", "falling", "roads", "closed", "early",
          "morning", "reports", "said", "later"]


def _name(r: random.Random) -> str:
    return "".join(r.choice(SYL) for _ in range(2)).capitalize() + "".join(r.choice(SYL) for _ in range(2))


def story_feed(path, events: int = 12, per_event: int = 5, seed: int = 7):
    """`events` made-up floods, each retold `per_event` times: the same names and numbers
    in other orders and other filler; a third of the events share one council member."""
    r = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for e in range(events):
            person, place, group = _name(r), _name(r), _name(r)
            rival = _name(r) if e % 3 else "Varnessa Kolbrandt"
            n1, n2 = r.randint(12, 900), r.randint(2, 60)
            facts = [f"{person} said {n1} people had left {place} after the flooding.",
                     f"Officials in {place} counted {n2} damaged bridges.",
                     f"{rival} of the {group} council asked for help.",
                     f"The {group} agency sent {n2} trucks to {place}.",
                     f"{person} and {rival} visited the river banks near {place}."]
            for k in range(per_event):
                r.shuffle(facts)
                filler = " ".join(r.choice(FILLER) for _ in range(25))
                text = f"{place}: {facts[0]} {filler}. " + " ".join(facts[1:4 + k % 2]) + f" Reporter {k} wrote this."
                fh.write(json.dumps({"id": f"s{e:02d}-{k}", "title": f"{place} flooding: {person} speaks",
                                     "text": text, "date": f"2025-03-{1 + e % 27:02d}"}) + "\n")
    return path


def _run(folder, cfg, tmp, executor=None):
    tmp.mkdir()
    docs = read_inputs(folder, [".jsonl"], 10**6)
    return run_documents(docs, cfg, workers=1, spool=True, spool_dir=str(tmp), executor=executor)


def _links(result):
    """Every member of every record with its relation and its similarity, unrounded."""
    return [(r.record_id, m.doc.id, m.relation, m.similarity) for r in result.records for m in r.members]


def test_rows_counted_in_slices_give_one_pass_edges(tmp_path):
    """stories.candidate_edges over slices of rows, concatenated in row order: the arrays
    of one pass (what the cluster's edge tasks rely on)."""
    from cleaner.core.document import Document
    from cleaner.dedup.term_weights import TermWeights
    from cleaner.stages.sign import Sign

    cfg = load_config()
    sign = Sign.from_config(cfg)
    rows = [json.loads(line) for line in story_feed(tmp_path / "feed.jsonl").read_text(encoding="utf-8").splitlines()]
    reps = [sign.process(Document(id=r["id"], source="<test>", text=r["text"], title=r["title"], date=r["date"],
                                  lang="en")) for r in rows]
    shared = (reps, stories.doc_weights(reps, TermWeights(cfg["story"]).observe(reps)), cfg["story"])
    whole = stories.story_edges(shared)
    postings = stories.name_postings(reps, cfg["story"]["max_term_docs"])
    parts = [stories.story_edges(shared, range(lo, min(len(reps), lo + 7)), postings) for lo in range(0, len(reps), 7)]
    assert len(whole[0]) > 20
    for k in range(3):
        assert np.concatenate([p[k] for p in parts]).tobytes() == whole[k].tobytes()


def test_story_edges_and_components_run_on_the_workers(tmp_path, monkeypatch):
    """A 2-worker LocalCluster (loopback): the edge tasks (slices of rows) and the component
    tasks (runs of components) ran on its workers, several of each, and every member's
    similarity is the local engine's to the last bit."""
    from cleaner.exec import dask_stories
    from cleaner.exec.dask_engine import DaskExecutor

    folder = tmp_path / "in"
    folder.mkdir()
    story_feed(folder / "feed.jsonl")
    cfg = load_config()
    local = _run(folder, cfg, tmp_path / "local")
    monkeypatch.setattr(dask_stories, "SLICE", 8)  # several edge tasks for 60 documents
    monkeypatch.setattr(dask_stories, "RUN", 6)  # and several component tasks
    executor = DaskExecutor(workers=2)
    try:
        with distributed.get_task_stream(executor.client) as stream:
            remote = _run(folder, cfg, tmp_path / "dask", executor)
        workers = set(executor.client.scheduler_info()["workers"])
    finally:
        executor.close()
    ran = [(t["key"], t["worker"]) for t in stream.data]
    edges = [w for key, w in ran if str(key).startswith("_edges-")]
    linked = [w for key, w in ran if str(key).startswith("_link-")]
    assert len(edges) >= 4 and len(linked) >= 2, ran
    assert set(edges) | set(linked) <= workers
    assert _links(remote) == _links(local)
    assert sum(rel == "story" for _, _, rel, _ in _links(local)) >= 10
    assert any(len(r.members) >= stories.LOCAL_MIN_DOCS for r in local.records)  # component-local weights ran
    local.close()
    remote.close()


@pytest.mark.parametrize("workers", ["1", "3"])
def test_story_feed_is_byte_identical_through_the_cli(tmp_path, workers):
    """`cleaner run` of the story feed: --engine dask with 1 and 3 workers against local."""
    feed = story_feed(tmp_path / "feed.jsonl")
    runs = {}
    for name, extra in (("local", ["--workers", "2"]), ("dask", ["--engine", "dask", "--workers", workers])):
        runs[name] = subprocess.run([sys.executable, "-m", "cleaner", "run", str(feed), "--out", str(tmp_path / name),
                                     "-q", *extra], capture_output=True, timeout=600)
        assert runs[name].returncode == 0, runs[name].stderr
    assert b'"story"' in (tmp_path / "local" / "records.jsonl").read_bytes()
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_shipped_bench_smoke(tmp_path):
    """bench/engine_bench.py --shipped --smoke: the story job's bytes a document, per step."""
    from pathlib import Path

    out = tmp_path / "shipped.json"
    bench = Path(__file__).resolve().parent.parent / "bench" / "engine_bench.py"
    proc = subprocess.run([sys.executable, str(bench), "--shipped", "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(out.read_text(encoding="utf-8"))["generated"]
    assert found["documents"] == 200 and 0 < found["canonicals"] <= 200
    sent = found["bytes_per_canonical"]
    assert sent["canonicals broadcast (client to one worker)"] > 100  # names, weights, line words
    assert set(sent) == {"canonicals broadcast (client to one worker)", "edges back (i, j, similarity)",
                         "components out (documents, edges)", "clusters back (clusters, edges)"}


def test_broadcast_copies_stay_on_every_worker():
    """Dask's active memory manager would drop a broadcast job's copies down to one once no
    task waits on them; a worker lost then took the only copy, and the story tier's tasks
    were cancelled ("already forgotten") instead of rerun (found by CI in
    test_dask_faults). The local cluster runs without it."""
    import time

    from cleaner.exec.dask_engine import DaskExecutor

    executor = DaskExecutor(workers=2)
    try:
        [future] = executor.client.scatter([b"job"], broadcast=True, hash=False)
        time.sleep(4)  # twice the memory manager's interval
        assert len(executor.client.who_has([future])[future.key]) == 2
    finally:
        executor.close()
