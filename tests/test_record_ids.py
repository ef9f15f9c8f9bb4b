"""Record ids come from content (#16): the same documents get the same record ids through
the API, through the CLI, from another folder, under other document ids, in any order."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from cleaner import clean
from conftest import RAW


def _record_sets(rows):
    """record id -> the texts' first lines of its documents (ids differ between routes)."""
    out = {}
    for r in rows:
        if r["record_id"]:
            out.setdefault(r["record_id"], set()).add(r["text"].split("\n", 1)[0])
    return out


def _cli(folder: Path, out: Path):
    subprocess.run([sys.executable, "-m", "cleaner", "run", str(folder), "--out", str(out), "-q"],
                   check=True, capture_output=True)
    return [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]


def test_same_record_ids_through_api_cli_and_another_folder(tmp_path):
    moved = tmp_path / "elsewhere" / "deeper" / "news"
    shutil.copytree(RAW, moved)
    by_cli = _cli(RAW, tmp_path / "a")
    by_moved = _cli(moved, tmp_path / "b")
    assert {r["id"]: r["record_id"] for r in by_cli} == {r["id"]: r["record_id"] for r in by_moved}
    # The API, with other ids and the items in reverse order.
    items = [{"id": f"other-{i}", "text": r["text"], "title": r["title"], "date": r["date"], "url": r["url"],
              "site": r["site"]} for i, r in enumerate(reversed(by_cli)) if r["status"] != "rejected"]
    by_api = clean(items).documents
    cli_records, api_records = _record_sets(by_cli), _record_sets(by_api)
    assert cli_records and set(api_records) <= set(cli_records)
    for rec, firsts in api_records.items():
        assert firsts <= cli_records[rec]


def test_record_id_is_the_canonicals_content_not_its_id():
    text = "The harbour of Odesa reopened on Monday after three weeks of repairs to the quay walls."
    one = clean([{"id": "a", "text": text}]).records[0]["record_id"]
    two = clean([{"id": "zzz", "text": text.upper() + "  "}]).records[0]["record_id"]
    other = clean([{"id": "a", "text": text.replace("Monday", "Tuesday")}]).records[0]["record_id"]
    assert one == two != other
