# python3 bench/scratch/sign18f_zh.py CHECKOUT   (alternate a main export and the branch)
"""sign-18f: re-shingling Chinese texts (full-width punctuation: every line needs NFKC), as the
copy tier re-shingles restored canonicals (#16): shingle_set with a cleared scan cache."""
import sys, time, random, statistics
sys.path.insert(0, sys.argv[1])
from cleaner.dedup.shingles import shingle_set
from cleaner.dedup.signatures import _scan, token_hashes
from cleaner.core.text import is_unspaced
random.seed(3)
han = [chr(c) for c in range(0x4e00, 0x4e00 + 3000)]
punct = "，。、：；！？（）"
def zh(n):
    out = []
    for _ in range(n):
        out.append("".join(random.choice(han) for _ in range(random.randint(5, 15))) + random.choice(punct))
        if random.random() < 0.1: out.append("\n")
    return "".join(out)
texts = [zh(random.randint(20, 200)) for _ in range(2000)]
token_hashes("")
xs = []
for _ in range(5):
    t0 = time.process_time(); [(shingle_set(t, 3, 3), _scan.cache_clear()) for t in texts]; xs.append(time.process_time() - t0)
ys = []
for _ in range(5):
    t0 = time.process_time(); [is_unspaced(t) for t in texts]; ys.append(time.process_time() - t0)
print(sys.argv[1], "shingle_set", round(statistics.median(xs) / len(texts) * 1e6, 1), "us/text; is_unspaced", round(statistics.median(ys) / len(texts) * 1e6, 1))
