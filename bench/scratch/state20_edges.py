"""state-20: the story tier's clusters and edges for the probe batch into a copy of STATE (the
`story_links` answer of the state path, workers 2: its edges as step 2 measured them), as hashes:
sha1 of each (pair, float64 bytes) in pair order, and of the clusters. Compare two trees' lines.
Usage: python3 bench/scratch/state20_edges.py TREE STATE PROBE TMPDIR"""
import hashlib, os, runpy, struct, sys
tree, state, probe, tmp = sys.argv[1:5]
sys.path.insert(0, tree)
from cleaner.dedup import cluster  # noqa: E402
links = cluster.story_links
def hashed(*args, **kwargs):
    found = links(*args, **kwargs)
    clusters, edges = found[0], found[1]
    digest = hashlib.sha1()
    for pair in sorted(edges):
        digest.update(repr(pair).encode() + struct.pack("<d", edges[pair]))
    print(f"EDGES {tree}: {len(edges)} edges {digest.hexdigest()[:12]}, clusters "
          f"{hashlib.sha1(repr(clusters).encode()).hexdigest()[:12]}", file=sys.stderr)
    return found
cluster.story_links = hashed
sys.argv = ["state20_probe.py", tree, state, probe, tmp]
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "state20_probe.py"), run_name="__main__")
