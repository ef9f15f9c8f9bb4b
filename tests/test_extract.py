from cleaner.core.document import REJECTED, Document
from cleaner.stages.extract import Extract

PAGE = """<html><head><title>Port strike | Example Daily</title>
<meta name="date" content="2025-12-20"><link rel="canonical" href="https://daily.example/odesa">
<meta property="og:site_name" content="Example Daily"><meta name="author" content="Mira Tkachenko"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Port strike leaves seven dead</h1>
<p>A missile strike on the port killed seven people early on Saturday, the regional governor said in a statement.</p>
<p>Twenty-three people were wounded and a grain terminal burned for several hours before firefighters put it out.</p>
</article><footer>Contact | Imprint</footer></body></html>"""


def test_html_gives_text_and_metadata():
    doc = Extract().process(Document(id="d", source="d.html", html=PAGE))
    assert doc.html is None
    assert "A missile strike on the port killed seven people" in doc.text
    assert "Twenty-three people were wounded" in doc.text
    assert "Home" not in doc.text and "Imprint" not in doc.text
    assert doc.title == "Port strike leaves seven dead"
    assert doc.date == "2025-12-20" and doc.url == "https://daily.example/odesa"
    assert doc.site == "Example Daily"
    assert doc.meta["date"].startswith("html metadata")
    # The page's byline metadata fills the author field, and says where it came from.
    assert doc.author == "Mira Tkachenko" and doc.meta["author"] == "html metadata (author)"


def test_input_metadata_wins_over_page_metadata():
    doc = Extract().process(Document(id="d", source="<api>", html=PAGE, title="Given title", date="2025-12-21",
                                     author="Given Author"))
    assert doc.title == "Given title" and doc.date == "2025-12-21"
    assert doc.author == "Given Author" and "author" not in doc.meta


def test_page_without_text_is_rejected():
    doc = Extract().process(Document(id="d", source="d.html", html="<html><head><title>t</title></head><body><div></div></body></html>"))
    assert doc.status == REJECTED and "no main text" in doc.error


def test_plain_text_passes_through():
    doc = Document(id="t", source="t.txt", text="plain")
    assert Extract().process(doc).text == "plain"


def test_what_extraction_leaves_out_is_audited_with_source_lines():
    doc = Extract().process(Document(id="d", source="d.html", html=PAGE))
    dropped = {r["text"]: r for r in doc.removed}
    assert set(dropped) == {"Home World", "Contact | Imprint"}
    assert dropped["Home World"]["rule"] == "extract.trafilatura"
    assert dropped["Home World"]["line_no"] == 4 and dropped["Contact | Imprint"]["line_no"] == 8


def test_a_repeated_block_kept_once_is_listed_once_as_dropped():
    from cleaner.stages.extract import dropped_blocks, page_blocks

    blocks = page_blocks("<html><body><nav>Pick a language</nav><article><p>Pick a language</p></article></body></html>")
    assert [r["text"] for r in dropped_blocks(blocks, "Pick a language")] == ["Pick a language"]
    assert dropped_blocks(blocks, "Pick a language\nPick a language") == []


def test_link_density_of_blocks():
    from cleaner.stages.extract import page_blocks

    blocks = page_blocks("<html><body><p><a href='/x'>Grain exports resume</a></p>"
                         "<p>Officials said <a href='/y'>more</a> ships sailed.</p></body></html>")
    assert [b.link_density for b in blocks] == [1.0, 0.138]


def test_xhtml_declaration_and_mixed_content_are_audited():
    from cleaner.stages.extract import dropped_blocks, page_blocks

    html = ('<?xml version="1.0" encoding="utf-8"?>\n<html><body><span>Subscribe now</span>'
            "<div>We use cookies on this site<div>Home</div></div><article><p>Story text.</p></article></body></html>")
    texts = [r["text"] for r in dropped_blocks(page_blocks(html), "Story text.")]
    assert texts == ["Subscribe now", "We use cookies on this site", "Home"]


def test_the_page_is_parsed_once(monkeypatch):
    """Extraction and the audit's page blocks read one parse of the page (#13: lxml's cost
    on hostile markup was paid about four times). trafilatura's readability fallback still
    parses readability's summary, a fragment of the page: not counted."""
    import trafilatura.utils

    from cleaner.core.document import Document
    from cleaner.stages.extract import Extract

    import lxml.html

    calls = []
    depth = [0]

    def counted(real):
        def parse(page, *a, **k):
            if not depth[0]:  # lxml.html.fromstring calls document_fromstring: one parse
                calls.append(len(page))
            depth[0] += 1
            try:
                return real(page, *a, **k)
            finally:
                depth[0] -= 1
        return parse

    # Every parser entry point, under each name it is imported as.
    for module, name in ((trafilatura.utils, "fromstring"), (lxml.html, "fromstring"),
                         (lxml.html, "document_fromstring")):
        monkeypatch.setattr(module, name, counted(getattr(module, name)))
    body = "".join(f"<p>Paragraph {i} of the harbour report says the ferries run again from the east pier.</p>"
                   for i in range(12))
    html = f"<html><head><title>Ferries</title></head><body><nav><a href='/'>Home</a></nav><article>{body}</article></body></html>"
    doc = Extract().process(Document(id="p", source="p", html=html))
    assert doc.ok and "east pier" in doc.text
    assert any(r.get("text") == "Home" for r in doc.removed)  # the audit still sees the page's blocks
    assert len([n for n in calls if n >= len(html)]) == 1, calls
