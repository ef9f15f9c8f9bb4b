"""Scratch (story-12h, session 18): contextual pair scores on the TUNE half only.
The run-wide similarity of every pair of the half; then scores relative to each document's
neighbourhood (r_k(x) = mean of its k best similarities): within-topic pair AUC (same event
against same topic, other event) and 1-NN purity.
python3 bench/scratch/ctx12h2.py /tmp/s12h2/prep.pkl"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench")); sys.path.insert(0, str(ROOT / "bench" / "scratch"))
import numpy as np  # noqa: E402
import eval12f as E  # noqa: E402
from cluster_bench import is_tune_topic, auc  # noqa: E402
from cleaner.core.config import config_from_dict  # noqa: E402
from cleaner.dedup.stories import doc_weights  # noqa: E402
from cleaner.dedup.term_weights import TermWeights, similarity  # noqa: E402


def matrix(docs, cfg):
    w = doc_weights(docs, TermWeights(cfg["story"]).observe(docs))
    n = len(docs)
    S = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            S[i, j] = S[j, i] = similarity(w[i], w[j])
    return S


if __name__ == "__main__":
    p = E.load(sys.argv[1])
    cfg = config_from_dict()
    gold = p["gold"]
    docs = [d for d in p["ecb"] if d.ok and is_tune_topic(int(d.id.split("/")[0]))]
    S = matrix(docs, cfg)
    np.save("/tmp/s12h2/S_tune.npy", S)
    ev = [gold[d.id] for d in docs]
    top = [e.split("_")[0] for e in ev]
    n = len(docs)
    nn = S.argmax(1)
    print("1-NN same event:", np.mean([ev[i] == ev[nn[i]] for i in range(n)]), "same topic:", np.mean([top[i] == top[nn[i]] for i in range(n)]))
    srt = -np.sort(-S, axis=1)
    def within(M):
        same, other = [], []
        for i in range(n):
            for j in range(i + 1, n):
                if top[i] == top[j]:
                    (same if ev[i] == ev[j] else other).append(M[i, j])
        return auc(same, other)
    print("raw AUC", round(within(S), 4))
    for k in (1, 3, 5, 10):
        r = srt[:, :k].mean(1)
        R = np.sqrt(np.outer(r, r)) + 1e-9
        Rmax = np.maximum.outer(r, r) + 1e-9
        Rmin = np.minimum.outer(r, r) + 1e-9
        out = [f"k{k}", "csls", round(within(2 * S - r[:, None] - r[None, :]), 4)]
        for g in (0.5, 1, 2):
            out += [f"g{g} geo", round(within(S * np.minimum(1, S / R) ** g), 4),
                    "max", round(within(S * np.minimum(1, S / Rmax) ** g), 4),
                    "min", round(within(S * np.minimum(1, S / Rmin) ** g), 4)]
        print(*out)
