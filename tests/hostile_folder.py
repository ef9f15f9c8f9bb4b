"""The hostile input folder (issue #6): bad encodings, binary, FIFOs, symlink loops, gzip
that is truncated or not gzip, broken HTML and JSONL. Used by tests/test_hostile.py and by
bench/identity_check.py, which checks that output on it stays byte-identical."""

import gzip
import os
from pathlib import Path

RU = "Городской совет утвердил бюджет в понедельник после долгих споров о школах, дорогах и больницах."
ZH = "市议会周一在就学校和道路问题进行长时间辩论后批准了新的年度预算，预算将用于修建新的学校和医院。"
JA = "東京都議会は月曜日、学校と道路をめぐる長い議論の末に新しい予算案を可決した。予算は病院の建設にも使われる。"
FR = "Le conseil municipal a adopté le budget lundi après un long débat sur les écoles et les routes de la région."
DE = "Der Stadtrat hat am Montag nach einer langen Debatte über Schulen und Straßen den neuen Haushalt beschlossen."
EN = "The city council approved the new budget on Monday after a long debate about schools, roads and hospitals."


def build_hostile(root: Path) -> None:
    """Write the hostile files into the (existing, empty) folder `root`."""
    w = lambda name, data: (root / name).write_bytes(data)  # noqa: E731
    w("empty.txt", b"")
    w("blank.txt", b"  \n\t\n   ")
    w("binary.txt", bytes(range(256)) * 64)
    w("nul.txt", EN.encode().replace(b" ", b" \x00", 3))
    w("latin1.txt", (FR + "\n") .encode("latin-1"))
    w("cp1251.txt", (RU + "\n" + RU.replace("бюджет", "план")).encode("cp1251"))
    w("utf16.txt", (DE + "\n").encode("utf-16"))
    w("gb18030.txt", (ZH + "\n" + ZH[::-1]).encode("gb18030"))
    w("shiftjis.txt", (JA + "\n" + JA).encode("shift_jis"))
    # 10 MB on one line: a wall of text with no line break.
    w("one-line.txt", (" ".join([EN] * 100_000)).encode()[: 10_500_000])
    w("deep.html", b"<html><body>" + b"<div>" * 50_000 + EN.encode() + b"</div>" * 50_000 + b"</body></html>")
    w("broken.html", b"<html><body><p>" + EN.encode() + b"<div><table><tr><td>unclosed <b><i>" + b"<p" * 200)
    w("feed.jsonl.gz", gzip.compress(b'{"id": "g1", "text": "' + EN.encode() + b'"}\n{broken json\n'
                                     b'{"id": "g2", "text": "' + DE.encode() + b'"}\n'))
    w("page.html.gz", gzip.compress(b"<html><body><article><p>" + FR.encode() + b"</p></article></body></html>"))
    whole = gzip.compress(" ".join(f"{RU} {i * 7919}" for i in range(300)).encode())
    w("truncated.txt.gz", whole[: len(whole) // 2])
    w("not-gzip.txt.gz", b"plain bytes, not gzip")
    w("bad.jsonl", b'{"id": "ok1", "text": "' + EN.encode() + b'"}\n[1, 2\n"a string"\n\xff\xfe\n{"text": ""}\n')
    w("name with spaces.txt", (EN + " Spaces in the name.").encode())
    w("новости дня.txt", RU.encode())
    w("日本 記事.txt", JA.encode())
    w("image.png", b"\x89PNG\r\n\x1a\n")
    (root / "sub").mkdir()
    w("sub/inner.txt", (DE + " Unterordner.").encode())
    os.symlink(".", root / "sub" / "loop")  # a loop: sub/loop/loop/...
    os.symlink("sub", root / "again")  # a second way into sub/
    os.symlink("missing.txt", root / "dangling.txt")
    os.mkfifo(root / "pipe.txt")  # reading a FIFO would block the run forever
    os.mkfifo(root / "pipe.jsonl")  # ... and so would counting its lines for the progress bar
