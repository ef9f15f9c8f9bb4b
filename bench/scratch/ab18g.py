"""par-18g: alternate variants of `cleaner run --workers N` (env settings) and print, a run,
wall, per_document_wall, the workers' idle, and the load. Usage:
    python3 ab18g.py ROUNDS WORKERS name=ENV=VAL[,ENV=VAL] ...   (a bare name: no env)"""
import json, os, re, subprocess, sys, tempfile, time, resource, statistics

rounds, workers = int(sys.argv[1]), sys.argv[2]
variants = []
for spec in sys.argv[3:]:
    name, _, env = spec.partition("=")
    variants.append((name, dict(kv.split("=", 1) for kv in env.split(",") if kv)))
wt = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = {name: [] for name, _ in variants}
for r in range(rounds):
    for name, env in (variants if r % 2 == 0 else variants[::-1]):
        out = tempfile.mkdtemp()
        env = dict(env)
        e = dict(os.environ, PYTHONPATH=env.pop("CHECKOUT", wt), **env)
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cleaner", "run", "/tmp/s15/in.jsonl", "--out", out + "/o", "-q",
                        "--workers", workers], env=e, check=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        s = json.load(open(out + "/o/manifest.json"))["seconds_per_stage"]
        subprocess.run(["rm", "-rf", out])
        vol = after.ru_nvcsw - before.ru_nvcsw
        row = (wall, s["per_document_wall"], cpu, load, vol)
        results[name].append(row)
        print(f"{r} {name:10s} wall {wall:6.2f} per_doc {row[1]:6.2f} cpu {cpu:6.2f} load {load:5.2f} voluntary switches {vol}", flush=True)
for name, rows in results.items():
    cols = list(zip(*rows))
    print(f"{name:10s} median wall {statistics.median(cols[0]):.2f} [{min(cols[0]):.2f}-{max(cols[0]):.2f}] "
          f"per_doc {statistics.median(cols[1]):.2f} [{min(cols[1]):.2f}-{max(cols[1]):.2f}] "
          f"cpu {statistics.median(cols[2]):.2f} [{min(cols[2]):.2f}-{max(cols[2]):.2f}] "
          f"voluntary switches {statistics.median(cols[4]):.0f}")
