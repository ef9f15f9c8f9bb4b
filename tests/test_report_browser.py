"""report.html in a real browser: Debian's headless Chromium driven by Selenium.

Without chromium, chromium-driver or selenium these tests skip, unless
CLEANER_REQUIRE_BROWSER=1 (CI sets it), when they fail: a CI that silently skipped the
only check of the page's script would be worse than none.
"""

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RAW, ROOT, run_raw_cli

sys.path.insert(0, str(ROOT / "bench"))
from report_bench import synthetic_run, write_report  # type: ignore[import-not-found, unused-ignore]  # noqa: E402

from cleaner.core.config import Config  # noqa: E402

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 1280, 1000
SLOW = 20  # seconds: far above what a usable page takes, so a loaded machine does not flake
OPEN_TARGET = 3  # seconds: #19, a run of 200,000 documents opens from disk in under 3 s


def _missing() -> str | None:
    for module in ("selenium", "PIL"):
        try:
            __import__(module)
        except ImportError:
            return f"Python package {module} is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing (apt-get install {package})"
    return None


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:  # Any: selenium is imported only when the browser is there
    missing = _missing()
    if missing:
        if os.environ.get("CLEANER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CLEANER_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    # Both paths given: Selenium Manager has nothing to look up or download.
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(120)
    yield browser
    browser.quit()


def load(driver: Any, page: Path) -> float:
    """Open the page; seconds until its first page of records is drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop what earlier pages logged
    start = time.perf_counter()
    driver.get(page.as_uri())
    WebDriverWait(driver, 60).until(lambda d: d.find_element("id", "count").text.strip())
    return time.perf_counter() - start


def severe_logs(driver: Any) -> list[dict[str, Any]]:
    logs: list[dict[str, Any]] = driver.get_log("browser")
    return [e for e in logs if e["level"] == "SEVERE"]


def wait_for(driver: Any, condition: Callable[[Any], Any], timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def open_details(driver: Any, details: Any) -> None:
    summary = details.find_element("xpath", "./summary")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    # The contents are drawn by the toggle event, which comes after the open attribute.
    wait_for(driver, lambda d: len(details.find_elements("xpath", "./*")) > 1)


def member(record: Any, doc_id: str) -> Any:
    return next(m for m in record.find_elements("css selector", "details.member")
                if doc_id in m.find_element("xpath", "./summary").text)


def type_into(driver: Any, element_id: str, text: str) -> None:
    """Replace a field's value as a person does (WebDriver's clear() sends no input event)."""
    from selenium.webdriver.common.keys import Keys

    driver.find_element("id", element_id).send_keys(Keys.CONTROL, "a", Keys.NULL, Keys.BACKSPACE, text)


def fold(details: Any, label: str) -> Any:
    return next(f for f in details.find_elements("xpath", "./details")
                if f.find_element("xpath", "./summary").text.startswith(label))


@pytest.fixture(scope="module")
def raw_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_raw_cli(tmp_path_factory.mktemp("browser") / "out")


def test_search_open_a_record_and_diff_a_near_member(driver: Any, raw_report: Path, tmp_path: Path) -> None:
    from PIL import Image

    records = [json.loads(line) for line in (raw_report / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    odesa = next(r for r in records if r["canonical_id"] == "wires/odesa-strike-wire")
    load(driver, raw_report / "report.html")
    assert "of 14 records" in driver.find_element("id", "count").text

    type_into(driver, "q", "Odesa")
    wait_for(driver, lambda d: "of 14 records" not in d.find_element("id", "count").text)
    shown = [d.get_attribute("id") for d in driver.find_elements("css selector", "details.record")]
    assert odesa["record_id"] in shown and len(shown) < 14

    record = driver.find_element("id", odesa["record_id"])
    open_details(driver, record)
    text = record.text
    for m in odesa["members"][1:]:
        assert f"{m['relation']} {m['similarity']:.3f} {m['id']}" in text
    assert {m["relation"] for m in odesa["members"]} == {"canonical", "near", "story"}
    assert "meta.date-prefix" in text and "credit.slash-agency" in text  # rule ids of the canonical

    story = member(record, odesa["members"][2]["id"])
    open_details(driver, story)
    heaviest = odesa["members"][2]["term_evidence"][0]
    assert f"{heaviest['term']} (weight {heaviest['weight']:g}): {heaviest['from']}" in story.text

    canonical = member(record, "wires/odesa-strike-wire")
    open_details(driver, canonical)
    removed = [e.text for e in canonical.find_elements("css selector", ".removed")]
    assert "© 2025 Meridian News Agency. All rights reserved." in removed

    near = member(record, "syndicated/odesa-strike-partner")
    open_details(driver, near)
    assert "nav.language-picker" in near.text and "shingle Jaccard" in near.text
    diff = fold(near, "Differences from the canonical")
    open_details(driver, diff)
    added = [e.text for e in diff.find_elements("css selector", ".diff .add")]
    deleted = [e.text for e in diff.find_elements("css selector", ".diff .del")]
    assert any("killing 7 people" in line for line in added)
    assert any("killing seven people" in line for line in deleted)
    assert diff.find_elements("css selector", ".diff .same")
    driver.execute_script("arguments[0].scrollIntoView()", diff)

    png = driver.get_screenshot_as_png()
    (tmp_path / "report.png").write_bytes(png)
    image = Image.open(io.BytesIO(png))
    image.load()
    ratio = driver.execute_script("return window.devicePixelRatio")
    size = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert image.format == "PNG" and image.size == (round(size[0] * ratio), round(size[1] * ratio))
    assert image.width == WIDTH and image.height > HEIGHT // 2
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20, "screenshot is (almost) one colour"

    driver.get(f"{(raw_report / 'report.html').as_uri()}#{odesa['record_id']}")  # the largest-records links
    wait_for(driver, lambda d: d.find_element("id", odesa["record_id"]).get_attribute("open") is not None)
    assert "1–1 of 1 records" in driver.find_element("id", "count").text
    assert severe_logs(driver) == []


def test_a_malformed_escape_in_the_address_is_no_error(driver: Any, raw_report: Path) -> None:
    driver.get_log("browser")
    driver.get(f"{(raw_report / 'report.html').as_uri()}#%E0%A4%A")  # issue #13: threw URIError
    wait_for(driver, lambda d: d.find_element("id", "count").text.strip())
    assert severe_logs(driver) == []
    assert "records" in driver.find_element("id", "count").text


def test_hostile_strings_stay_text_in_the_browser(driver: Any, tmp_path: Path, cfg: Config) -> None:
    from cleaner.store.output import build_manifest
    from cleaner.exec.flow import run_documents
    from cleaner.input.read import read_dicts

    attack = "<img src=x onerror='window.pwned=1'></script><script>window.pwned=2</script>"
    result = run_documents(read_dicts([{"id": attack, "title": attack, "url": "javascript:window.pwned=3",
                                        "text": f"A line long enough to be kept as a sentence of news.\n{attack}"}]), cfg)
    write_report(tmp_path, result, build_manifest(result, cfg, attack, 1))
    load(driver, tmp_path / "report.html")
    record = driver.find_element("css selector", "details.record")
    open_details(driver, record)
    canonical = driver.find_element("css selector", "details.member")
    open_details(driver, canonical)
    open_details(driver, fold(canonical, "Text"))
    assert attack in record.text and "javascript:window.pwned=3" in record.text
    assert driver.execute_script("return window.pwned") is None
    assert not driver.find_elements("css selector", "img")
    assert severe_logs(driver) == []


def test_texts_are_searched_page_file_after_page_file(driver: Any, raw_report: Path) -> None:
    """A word only texts hold: the index alone does not find it; with "texts too" the
    page files are read and the records whose texts hold it are listed."""
    from selenium.webdriver.support.ui import Select

    docs = [json.loads(line) for line in (raw_report / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    word = "millionen"
    assert not any(word in (d.get("title") or "").lower() + d["id"].lower() + d["source"].lower() for d in docs)
    holding = {d["record_id"] for d in docs if d["record_id"] and word in (d["text"] + (d["url"] or "")).lower()}
    assert holding
    load(driver, raw_report / "report.html")
    type_into(driver, "q", word)
    wait_for(driver, lambda d: "no records match" in d.find_element("id", "count").text)
    driver.find_element("id", "texts").click()
    wait_for(driver, lambda d: d.find_element("id", "status").text.startswith("texts searched"))
    assert f"of {len(holding)} records" in driver.find_element("id", "count").text
    assert {d.get_attribute("id") for d in driver.find_elements("css selector", "details.record")} == holding
    Select(driver.find_element("id", "sort")).select_by_visible_text("size")  # a new search: same records
    wait_for(driver, lambda d: d.find_element("id", "status").text.startswith("texts searched"))
    assert {d.get_attribute("id") for d in driver.find_elements("css selector", "details.record")} == holding
    assert severe_logs(driver) == []


def test_a_right_to_left_title_keeps_the_line_in_reading_order(driver: Any, raw_report: Path) -> None:
    """raw/'s Arabic record: its summary line reads "title — 1 member(s) · ar ·". Without
    isolating the title, the browser's bidi algorithm drew "— 1" to the left of the Arabic
    title (the count looked like part of it, "1 — دبي ... member(s)"). Same for a member's
    Arabic id, source and title (newuser-18)."""
    docs = [json.loads(line) for line in (raw_report / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    arabic = next(d for d in docs if d["lang"] == "ar")
    load(driver, raw_report / "report.html")
    record = driver.find_element("id", arabic["record_id"])
    # x of the title and of the count's digit (the first digit of the text after the title)
    title_box, digit_left = driver.execute_script("""
        const b = arguments[0].querySelector('summary > b'), t = b.nextSibling;
        const k = t.textContent.search(/[0-9]/), r = document.createRange();
        r.setStart(t, k); r.setEnd(t, k + 1);
        const box = b.getBoundingClientRect();
        return [[box.left, box.right], r.getBoundingClientRect().left];""", record)
    assert digit_left >= title_box[1] - 1, (title_box, digit_left)
    open_details(driver, record)
    canonical = record.find_element("css selector", "details.member")
    open_details(driver, canonical)
    for text in (arabic["title"], arabic["id"], arabic["source"]):
        assert driver.execute_script(
            "return [...arguments[0].querySelectorAll('bdi')].some((e) => e.textContent === arguments[1])",
            canonical, text), text


def test_a_missing_page_file_says_where_to_read_the_record(driver: Any, tmp_path: Path) -> None:
    result, manifest = synthetic_run(3)
    write_report(tmp_path, result, manifest)
    (tmp_path / "report-pages" / "00000.js").unlink()  # report.html copied without its folder
    load(driver, tmp_path / "report.html")
    record = driver.find_element("id", result.records[1].record_id)
    open_details(driver, record)
    assert ("This record is in report-pages/00000.js, which could not be read: keep the report-pages folder "
            f"beside this page. One document at a time: cleaner show {tmp_path} doc-00001-0") in record.text
    assert [e["message"] for e in severe_logs(driver) if "00000.js" not in e["message"]] == []


def _count(driver: Any) -> str:
    return str(driver.find_element("id", "count").text)


def test_two_hundred_thousand_documents_open_quickly(driver: Any, tmp_path: Path) -> None:
    n_records = 80_000  # 1 to 4 members each: 200,000 documents
    result, manifest = synthetic_run(n_records)
    assert len(result.documents) == 200_000
    write_report(tmp_path, result, manifest)
    page = tmp_path / "report.html"
    # The best of two opens: the first also starts the browser's disk cache and compiler.
    seconds = [load(driver, page) for _ in range(2)]
    assert min(seconds) < OPEN_TARGET, f"first page of 200,000 documents drawn after {seconds} s"
    assert f"1–50 of {n_records} records" in _count(driver)
    assert len(driver.find_elements("css selector", "details.record")) == 50
    assert driver.execute_script("return document.getElementsByTagName('*').length") < 2000
    assert severe_logs(driver) == []

    driver.find_element("id", "next").click()
    assert f"51–100 of {n_records}" in _count(driver)

    start = time.perf_counter()
    type_into(driver, "q", "DOC-79875-2")  # a member's id, in the index: no page file is read
    wait_for(driver, lambda d: "of 1 records" in _count(d))
    assert time.perf_counter() - start < SLOW
    record = driver.find_element("css selector", "details.record")
    assert "Story 79875 about" in record.text
    open_details(driver, record)  # its page file, the last, read now
    near = member(record, "doc-79875-2")
    open_details(driver, near)
    open_details(driver, fold(near, "Text"))
    assert "Second paragraph, version 2." in near.text

    from selenium.webdriver.support.ui import Select

    def expected(rel: str = "", size: int = 1, lang: str = "", src: str = "") -> int:
        return sum(1 for i in range(n_records) if 1 + i % 4 >= size and (not rel or i % 4 >= 1)
                   and (not lang or ("en", "de", "fr")[i % 3] == lang) and (not src or i % 7 == 3))

    type_into(driver, "q", "")
    Select(driver.find_element("id", "rel")).select_by_visible_text("near")
    wait_for(driver, lambda d: f"of {expected(rel='near')} records" in _count(d))
    type_into(driver, "size", "4")
    wait_for(driver, lambda d: f"of {expected(rel='near', size=4)} records" in _count(d))
    Select(driver.find_element("id", "lang")).select_by_visible_text("de")
    type_into(driver, "src", "site3/")
    wait_for(driver, lambda d: f" of {expected('near', 4, 'de', 'site3/')} records" in _count(d))
    assert severe_logs(driver) == []
