#!/bin/bash
# usage: ab.sh ROUNDS OUTFILE
A=/tmp/s17/main-089; B=/work/wt-perdoc18
for r in $(seq 1 $1); do
  for side in A B; do
    if [ $side = A ]; then T=$A; C=/tmp/pd18/cacheA; else T=$B; C=/tmp/pd18/cacheB; fi
    up=$(uptime | sed 's/.*average: //')
    st=$(cd $T && CLEANER_CACHE_DIR=$C PYTHONPATH=$T python3 bench/rules_bench.py --stages 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); c=d['cpu_seconds_per_stage']; print(json.dumps({k:c[k] for k in ('boilerplate','language','signatures','extract','read','cluster')}))")
    echo "{\"round\": $r, \"side\": \"$side\", \"kind\": \"stages\", \"load\": \"$up\", \"t\": \"$(date -u +%H:%M:%S)\", \"cpu\": $st}" >> $2
  done
  for side in A B; do
    if [ $side = A ]; then T=$A; C=/tmp/pd18/cacheA; else T=$B; C=/tmp/pd18/cacheB; fi
    up=$(uptime | sed 's/.*average: //')
    rm -rf /tmp/pd18/out$side
    w=$(cd $T && CLEANER_CACHE_DIR=$C PYTHONPATH=$T /usr/bin/time -f "%e %U %S" python3 -m cleaner run /tmp/s15/in.jsonl --out /tmp/pd18/out$side --workers 1 -q 2>&1 | tail -1)
    echo "{\"round\": $r, \"side\": \"$side\", \"kind\": \"whole\", \"load\": \"$up\", \"t\": \"$(date -u +%H:%M:%S)\", \"time\": \"$w\"}" >> $2
  done
done
