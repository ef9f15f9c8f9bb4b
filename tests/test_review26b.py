"""Defects found by review-26b in session 26's merged changes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.core.dates import normalise_date


@pytest.mark.parametrize("value, expected", [
    ("2025-12-20T24:00:00.5", "2025-12-20"), ("2025-12-20T24:00:00.05", "2025-12-20"),
    ("2025-12-20T24:00,5Z", "2025-12-20"), ("20251220T240000.1", "2025-12-20"),
    # unchanged: zeros, a full stop ending a sentence
    ("2025-12-20T24:00:00.000Z", "2025-12-21"), ("2025-12-20 24:00.", "2025-12-21"),
    ("2025-12-20T24:00, then", "2025-12-21"),
])
def test_24_00_with_a_fraction_not_all_zeros_keeps_the_day(value: str, expected: str) -> None:
    assert normalise_date(value) == expected


# A Ctrl-C at _Aside's fork, by a fork that raises SIGINT in the child or in the parent as it
# returns (as a Ctrl-C to the process group a moment later would).
_FORK_SCRIPT = """
import os, signal, sys
from pathlib import Path
from cleaner.store import output
parent, real, side = os.getpid(), os.fork, sys.argv[2]
def fork():
    pid = real()
    if (pid == 0) == (side == "child"):
        signal.raise_signal(signal.SIGINT)
    return pid
os.fork = fork
out = Path(sys.argv[1])
try:
    output.atomic_writes([(out / "a.txt", ["a"])], aside=lambda: [(out / "b.txt", ["b"])],
                         then=[(out / "c.txt", ["c"])])
    print("written by", "parent" if os.getpid() == parent else "child", flush=True)
except KeyboardInterrupt:
    print("interrupted in", "parent" if os.getpid() == parent else "child", flush=True)
    try:
        os.wait()  # the child, had it been left running: its files made
    except ChildProcessError:
        pass
"""


@pytest.mark.parametrize("side", ["child", "parent"])
def test_a_ctrl_c_at_the_asides_fork_runs_no_parent_code_in_the_child_and_leaves_no_file(
        tmp_path: Path, side: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-c", _FORK_SCRIPT, str(out), side], env=env,
                         capture_output=True, text=True, timeout=60)
    if side == "child":  # the Ctrl-C is the parent's (the child ignores it): the files written once
        assert run.stdout == "written by parent\n", run.stdout + run.stderr
        assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "c.txt"]
    else:  # the parent stops, as at any Ctrl-C while it writes: nothing written, nothing left
        assert run.stdout == "interrupted in parent\n", run.stdout + run.stderr
        assert list(out.iterdir()) == []
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("address", ["tcp://fd00::2:0", "tcp://fd00:1:2:3:4:5:6:beef", "fd00::1:99999"])
def test_an_ipv6_address_without_brackets_gets_distributeds_message_not_a_port_one(address: str) -> None:
    """port_problem took the last group of a bare IPv6 address for its port ("its port 0 is
    not a port number", "its port 'beef' is not a number"); distributed says it needs brackets."""
    pytest.importorskip("distributed")
    from distributed.comm.addressing import parse_host_port

    from cleaner.exec.dask_engine import port_problem

    assert port_problem(address) is None
    with pytest.raises(ValueError, match="brackets"):
        parse_host_port(address)


@pytest.mark.parametrize("address, said", [
    ("tcp://[fd00::1]:99999", "its port 99999 is not a port number (1 to 65535)"),
    ("tcp://[::1]:x", "its port 'x' is not a number"), ("tcp://host:0", "its port 0 is not a port number (1 to 65535)"),
    ("tcp://[::1]", None), ("tcp://host", None), ("tcp://[::1]:8786", None), ("inproc://x", None),
])
def test_port_problem_still_names_a_bad_port(address: str, said: str | None) -> None:
    pytest.importorskip("distributed")
    from cleaner.exec.dask_engine import port_problem

    assert port_problem(address) == said
