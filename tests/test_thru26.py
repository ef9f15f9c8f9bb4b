"""thru-26 (#18 point 3): a run with more than one worker writes report.html and its page
files in a forked child (store/output._Aside) while the main process writes documents.jsonl
and records.jsonl: the serial end of the run on two cores. The same files, byte for byte;
one process still writes everything where one was asked for; a child that fails, dies or
cannot be forked leaves the writing to the main process, as before."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from cleaner.core.config import Config
from cleaner.exec.flow import RunResult, run_documents
from cleaner.input.read import read_dicts
from cleaner.store import output

TEXT = "A line long enough to be kept as news text, number {n}.\nAnother line of the story {n} here."


@pytest.fixture(scope="module")
def result(cfg: Config) -> Iterator[RunResult]:
    docs = [{"id": f"d{n}", "text": TEXT.format(n=n % 7)} for n in range(40)] + [{"id": "empty"}]
    run = run_documents(read_dicts(docs), cfg, spool=True)
    yield run
    run.close()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _pids(monkeypatch: pytest.MonkeyPatch, log: Path, fail_in_child: BaseException | None = None,
          fail_everywhere: BaseException | None = None) -> None:
    """report_files noting the process that runs it (and failing where told)."""
    real = output.report_files
    parent = os.getpid()

    def noted(*args: Any, **kwargs: Any) -> Any:
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        if fail_everywhere is not None:
            raise fail_everywhere
        if fail_in_child is not None and os.getpid() != parent:
            raise fail_in_child
        yield from real(*args, **kwargs)

    monkeypatch.setattr(output, "report_files", noted)


@pytest.fixture
def alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as if no other thread ran: a suite's earlier tests can leave one behind
    (a library's idle thread), and _Aside forks only in a process without (tested below)."""
    monkeypatch.setattr(output.threading, "active_count", lambda: 1)


def _write(result: RunResult, cfg: Config, out: Path, workers: int) -> dict[str, bytes]:
    output.write_outputs(result, out, cfg, "in.jsonl", workers)
    tree = _tree(out)
    tree.pop("manifest.json")  # names the workers
    return tree


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or ".cleaner-new-" in p.name)


def test_two_workers_write_the_report_in_a_child_the_same_bytes(result: RunResult, cfg: Config, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch, alone: None) -> None:
    log = tmp_path / "pids"
    _pids(monkeypatch, log)
    one = _write(result, cfg, tmp_path / "one", 1)
    assert log.read_text().split() == [str(os.getpid())]  # one worker asked for: one process writes
    two = _write(result, cfg, tmp_path / "two", 2)
    pids = log.read_text().split()
    assert len(pids) == 2 and pids[1] != str(os.getpid())  # a child wrote the report
    assert one == two and "report.html" in two and any(name.startswith("report-pages/") for name in two)
    assert _left(tmp_path) == []
    manifest = (tmp_path / "two" / "manifest.json").read_bytes()
    assert b'"workers": 2' in manifest


def test_a_failing_child_leaves_the_report_to_the_main_process(result: RunResult, cfg: Config, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, alone: None) -> None:
    want = _write(result, cfg, tmp_path / "want", 1)
    log = tmp_path / "pids"
    _pids(monkeypatch, log, fail_in_child=MemoryError())
    assert _write(result, cfg, tmp_path / "two", 2) == want
    pids = log.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1] == str(os.getpid())  # the child failed; the parent wrote
    assert _left(tmp_path) == []


def test_a_full_disk_is_the_main_process_error_and_nothing_is_left(result: RunResult, cfg: Config, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch, alone: None) -> None:
    out = tmp_path / "out"
    _write(result, cfg, out, 2)
    before = _tree(out)
    _pids(monkeypatch, tmp_path / "pids", fail_everywhere=OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(OSError) as raised:
        output.write_outputs(result, out, cfg, "in.jsonl", 2)
    assert raised.value.errno == errno.ENOSPC
    assert _tree(out) == before and _left(tmp_path) == []  # the previous run stays, whole


def test_no_fork_with_another_thread_running_or_when_fork_fails(result: RunResult, cfg: Config, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    want = _write(result, cfg, tmp_path / "want", 1)
    log = tmp_path / "pids"
    _pids(monkeypatch, log)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _write(result, cfg, tmp_path / "threaded", 2) == want
    finally:
        stop.set()
        other.join()
    assert log.read_text().split() == [str(os.getpid())]

    def refused() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(output.threading, "active_count", lambda: 1)
    monkeypatch.setattr(os, "fork", refused)
    assert _write(result, cfg, tmp_path / "refused", 2) == want
    assert log.read_text().split() == [str(os.getpid())] * 2
    assert _left(tmp_path) == []


def test_the_main_process_failing_ends_the_child_and_removes_its_files(result: RunResult, cfg: Config,
                                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       alone: None) -> None:
    started: list[int] = []
    real_start = output._Aside.start.__func__  # type: ignore[attr-defined]

    def start(cls: type, files: Any) -> Any:
        aside = real_start(cls, files)
        started.append(aside.pid)
        return aside

    monkeypatch.setattr(output._Aside, "start", classmethod(start))

    def interrupted(self: RunResult, input_order: bool = False) -> Iterator[bytes]:
        yield b"{}\n"
        raise KeyboardInterrupt

    monkeypatch.setattr(RunResult, "document_lines", interrupted)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        output.write_outputs(result, out, cfg, "in.jsonl", 2)
    assert len(started) == 1
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(started[0], os.WNOHANG)
    assert _left(tmp_path) == [] and os.listdir(out) == []


def test_a_run_above_the_bound_is_written_by_one_process(result: RunResult, cfg: Config, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """ASIDE_UP_TO: the child's copy-on-write pages grow with the run (~4 KB a document)."""
    want = _write(result, cfg, tmp_path / "want", 1)
    log = tmp_path / "pids"
    _pids(monkeypatch, log)
    monkeypatch.setattr(output.threading, "active_count", lambda: 1)
    monkeypatch.setattr(output, "ASIDE_UP_TO", len(result.documents) - 1)
    assert _write(result, cfg, tmp_path / "two", 2) == want
    assert log.read_text().split() == [str(os.getpid())]


_KILLED = """
import os, sys, time
from cleaner.core.config import load_config
from cleaner.exec.flow import run_documents
from cleaner.input.read import read_dicts
from cleaner.store import output
real = output.report_files
parent = os.getpid()
def slow(*args, **kwargs):
    if os.getpid() != parent:
        with open(sys.argv[2], "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)
    yield from real(*args, **kwargs)
output.report_files = slow
cfg = load_config(None)
result = run_documents(read_dicts([{"id": "a", "text": "A line long enough to be kept as news text here."}]), cfg)
output.write_outputs(result, __import__("pathlib").Path(sys.argv[1]), cfg, "in", 2)
"""


@pytest.mark.skipif(not os.path.exists("/proc"), reason="Linux: the child dies with its parent (PR_SET_PDEATHSIG)")
def test_the_child_dies_with_a_killed_parent(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    pid_file = tmp_path / "child"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(tmp_path / "out"), str(pid_file)])
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{child}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            break
        if state == "Z":  # dead, waiting for init to reap it
            break
        time.sleep(0.05)
    else:
        pytest.fail("the child outlived its killed parent")


def test_the_local_executor_closes_at_once_so_no_thread_runs_while_writing() -> None:
    """A thread running would keep the report in the main process (_Aside.start)."""
    from cleaner.exec.closing import Closing
    from cleaner.exec.local import LocalExecutor

    before = threading.active_count()
    closing = Closing(LocalExecutor(2))
    assert threading.active_count() == before and closing.join() is None

    class Slow:
        closes_at_once = False

        def close(self) -> None:
            raise OSError("gone")

    assert Closing(Slow()).join() == "gone"  # any other executor: in its thread, as before


def test_ctrl_c_while_the_child_writes_removes_what_it_made(tmp_path: Path, alone: None) -> None:
    """Interrupted while waiting for the child (one file made, the next one stalled): the
    child is killed, and every temporary file it had made is removed, those whose names the
    parent had not read yet included; nothing is renamed."""
    import signal
    import time

    made = tmp_path / "made"

    def stalled() -> Iterator[str]:
        yield "c"
        made.write_text("under way")
        time.sleep(60)

    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.5)
        with pytest.raises(KeyboardInterrupt):
            output.atomic_writes([(tmp_path / "a", ["a"])],
                                 aside=lambda: [(tmp_path / "b", ["b"]), (tmp_path / "c", stalled())],
                                 then=[(tmp_path / "d", ["d"])])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    assert made.exists()  # the child was under way when the interrupt came
    assert sorted(os.listdir(tmp_path)) == ["made"]
