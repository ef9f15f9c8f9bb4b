"""Session 28 (lead, state-28): set a state copy's meta 'terms' to what CHECKOUT's code gives
(dedup/incremental.terms_settings: the code's fingerprint), so that the copy's kept salient
terms are used by that checkout's probe rather than dropped and signed again (a state built
by one commit, probed by another). For A/Bs of two checkouts on copies of one state
(`state23_ab.py`, `state16c_ident.py`); never on a state a user keeps.

    python3 bench/scratch/state28_setmeta.py CHECKOUT STATE_COPY
"""
import sqlite3
import sys

src, db = sys.argv[1], sys.argv[2]
sys.path.insert(0, src)
from cleaner.api import get_config  # noqa: E402
from cleaner.dedup.incremental import terms_settings  # noqa: E402

value = terms_settings(get_config(None))
con = sqlite3.connect(db)
old = con.execute("SELECT value FROM meta WHERE key = 'terms'").fetchone()
con.execute("INSERT OR REPLACE INTO meta VALUES ('terms', ?)", (value,))
con.commit()
con.close()
print("terms meta:", "same" if old and old[0] == value else "changed")
