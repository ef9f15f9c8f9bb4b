import json

from cleaner.core.document import REJECTED
from cleaner.input.read import decode_bytes, read_dicts, read_inputs

EXTS = [".txt", ".html", ".htm", ".json", ".jsonl"]


def read(root, exclude=None):
    return list(read_inputs(root, EXTS, 10_000, exclude=exclude))


def test_folder_is_read_recursively_in_stable_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Zed story", encoding="utf-8")
    (tmp_path / "a.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    docs = read(tmp_path)
    assert [(d.id, d.source) for d in docs] == [("a", "a.html"), ("b/z", "b/z.txt")]
    assert docs[0].html and not docs[0].text and docs[1].text == "Zed story"


def test_unsupported_empty_and_large_files_are_rejected_with_reasons(tmp_path):
    (tmp_path / "pic.png").write_bytes(b"\x89PNG")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "big.txt").write_text("x" * 20_000, encoding="utf-8")
    docs = {d.id: d for d in read(tmp_path)}
    assert all(d.status == REJECTED for d in docs.values())
    assert "unsupported file type '.png'" in docs["pic"].error
    assert docs["empty"].error == "empty file"
    assert "too large" in docs["big"].error


def test_jsonl_lines_each_become_a_document(tmp_path):
    lines = [json.dumps({"id": "n1", "text": "One", "date": "2025-12-20T08:00:00Z", "url": "https://e.x/1"}),
             "{not json",
             json.dumps({"title": "no id", "html": "<p>x</p>"}),
             "",
             json.dumps({"id": "n4"}),
             json.dumps([1, 2])]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    docs = read(tmp_path)
    ids = [d.id for d in docs]
    assert ids[:2] == ["n1", "feed:2"] and ids[3] == "n4"  # input ids kept; bad JSON by its line
    assert ids[2].startswith("feed:") and len(ids[2]) == len("feed:") + 12  # no id: source and content
    # Generated ids do not depend on position: two blank lines first change no content id.
    (tmp_path / "feed.jsonl").write_text("\n\n" + "\n".join(lines), encoding="utf-8")
    moved = [d.id for d in read(tmp_path)]
    assert moved[2] == ids[2] and moved[1] == "feed:4" and moved[4] == "feed:8"  # [1, 2]: not an object
    assert docs[0].date == "2025-12-20" and docs[0].url == "https://e.x/1" and docs[0].line == 1
    assert docs[1].status == REJECTED and "line 2: invalid JSON" in docs[1].error
    assert docs[2].html == "<p>x</p>"
    assert "no non-empty 'text' or 'html'" in docs[3].error
    assert "expected a JSON object" in docs[4].error


def test_json_file_with_list_and_object(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"text": "Solo"}), encoding="utf-8")
    (tmp_path / "many.json").write_text(json.dumps([{"text": "A"}, {"id": "x", "text": "B"}]), encoding="utf-8")
    ids = [d.id for d in read(tmp_path)]
    assert ids[0].startswith("many:") and len(ids[0]) == len("many:") + 12 and ids[1:] == ["x", "one"]


def test_non_utf8_encodings_are_decoded():
    ru = "Новый участок метро открыли в пятницу, сообщили в департаменте транспорта города."
    text, enc = decode_bytes(ru.encode("cp1251"))
    assert text == ru and enc != "utf-8"
    text, enc = decode_bytes("Hello".encode("utf-16"))
    assert text == "Hello" and enc == "utf-16"


def test_utf16_bom_then_nul_is_not_lost_to_utf32():
    """FF FE 00 00 opens UTF-32LE, and also UTF-16LE whose first character is U+0000: when
    it is not UTF-32, it is read as UTF-16 (before the UTF-32 check it was; then it was
    rejected as undecodable)."""
    text, enc = decode_bytes(b"\xff\xfe" + "\x00Hello world, a text.".encode("utf-16-le"))
    assert enc == "utf-16" and text == "\x00Hello world, a text."
    text, enc = decode_bytes("Hello world".encode("utf-32"))
    assert enc == "utf-32" and text == "Hello world"


def test_nul_bytes_and_crlf_are_cleaned(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"Line one\r\nLine\x00 two\r\n")
    assert read(tmp_path)[0].text == "Line one\nLine two\n"


def test_output_folder_inside_input_is_not_read(tmp_path):
    (tmp_path / "a.txt").write_text("story", encoding="utf-8")
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "documents.jsonl").write_text('{"text": "old output"}', encoding="utf-8")
    assert [d.id for d in read(tmp_path, exclude=tmp_path / "clean")] == ["a"]


def test_single_file_input(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("story", encoding="utf-8")
    assert [d.id for d in read(path)] == ["one"]


def test_api_dicts():
    docs = list(read_dicts([{"id": 7, "text": "x"}, {"text": "y"}, "nope"]))
    assert docs[0].id == "7"
    assert docs[1].id.startswith("item-") and docs[2].id.startswith("item-")
    assert docs[2].status == REJECTED
    # default ids come from content, not position
    again = list(read_dicts(["nope", {"text": "y"}]))
    assert [d.id for d in again] == [docs[2].id, docs[1].id]


def test_hostile_json_is_rejected_not_raised(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 9_000, encoding="utf-8")
    (tmp_path / "bigint.jsonl").write_text('{"text": "x", "date": ' + "9" * 5000 + "}\n", encoding="utf-8")
    (tmp_path / "empty.json").write_text("[]", encoding="utf-8")
    (tmp_path / "surrogate.jsonl").write_text('{"id": "s\\ud800", "text": "bad \\ud800 char"}\n', encoding="utf-8")
    docs = {d.id: d for d in read(tmp_path)}
    assert "invalid JSON" in docs["deep"].error
    assert "invalid JSON" in docs["bigint:1"].error
    assert docs["empty"].error == "empty JSON list"
    assert docs["s\ufffd"].text == "bad \ufffd char"
    json.dumps([d.to_json() for d in docs.values()], ensure_ascii=False).encode("utf-8")


def test_undecodable_file_name(tmp_path):
    import os

    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / name).write_text("A story about a cafe.", encoding="utf-8")
    (doc,) = read(tmp_path)
    # Its byte as an escape, not U+FFFD: caf\xe8.txt beside it must keep a name of its own
    # (test_user_attacks).
    assert doc.id == "caf\\xe9" and doc.source == "caf\\xe9.txt"


def test_text_is_nfc_normalised(tmp_path):
    (tmp_path / "a.txt").write_text("Cafe\u0301 in Ko\u0308ln", encoding="utf-8")
    assert read(tmp_path)[0].text == "Café in Köln"


def test_jsonl_is_streamed_with_the_limit_per_record(tmp_path):
    rows = [json.dumps({"id": f"n{i}", "text": "x" * 3000}) for i in range(10)]  # 30 KB file, 10 KB limit
    rows.append(json.dumps({"id": "huge", "text": "y" * 20_000}))
    path = tmp_path / "feed.jsonl"
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8") + b'{"id": "latin", "text": "caf\xe9"}\n')
    docs = read(tmp_path)
    assert [d.id for d in docs if d.ok] == [f"n{i}" for i in range(10)]
    assert "record too large" in docs[10].error and docs[10].id == "feed:11"
    assert "not UTF-8" in docs[11].error
    (tmp_path / "feed.jsonl").write_text("\n\n", encoding="utf-8")
    assert read(tmp_path)[0].error == "empty file"
