"""state-17: what keeping the salient terms (store/state.FROM_TEXT) and the term lines' words in a
canonical's row would add to a state (#16 point 9's 2 KB a document), on a sample of a state's
canonicals (read-only). Usage: SRC=TREE python3 bench/scratch/state17_sizes.py STATE [SAMPLE]"""
import os, sqlite3, sys
sys.path.insert(0, os.environ["SRC"])
from dataclasses import replace
from cleaner.api import get_config
from cleaner.dedup.incremental import _signed
from cleaner.stages.sign import Sign
from cleaner.store.state import State

state = State(sys.argv[1], writer=False)  # a reader: the state is not changed
con, packer = state.db, state.packer
sign = Sign.from_config(get_config(None))
sample = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
docs, n_canon = con.execute("SELECT count(*), sum(text IS NOT NULL) FROM docs").fetchone()
base = terms = lines = names = 0
rows = con.execute("SELECT id, doc, text FROM docs WHERE text IS NOT NULL AND n % ? = 0 LIMIT ?",
                   (max(1, n_canon // sample), sample)).fetchall()
for doc_id, blob, text in rows:
    slim = packer.unpack_doc(blob, doc_id)
    slim.text = packer.unpack_text(text)
    _signed(slim, sign.salient(slim.text, slim.date, slim.title, slim.lang))
    with_terms = packer.pack_doc(replace(slim, features=replace(slim.features, line_words=b"")))
    with_lines = packer.pack_doc(slim)
    names += len(packer.pack_doc(replace(slim, features=replace(slim.features, line_words=b"",
                                                                term_lines=type(slim.features.term_lines)()))))
    base += len(blob); terms += len(with_terms); lines += len(with_lines)
k = len(rows)
print({"documents": docs, "canonicals": n_canon, "sample": k, "slim_row_bytes": round(base / k, 1),
       "with_terms_no_term_lines": round(names / k, 1), "with_terms": round(terms / k, 1), "with_terms_and_line_words": round(lines / k, 1),
       "added_per_document_terms_no_term_lines": round((names - base) / k * n_canon / docs, 1),
       "added_per_document_terms": round((terms - base) / k * n_canon / docs, 1),
       "added_per_document_terms_and_lines": round((lines - base) / k * n_canon / docs, 1)})
