"""state-18: what reading the copy tier's candidates costs, by part (the SQL, the member tuple, the slim
document, the text), for N random groups of a state copy. Usage: SRC=TREE python3 state18_read.py STATE_COPY N"""
import os, random, sys, time
sys.path.insert(0, os.environ["SRC"])
from cleaner.store.state import State, _LIST, _list

from cleaner.dedup.incremental import state_settings
from cleaner.api import get_config
st = State(sys.argv[1], state_settings(get_config(None)))
(ng,) = st.db.execute("SELECT count(*) FROM groups").fetchone()
groups = sorted(random.Random(1).sample(range(ng), int(sys.argv[2])))
t = {k: 0.0 for k in ("sql", "member", "doc", "text")}
for i in range(0, len(groups), 16):
    part = groups[i:i + 16]
    c = time.process_time()
    rows = st.db.execute("SELECT groups.g, groups.key, docs.n, docs.id, docs.member, docs.doc, docs.text FROM groups "
                         f"JOIN docs ON docs.n = groups.canonical WHERE groups.g IN {_LIST}", (_list(part),)).fetchall()
    t["sql"] += time.process_time() - c
    for g, key, n, doc_id, member, doc, text in rows:
        c = time.process_time(); st.packer.unpack(member); t["member"] += time.process_time() - c
        c = time.process_time(); st.packer.unpack_doc(doc, doc_id); t["doc"] += time.process_time() - c
        c = time.process_time(); st.packer.unpack_text(text); t["text"] += time.process_time() - c
print({k: round(v, 3) for k, v in t.items()})
