"""Hostile input and failure (issue #6): every bad file is accounted for, nothing crashes,
a killed run leaves complete output or none, and --resume finishes it."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleaner.input.read import read_file, read_inputs
from conftest import RAW
from hostile_folder import DE, EN, FR, JA, RU, ZH, build_hostile

EXTS = [".txt", ".html", ".htm", ".json", ".jsonl"]


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True,
                          timeout=timeout)


def rows(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / "in"
    root.mkdir()
    build_hostile(root)
    out = root.parent / "out"
    result = run_cli("run", str(root), "--out", str(out), "--workers", "2")
    return root, out, result


def test_run_completes_without_traceback(hostile):
    _, out, result = hostile
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "manifest.json").exists()


def test_every_input_is_accounted_for(hostile):
    root, out, _ = hostile
    sources = {d["source"] for d in rows(out / "documents.jsonl")}
    names = {p.relative_to(root).as_posix() for p in root.rglob("*")
             if (p.is_file() or p.is_symlink() or p.is_fifo()) and "loop" not in p.parts}
    names -= {"sub/loop"}  # listed as the symlink itself, below
    assert names <= sources, names - sources
    assert {"again", "sub/loop"} <= sources


@pytest.mark.parametrize("source, reason", [
    ("empty.txt", "empty file"),
    ("blank.txt", "empty file"),
    ("binary.txt", "binary"),
    ("truncated.txt.gz", "gzip"),
    ("not-gzip.txt.gz", "not a readable gzip file"),
    ("image.png", "unsupported file type '.png'"),
    ("sub/loop", "symlink to a folder already read"),
    ("again", "symlink to a folder already read"),
    ("dangling.txt", "broken symlink"),
    ("pipe.txt", "not a regular file"),
    ("pipe.jsonl", "not a regular file"),
])
def test_bad_inputs_are_rejected_with_a_reason(hostile, source, reason):
    _, out, _ = hostile
    docs = [d for d in rows(out / "documents.jsonl") if d["source"] == source]
    assert docs and all(d["status"] == "rejected" and reason in d["error"] for d in docs), docs


@pytest.mark.parametrize("source, lang, encoding", [
    ("cp1251.txt", "ru", "cp1251"),
    ("gb18030.txt", "zh", "gb18030"),
    ("shiftjis.txt", "ja", "cp932"),  # Microsoft's Shift-JIS, a superset
    ("latin1.txt", "fr", None),
    ("utf16.txt", "de", "utf-16"),
    ("nul.txt", "en", None),
    ("новости дня.txt", "ru", None),
    ("日本 記事.txt", "ja", None),
    ("name with spaces.txt", "en", None),
    ("page.html.gz", "fr", None),
    ("one-line.txt", "en", None),
    ("deep.html", "en", None),
    ("broken.html", "en", None),
])
def test_readable_inputs_are_read_in_their_language(hostile, source, lang, encoding):
    _, out, _ = hostile
    (doc,) = [d for d in rows(out / "documents.jsonl") if d["source"] == source]
    assert doc["status"] != "rejected", doc["error"]
    assert doc["lang"] == lang
    assert "\x00" not in doc["text"]
    if encoding:
        assert doc["meta"]["encoding"] == encoding


def test_html_too_deep_for_the_parser_keeps_its_text_with_a_flag(hostile):
    _, out, _ = hostile
    (doc,) = [d for d in rows(out / "documents.jsonl") if d["source"] == "deep.html"]
    assert EN in doc["text"]
    assert [f["rule"] for f in doc["flags"]] == ["extract.too-deep"]


def test_one_line_file_keeps_its_text(hostile):
    _, out, _ = hostile
    (doc,) = [d for d in rows(out / "documents.jsonl") if d["source"] == "one-line.txt"]
    assert len(doc["text"]) > 10_000_000


def test_jsonl_lines_each_accounted_for_gzipped_or_not(hostile):
    _, out, _ = hostile
    docs = rows(out / "documents.jsonl")
    feed = {d["id"]: d for d in docs if d["source"] == "feed.jsonl.gz"}
    assert feed["g1"]["lang"] == "en" and feed["g2"]["lang"] == "de"
    assert "invalid JSON" in feed["feed:2"]["error"]
    bad = {d.get("line"): d for d in docs if d["source"] == "bad.jsonl"}
    assert bad[1]["status"] != "rejected"
    assert "invalid JSON" in bad[2]["error"] and "expected a JSON object" in bad[3]["error"]
    assert "not UTF-8" in bad[4]["error"] and "no non-empty" in bad[5]["error"]


def test_strict_turns_rejections_into_exit_1(hostile, tmp_path):
    root, _, _ = hostile
    good = tmp_path / "good"
    good.mkdir()
    (good / "a.txt").write_text(EN, encoding="utf-8")
    assert run_cli("run", str(good), "--out", str(tmp_path / "o1"), "--strict", "-q").returncode == 0
    result = run_cli("run", str(root / "sub"), "--out", str(tmp_path / "o2"), "--strict", "-q")
    assert result.returncode == 1 and "rejected" in result.stderr
    assert (tmp_path / "o2" / "manifest.json").exists()  # the output is still written


def test_unreadable_file_and_folder(tmp_path, monkeypatch):
    import cleaner.input.read as read

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "locked.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "in" / "ok.txt").write_text(DE, encoding="utf-8")
    (tmp_path / "in" / "closed").mkdir()
    real_read, real_scandir = read._read_limited, os.scandir

    def no_permission(path, max_bytes):
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(path, max_bytes)

    def scandir(path):  # a folder it may not list (the tests may run as root)
        if Path(path).name == "closed":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(read, "_read_limited", no_permission)
    monkeypatch.setattr(read.os, "scandir", scandir)
    docs = {d.source: d for d in read_inputs(tmp_path / "in", EXTS, 10**6)}
    assert docs["locked.txt"].error == "cannot read file: Permission denied"
    assert docs["closed"].error == "cannot read folder: Permission denied"
    assert docs["ok.txt"].ok


def test_decompressed_size_is_limited(tmp_path):
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"a " * 2_000_000))  # 4 MB from a few KB
    (doc,) = read_file(bomb, Path(bomb.name), max_bytes=1_000_000)
    assert "once decompressed" in doc.error and doc.id == "bomb"


# ---- crash safety and --resume, with a real process killed by SIGKILL ----

def _corpus(folder: Path, n: int) -> Path:
    """n distinct articles from raw/'s text files, as one JSONL feed."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(RAW.rglob("*.txt"))]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "feed.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n):
            if i == 2:  # an input rejected while read, early: the checkpoint must go on past it
                fh.write("{not json\n")
                continue
            text = texts[i % len(texts)] + f"\n\nUpdate {i}: the desk added note number {i * 7919 % 10007}."
            fh.write(json.dumps({"id": f"a{i}", "text": text}, ensure_ascii=False) + "\n")
    return folder


def _kill_when_checkpointed(args, spool: Path, min_bytes: int) -> None:
    """Run, and SIGKILL once the checkpoint's segments in `spool` hold `min_bytes`."""
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if sum(p.stat().st_size for p in spool.glob("*.spool")) >= min_bytes:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed; use a larger corpus"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_sigkill_then_resume_gives_the_same_output(tmp_path):
    inp = _corpus(tmp_path / "in", 1200)
    reference = tmp_path / "reference"
    assert run_cli("run", str(inp), "--out", str(reference), "--workers", "2", "-q").returncode == 0

    out = tmp_path / "out"
    spool = out / ".cleaner-partial"
    _kill_when_checkpointed(["run", str(inp), "--out", str(out), "--workers", "2"], spool, 400_000)
    assert not (out / "manifest.json").exists()  # no complete output, and no half-written file
    assert not (out / "documents.jsonl").exists()

    result = run_cli("run", str(inp), "--out", str(out), "--workers", "1", "--resume")
    assert result.returncode == 0, result.stderr
    resumed = int(result.stderr.split(" resumed)")[0].rsplit(" ", 1)[1])
    assert 20 < resumed < 1200
    for name in ("documents.jsonl", "records.jsonl"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert not (out / ".cleaner-partial").exists()  # a finished run cleans up its checkpoint


def test_sigkill_leaves_the_previous_complete_output(tmp_path):
    inp = _corpus(tmp_path / "in", 1200)
    out = tmp_path / "out"
    small = _corpus(tmp_path / "small", 30)
    assert run_cli("run", str(small), "--out", str(out), "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    _kill_when_checkpointed(["run", str(inp), "--out", str(out)], out / ".cleaner-partial",
                            100_000)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert after == before  # the killed run never touched the complete output
    # A new run without --resume starts over, and says that it discarded the partial work.
    result = run_cli("run", str(small), "--out", str(out))
    assert result.returncode == 0 and "discarded" in result.stderr
    assert (out / "documents.jsonl").read_bytes() == before["documents.jsonl"]


def test_resume_refuses_another_configuration(tmp_path):
    inp = _corpus(tmp_path / "in", 1200)
    out = tmp_path / "out"
    _kill_when_checkpointed(["run", str(inp), "--out", str(out)], out / ".cleaner-partial",
                            100_000)
    cfg = tmp_path / "other.toml"
    cfg.write_text("[near]\nthreshold = 0.5\n", encoding="utf-8")
    result = run_cli("run", str(inp), "--out", str(out), "--resume", "--config", str(cfg))
    assert result.returncode == 2 and "cannot resume" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cut_off_checkpoint_is_repaired(tmp_path):
    from cleaner.core.document import Document
    from cleaner.store.checkpoint import Checkpoint

    cp = Checkpoint(tmp_path, "fp", resume=False)
    for i in range(3):
        doc = Document(id=f"d{i}", source="s", text="x" * 100)
        cp.put(doc, (f"k{i}", doc))
    cp.close(keep=True)
    (spool,) = (tmp_path / ".cleaner-partial").glob("*.spool")
    spool.write_bytes(spool.read_bytes()[:-5])  # killed in the middle of the last frame
    again = Checkpoint(tmp_path, "fp", resume=True)
    assert sorted(again.done) == ["k0", "k1"]
    assert again.get(again.done["k1"][0]).id == "d1"
    again.close()
    assert not (tmp_path / ".cleaner-partial").exists()


# ---- determinism and confinement ----

def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_input_file_order_does_not_matter_and_nothing_is_written_outside_out(tmp_path):
    import shutil

    files = [p for p in sorted(RAW.rglob("*")) if p.is_file()]
    copies = {}
    for name, order in (("forward", files), ("backward", files[::-1])):  # directory order differs
        root = tmp_path / name / "raw"
        for p in order:
            target = root / p.relative_to(RAW)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, target)
        copies[name] = root
    scratch = tmp_path / "scratch"  # the temporary folder, home and working directory of the run
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "HOME": str(scratch), "PYTHONHASHSEED": "7"}
    before = _snapshot(copies["backward"])
    for name, root in copies.items():
        result = subprocess.run([sys.executable, "-m", "cleaner", "run", str(root), "--out", str(root.parent / "out"),
                                 "--workers", "2", "-q"], capture_output=True, text=True, env=env, cwd=scratch)
        assert result.returncode == 0, result.stderr
    assert _snapshot(copies["backward"]) == before  # the input is never written to
    assert [p for p in scratch.rglob("*") if p.is_file() and "__pycache__" not in p.parts] == []
    for name in ("documents.jsonl", "records.jsonl"):  # report.html names the input folder
        a = (copies["forward"].parent / "out" / name).read_bytes()
        assert a == (copies["backward"].parent / "out" / name).read_bytes(), name
    assert sorted(p.name for p in (copies["forward"].parent / "out").iterdir()) == sorted(
        ["documents.jsonl", "records.jsonl", "report.html", "report-pages", "manifest.json"])


def test_a_second_run_into_the_same_folder_stops(tmp_path):
    from cleaner.store.spool import LOCK_FILE, lock_file

    out = tmp_path / "out"
    out.mkdir()
    fd = lock_file(out / LOCK_FILE)  # as a running run holds it
    try:
        result = run_cli("run", str(RAW), "--out", str(out), "-q")
    finally:
        os.close(fd)
    assert result.returncode == 2 and "another cleaner run is writing into" in result.stderr
    assert run_cli("run", str(RAW), "--out", str(out), "-q").returncode == 0  # free again


def test_endless_line_in_a_gzipped_feed_is_bounded(tmp_path):
    feed = tmp_path / "feed.jsonl.gz"
    feed.write_bytes(gzip.compress(b'{"text": "' + b"x" * 3_000_000 + b'"}\n{"id": "ok", "text": "' + EN.encode() + b'"}\n'))
    docs = list(read_file(feed, Path(feed.name), max_bytes=100_000))
    assert "record too large" in docs[0].error and docs[0].line == 1
    assert docs[1].id == "ok" and docs[1].ok


def test_outputs_are_renamed_only_once_all_are_written(tmp_path):
    from cleaner.store.output import atomic_writes

    (tmp_path / "a").write_text("old a", encoding="utf-8")
    (tmp_path / "b").write_text("old b", encoding="utf-8")

    def failing():
        yield "new b, first part"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_writes([(tmp_path / "a", ["new a"]), (tmp_path / "b", failing())])
    # Not a new documents.jsonl beside an old records.jsonl: neither file changed.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary file left
    assert (tmp_path / "a").read_text(encoding="utf-8") == "old a"
    assert (tmp_path / "b").read_text(encoding="utf-8") == "old b"


def test_a_failed_spool_write_leaves_no_partial_frame(tmp_path, monkeypatch):
    import cleaner.store.spool as spool_module
    from cleaner.core.document import Document

    spool = spool_module.Spool(str(tmp_path))
    try:
        first = spool.put(Document(id="d0", source="s", text="first"))
        real = spool_module._write_all

        def disk_full(fd, data):
            os.write(fd, data[: len(data) // 2])
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(spool_module, "_write_all", disk_full)
        with pytest.raises(OSError):
            spool.put(Document(id="d1", source="s", text="second"))
        monkeypatch.setattr(spool_module, "_write_all", real)
        third = spool.put(Document(id="d2", source="s", text="third"))
        assert [spool.get(first).id, spool.get(third).id] == ["d0", "d2"]
        assert spool.get_parts(third)[1] == b'"third"'
    finally:
        spool.close()


def test_resume_on_another_input_says_the_checkpoint_does_not_match(tmp_path):
    """#19 point 5: not "N already processed" and then "0 resumed" without a word."""
    inp = _corpus(tmp_path / "in", 1200)
    out = tmp_path / "out"
    _kill_when_checkpointed(["run", str(inp), "--out", str(out)], out / ".cleaner-partial", 100_000)
    other = tmp_path / "other"
    other.mkdir()
    (other / "feed.jsonl").write_text("".join(json.dumps({"id": f"b{i}", "text": f"{EN} Note {i}."}) + "\n"
                                              for i in range(5)), encoding="utf-8")
    result = run_cli("run", str(other), "--out", str(out), "--resume")
    assert result.returncode == 0, result.stderr
    assert "none of the checkpoint's" in result.stderr and "match this input" in result.stderr
    assert ", 0 resumed" in result.stderr
