"""`--engine dask`'s overhead against the local engine (#17 point 6): what the executor does
to stay within 1.3x of it, as behaviour. Each task's results come back as one payload; the
LocalCluster cleaner starts runs without the profiler and without Dask's
MALLOC_TRIM_THRESHOLD_, while a user's cluster (--scheduler) keeps its settings; the
cluster closes while the outputs are written, and a failure to close still shows, in one
line; the output stays byte-identical to local across many chunks."""

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from cleaner.core.document import Document
from cleaner.core.stage import Stage
from cleaner.exec.local import process_one

distributed = pytest.importorskip("distributed", reason="the dask extra (pip install 'cleaner[dask]'); CI installs it")

TRIM = "MALLOC_TRIM_THRESHOLD_"


class Upper(Stage):
    name = "upper"

    def process(self, doc: Document) -> Document:
        doc.text = doc.text.upper()
        return doc


def test_a_chunks_results_come_back_as_one_bytes_payload():
    """Many small objects a task cost Dask a serialisation each: the worker returns one
    pickle, and unboxing it gives what the stages gave, in order."""
    from cleaner.exec.dask_engine import _process_chunk, own_stamp, unbox

    docs = [Document(id=f"d{i}", source="s", text=f"text {i}") for i in range(5)]
    payload = _process_chunk(("token-a", [Upper()], None, True, own_stamp()), docs)
    assert isinstance(payload, bytes)
    results = unbox(payload)
    assert [doc.text for doc, _ in results] == [f"TEXT {i}" for i in range(5)]
    assert all(set(spent) == {"upper"} for _, spent in results)
    expected, _ = process_one(Document(id="d0", source="s", text="text 0"), [Upper()])
    assert results[0][0] == expected


def _worker_settings(client) -> list[tuple[str | None, bool]]:
    """Each worker's MALLOC_TRIM_THRESHOLD_ and whether its profiler runs."""

    def probe(dask_worker):
        return os.environ.get(TRIM), "profile" in dask_worker.periodic_callbacks

    return list(client.run(probe).values())


def test_own_cluster_is_tuned_and_a_users_cluster_is_not(monkeypatch):
    """The LocalCluster cleaner starts: no trim threshold in its workers' environment, no
    profiler, results fetched from the workers directly. A cluster given by --scheduler
    keeps Dask's defaults (the trim threshold, the profiler): cleaner does not touch it."""
    import dask

    from cleaner.exec.dask_engine import DaskExecutor

    monkeypatch.delenv(TRIM, raising=False)  # else every worker inherits it from here
    own = DaskExecutor(workers=1)
    try:
        assert _worker_settings(own.client) == [(None, False)]
        assert own.client.direct_to_workers is True
    finally:
        own.close()
    # Dask's own settings in this process were only changed while the cluster started.
    assert dask.config.get("distributed.worker.profile.enabled") is True
    assert dask.config.get(f"distributed.nanny.pre-spawn-environ.{TRIM}") is not None

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as users:
        theirs = DaskExecutor(scheduler=users.scheduler_address)
        try:
            assert _worker_settings(theirs.client) == [("65536", True)]
        finally:
            theirs.close()


def _timers(client) -> list[tuple[float, float, float]]:
    """Each server's event-loop tick and system monitor periods (ms): the scheduler's
    (in this process, with the nannies) first, then each worker's."""

    def probe(dask_worker=None, dask_scheduler=None):
        server = dask_worker or dask_scheduler
        return tuple(server.periodic_callbacks[name].callback_time for name in ("tick", "monitor"))

    return [client.run_on_scheduler(probe), *client.run(probe).values()]


def test_own_cluster_wakes_less_and_a_users_cluster_keeps_its_timers():
    """The LocalCluster cleaner starts measures its event loops every second, not every
    20 ms, and samples the host every 2 s, not every 0.5 s: both feed only warnings cleaner
    silences and a dashboard it does not serve, and cost idle CPU in every process. A
    cluster given by --scheduler keeps Dask's own periods."""
    import dask

    from cleaner.exec.dask_engine import DaskExecutor

    own = DaskExecutor(workers=2)
    try:
        assert _timers(own.client) == [(1000, 2000)] * 3
    finally:
        own.close()
    assert dask.config.get("distributed.admin.tick.interval") == "20ms"  # changed while it started only

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as users:
        theirs = DaskExecutor(scheduler=users.scheduler_address)
        try:
            assert _timers(theirs.client) == [(20, 500)] * 2
        finally:
            theirs.close()


def test_own_cluster_keeps_no_input_document_once_its_chunk_is_done():
    """Dask kept the last 1,000 messages of each batched stream for debugging, and the
    scheduler (in the client's process, for the cluster cleaner starts) sends each chunk's
    task, with its input documents, down one: the client held every input of a run (up to
    ~1,000 chunks a worker). Once map has returned, no input document is left in this process."""
    import gc

    from cleaner.exec.dask_engine import CHUNK, DaskExecutor

    own = DaskExecutor(workers=1)
    try:
        done = list(own.map((Document(id=f"d{i}", source="s", text=f"input {i}") for i in range(3 * CHUNK)),
                            [Upper()]))
        assert [doc.text for doc, _ in done] == [f"INPUT {i}" for i in range(3 * CHUNK)]
        # The scheduler forgets a task once the client's release reaches it (asynchronously:
        # under load a moment after map returned); the logs kept them for good.
        deadline = time.monotonic() + 30
        while True:
            gc.collect()
            # A count, not a list: a list of the documents seen would itself keep them alive
            # into the next look (the test then failed whenever its first look came early).
            left = sum(1 for o in gc.get_objects() if isinstance(o, Document) and o.text.startswith("input "))
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert left == 0
        assert list(own.client.scheduler_comm.recent_message_log) == []  # nor their pickled tasks
    finally:
        own.close()


def test_the_client_keeps_no_pickled_chunk_with_a_users_cluster_either():
    """With --scheduler the scheduler is elsewhere, but the client's own stream to it kept
    its last 1,000 messages, each chunk's pickled task among them, in the client's process.
    The user's cluster keeps its settings (its scheduler still logs: 1,000)."""
    from cleaner.exec.dask_engine import CHUNK, DaskExecutor

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as users:
        theirs = DaskExecutor(scheduler=users.scheduler_address)
        try:
            list(theirs.map((Document(id=f"d{i}", source="s", text=f"input {i}") for i in range(2 * CHUNK)),
                            [Upper()]))
            assert list(theirs.client.scheduler_comm.recent_message_log) == []
            assert theirs.client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_log.maxlen) == 1000
        finally:
            theirs.close()


class _SlowClose:
    """An executor (the local one's map) whose close waits for the outputs' writing to start
    and records whether it saw it; or fails in several lines."""

    closes_at_once = False  # closed in a thread, as a cluster is

    def __init__(self, writing: threading.Event, fail: bool = False) -> None:
        from cleaner.exec.local import LocalExecutor

        self.inner = LocalExecutor(1)
        self.writing = writing
        self.fail = fail
        self.saw_writing: bool | None = None
        self.closed = False

    def map(self, *args, **kwargs):
        return self.inner.map(*args, **kwargs)

    def reaching(self):
        return self.inner.reaching()

    def close(self) -> None:
        # Closed before the writing starts (as before), this waits out its timeout.
        self.saw_writing = self.writing.wait(timeout=5)
        self.closed = True
        if self.fail:
            raise RuntimeError("the scheduler went away\nTraceback-like detail on a second line")


def _run_cli(tmp_path, monkeypatch, capsys, fail: bool):
    from cleaner import cli
    from cleaner.store import output

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(
        json.dumps({"id": f"d{i}", "text": f"Residents of the valley town waited for news {i} while rain kept falling."})
        + "\n" for i in range(6)), encoding="utf-8")
    writing = threading.Event()
    executor = _SlowClose(writing, fail)
    write = output.write_outputs

    def write_outputs(*args, **kwargs):
        writing.set()
        return write(*args, **kwargs)

    monkeypatch.setattr(output, "write_outputs", write_outputs)
    monkeypatch.setattr(cli, "make_executor", lambda *args: executor)
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", str(folder), "--out", str(tmp_path / "out"), "-q"])
    return exited.value.code, executor, capsys.readouterr().err


def test_the_executor_closes_while_the_outputs_are_written(tmp_path, monkeypatch, capsys):
    code, executor, err = _run_cli(tmp_path, monkeypatch, capsys, fail=False)
    assert code == 0, err
    assert executor.saw_writing is True  # the close overlapped the writing
    assert executor.closed  # and was waited for before the run ended
    assert (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").count("\n") == 6
    assert err == ""


def test_a_failed_close_is_one_line_and_the_outputs_stand(tmp_path, monkeypatch, capsys):
    code, executor, err = _run_cli(tmp_path, monkeypatch, capsys, fail=True)
    assert executor.closed
    lines = err.strip().splitlines()
    assert lines == ["cleaner: warning: closing --engine local failed: the scheduler went away"], err  # even with -q
    assert code == 0
    assert (tmp_path / "out" / "records.jsonl").exists()


def test_closing_reports_a_failure_in_one_line():
    from cleaner.exec.closing import Closing

    class Fails:
        closes_at_once = False

        def close(self) -> None:
            raise OSError()

    assert Closing(Fails()).join() == "OSError"


def test_byte_identical_to_local_across_many_chunks(tmp_path, monkeypatch):
    """More documents than several tasks hold: the boxed results of every chunk come back in
    input order, so the output is the local engine's to the byte."""
    from cleaner.exec.dask_engine import CHUNK

    folder = tmp_path / "in"
    folder.mkdir()
    towns = ["Aldbury", "Brenton", "Carrick", "Dunmore", "Elswick", "Farleigh", "Glenrock"]
    with (folder / "feed.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(2 * CHUNK + 37):
            town = towns[i % len(towns)]
            # Some near-copies (the same story, a word changed), so records group documents.
            text = (f"Residents of {town} waited for news while the river rose for the {i % 40}th day. "
                    f"The council of {town} met on Tuesday to discuss the flood defences and the roads "
                    f"closed since the storm. Officials said repairs would take {3 + i % 5} weeks.")
            fh.write(json.dumps({"id": f"n{i}", "text": text, "url": f"https://example.org/{town}/{i}"}) + "\n")

    def run(engine: str):
        out = tmp_path / engine
        proc = subprocess.run([sys.executable, "-m", "cleaner", "run", str(folder), "--out", str(out), "-q",
                               "--workers", "2", "--engine", engine], capture_output=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return out

    local, dask = run("local"), run("dask")
    for name in ("documents.jsonl", "records.jsonl"):
        assert (dask / name).read_bytes() == (local / name).read_bytes(), name
    assert (local / "documents.jsonl").read_text(encoding="utf-8").count("\n") == 2 * CHUNK + 37


def test_ctrl_c_while_the_outputs_are_written_names_the_checkpoint(tmp_path, monkeypatch, capsys):
    """attack-11: a Ctrl-C while the outputs were written went to click (a blank line, then
    "cleaner: interrupted" without a word of the checkpoint that --resume continues from)."""
    from cleaner import cli
    from cleaner.store import output

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "write_outputs", interrupted)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"id": "d", "text": "Rain kept falling on the valley town."}) + "\n",
                                    encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", str(folder), "--out", str(tmp_path / "out"), "--workers", "1", "-q"])
    err = capsys.readouterr().err
    assert exited.value.code == 130
    assert err.splitlines() == [f"cleaner: interrupted; `cleaner run ... --out {tmp_path / 'out'} --resume` "
                                "continues from its checkpoint"]
