"""#19 point 6: report.html at scale. A generated run (synthetic records of 1 to 4 members,
not real articles, not the pipeline: the report is all that is measured) is written as
a run writes its report (report.html and its page files in report-pages/), then opened
from disk in Debian's headless Chromium.

Reported per size: seconds to write the report, report.html's bytes, the page files'
count and bytes, seconds until the page has drawn its first 50 records (target < 3 s at
200,000 documents), seconds to open the last record (its page file read on demand), and
seconds to search every text for a word only the last record holds. Without chromium,
chromium-driver or selenium the browser figures are skipped.

    python3 bench/report_bench.py --json bench/results/report.json    # 20k and 200k documents
    python3 bench/report_bench.py --smoke
    python3 bench/report_bench.py --code OLD_CHECKOUT   # the same runs, written by older code
                                                        # (one report.html: its open time only)
    # Two checkouts' pages opened in turn, under the same load:
    python3 bench/report_bench.py --sizes 200000 --code OLD_CHECKOUT --keep /tmp/old
    python3 bench/report_bench.py --sizes 200000 --keep /tmp/new
    python3 bench/report_bench.py --open /tmp/old/r200000/report.html /tmp/new/r200000/report.html

Documents carry about 2,000 characters of text each (TEXT_CHARS), as the 20k-article run
whose report was 38 MB did. Generated data: no setting is tuned here.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# --code: whose cleaner writes the report (read before cleaner is imported).
CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve() if "--code" in sys.argv[:-1] else ROOT
sys.path.insert(0, str(CODE))
sys.path.insert(0, str(ROOT / "bench"))

from results_file import save_json  # noqa: E402

from cleaner.core.document import DUPLICATE, KEPT, Document  # noqa: E402
from cleaner.dedup.cluster import CANONICAL, NEAR, STORY, Member, Record  # noqa: E402

TEXT_CHARS = 2000
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def _text(i: int, k: int, chars: int) -> str:
    lines = [f"Story {i} about topic{i % 50}", f"First paragraph of story {i}.", f"Second paragraph, version {k}."]
    size = sum(map(len, lines))
    while size < chars:
        lines.append(f"Paragraph {len(lines) - 3} of story {i} tells what happened next, in words of its own.")
        size += len(lines[-1])
    return "\n".join(lines + [f"Closing line {i}."])


def _doc(i: int, k: int, text: str = "") -> Document:
    return Document(id=f"doc-{i:05d}-{k}", source=f"site{i % 7}/doc-{i:05d}-{k}.txt",
                    title=f"Story {i} about topic{i % 50}", lang=("en", "de", "fr")[i % 3],
                    date=f"2025-01-{1 + i % 28:02d}", status=KEPT if k == 0 else DUPLICATE, text=text,
                    removed=[{"rule": "promo.newsletter", "category": "promo", "line_no": 3,
                              "text": "Subscribe to our newsletter", "action": "drop"}] if k % 2 else [])


def synthetic_run(n_records: int, text_chars: int = 0) -> tuple[Any, dict[str, Any]]:
    """A finished run's result without running the pipeline: n records of 1 to 4 members
    (2.5 on average: 80,000 records are 200,000 documents). Texts are made when the
    report reads a document (`full`), as a spooled run reads them from disk, so 200,000
    documents of 2 KB do not sit in memory."""
    docs, records = [], []
    for i in range(n_records):
        members = []
        for k in range(1 + i % 4):
            doc = _doc(i, k)
            relation = CANONICAL if k == 0 else (NEAR if k < 3 else STORY)
            members.append(Member(doc, relation, 1.0 if k == 0 else 0.8, shared_terms=["topic"] if k == 3 else None))
            docs.append(doc)
        records.append(Record(members, why="only member" if len(members) == 1 else "lowest_id: synthetic",
                              key=f"synthetic-{i}"))

    def full(doc: Document) -> Document:
        i, k = (int(part) for part in doc.id.split("-")[1:])
        return _doc(i, k, _text(i, k, text_chars))

    counts = {"inputs": len(docs), "kept": n_records, "duplicates": len(docs) - n_records, "rejected": 0,
              "records": n_records}
    result = SimpleNamespace(documents=sorted(docs, key=lambda d: d.id), records=records, full=full)
    return result, {"input": "synthetic", "counts": counts, "languages": {"de": 1, "en": 1, "fr": 1}}


def write_report(folder: Path, result: Any, manifest: dict[str, Any]) -> None:
    """As a run writes it (store/output.py): each file whole, renamed into place at the end."""
    from cleaner.store.output import atomic_write, atomic_writes

    try:
        from cleaner.inspect.report import report_files
    except ImportError:  # older code (--code): one page, the records in it
        from cleaner.inspect.report import render_report  # type: ignore[attr-defined]

        atomic_write(folder / "report.html", render_report(result, manifest))
        return
    atomic_writes((folder / name, chunks) for name, chunks in report_files(result, manifest))


def browser() -> Any:
    """Headless Chromium through Selenium, or None when one of them is missing."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return None
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(300)
    return driver


def _until(driver: Any, condition: Any, timeout: float = 600) -> float:
    from selenium.webdriver.support.ui import WebDriverWait

    start = time.perf_counter()
    WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)
    return time.perf_counter() - start


def open_times(driver: Any, page: Path, last_id: str, query: str) -> dict[str, float]:
    start = time.perf_counter()
    driver.get(page.as_uri())
    _until(driver, lambda d: d.find_element("id", "count").text.strip())
    opened = time.perf_counter() - start
    if not last_id:
        return {"open_seconds": round(opened, 2)}
    # The last record by its address: its page file is read when it opens.
    start = time.perf_counter()
    driver.get(f"{page.as_uri()}#{last_id}")
    _until(driver, lambda d: len(d.find_elements("css selector", f"[id='{last_id}'] details.member")) > 0)
    last = time.perf_counter() - start
    driver.execute_script("""const q = document.getElementById("q"); q.value = arguments[0];
        document.getElementById("texts").checked = true; document.getElementById("texts").dispatchEvent(new Event("change"));""",
                          query)
    search = _until(driver, lambda d: d.find_element("id", "status").text.startswith("texts searched"))
    assert "1–1 of 1 records" in driver.find_element("id", "count").text, driver.find_element("id", "count").text
    return {"open_seconds": round(opened, 2), "open_last_record_seconds": round(last, 2),
            "search_texts_seconds": round(search, 2)}


def measure(documents: int, driver: Any, scratch: Path, keep: bool = False) -> dict[str, Any]:
    n_records = documents * 2 // 5
    result, manifest = synthetic_run(n_records, TEXT_CHARS)
    folder = scratch / f"r{documents}"
    folder.mkdir()
    start = time.perf_counter()
    write_report(folder, result, manifest)
    row: dict[str, Any] = {"documents": len(result.documents), "records": n_records,
                           "write_seconds": round(time.perf_counter() - start, 2)}
    pages = sorted((folder / "report-pages").iterdir()) if (folder / "report-pages").exists() else []
    row.update(report_html_bytes=(folder / "report.html").stat().st_size, page_files=len(pages),
               page_bytes=sum(p.stat().st_size for p in pages))
    if driver is not None and not pages:
        row.update(open_seconds=open_times(driver, folder / "report.html", "", "")["open_seconds"])
    elif driver is not None:
        # Words the last record alone holds, "paragraph" in its texts only (not in the index):
        # the search reads every page file before it finds it.
        row.update(open_times(driver, folder / "report.html", result.records[-1].record_id,
                              f"paragraph doc-{n_records - 1:05d}-"))
    if not keep:
        shutil.rmtree(folder)
    return row


def alternate(driver: Any, pages: list[Path], rounds: int) -> None:
    """Open each page in turn, `rounds` times (after about:blank): pages written by two
    checkouts (--keep), compared under the same load."""
    for n in range(rounds):
        for page in pages:
            driver.get("about:blank")
            start = time.perf_counter()
            driver.get(page.resolve().as_uri())
            _until(driver, lambda d: d.find_element("id", "count").text.strip())
            print(f"round {n + 1} {page} open_seconds={time.perf_counter() - start:.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20000,200000", help="documents, comma-separated")
    ap.add_argument("--smoke", action="store_true", help="500 documents: the bench still runs")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--code", type=Path, help="a checkout whose cleaner writes the report (default: this one)")
    ap.add_argument("--keep", type=Path, help="write the reports into this folder (r<documents>/) and keep them")
    ap.add_argument("--open", type=Path, nargs="+", metavar="PAGE", help="only open these pages in turn (--rounds)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    sizes = [500] if args.smoke else [int(s) for s in args.sizes.split(",")]
    driver = browser()
    if driver is None:
        print("browser figures: skipped (needs /usr/bin/chromium, chromedriver and selenium)")
    if args.open:
        if driver is not None:
            try:
                alternate(driver, args.open, args.rounds)
            finally:
                driver.quit()
        return
    import cleaner

    print(f"cleaner from {Path(cleaner.__file__).parent}")
    results: dict[str, Any] = {"text_chars": TEXT_CHARS, "sizes": []}
    try:
        with tempfile.TemporaryDirectory(prefix="report-bench-") as scratch:
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
            for size in sizes:
                row = measure(size, driver, args.keep or Path(scratch), keep=bool(args.keep))
                print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
                results["sizes"].append(row)
    finally:
        if driver is not None:
            driver.quit()
    if args.json:
        save_json(args.json, results)


if __name__ == "__main__":
    main()
