#!/usr/bin/env bash
# The cost of running over ranks (issue 20): the same work as one rank with two threads and as two ranks with one
# thread each (cimtrain --ranks 2), interleaved, 3 repeats, medians. Evaluation: a ResNet-20 checkpoint on chip
# instances (the wall time of the whole command). Training: ResNet-20 steps at batch 128 (the per-step time from
# steps.csv, the median over steps 7.., so start-up and data loading do not count). Run it on a quiet machine
# (no training or build beside it). Writes results/bench-distributed/{bench.json,bench.md}.
#   scripts/bench-distributed.sh CHECKPOINT        (a resnet20 checkpoint.pt on cifar10; CIMTRAIN_DATA set)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CIMTRAIN="${CIMTRAIN:-$ROOT/build/cimtrain}"
CK="${1:?usage: scripts/bench-distributed.sh CHECKPOINT}"
OUT="$ROOT/results/bench-distributed"
WORK="$(mktemp -d /tmp/cimtrain-bench-dist-XXXXXX)"
mkdir -p "$OUT"
EVAL="eval --checkpoint $CK --level 1,2 --instances 4 --limit 2000 --calibration 256 --json-out $WORK/e.json --plot $WORK/e.png"
TRAIN="train --model resnet20 --data cifar10 --channels-last --mode ste --level 2 --batch 128 --steps 30 --quiet"
: > "$WORK/rows.txt"
seconds_of() {  # the wall time of a command that must succeed (a failed run is no measurement)
  local t0 t1; t0=$(date +%s.%N)
  "$@" > /dev/null 2>&1 || { echo "bench-distributed: failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N); awk "BEGIN { print $t1 - $t0 }"
}
ranks_of() { /usr/bin/python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['ranks'])" "$1"; }
step_time() {  # the median of the per-step times of steps.csv (column 6: cumulative training seconds), steps 7..
  /usr/bin/python3 -c "
import csv, statistics, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
t = [float(r[5]) for r in rows]
print(statistics.median([b - a for a, b in zip(t[5:], t[6:])]))" "$1/steps.csv"
}
for repeat in 1 2 3; do
  for setup in "--threads 2" "--ranks 2 --threads 2"; do
    name=$([ "$setup" = "--threads 2" ] && echo one-rank-two-threads || echo two-ranks-one-thread)
    expected=$([ "$setup" = "--threads 2" ] && echo 1 || echo 2)
    e=$(seconds_of "$CIMTRAIN" $setup $EVAL)
    [ "$(ranks_of "$WORK/e.json")" = "$expected" ] || { echo "bench-distributed: $name ran on another count of ranks" >&2; exit 1; }
    rm -rf "$WORK/train"
    "$CIMTRAIN" $setup $TRAIN --out "$WORK/train" > /dev/null 2>&1
    s=$(step_time "$WORK/train")
    echo "$name $repeat $e $s" | tee -a "$WORK/rows.txt"
  done
done
/usr/bin/python3 - "$WORK/rows.txt" "$OUT" "$CK" <<'PY'
import json, os, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
out, ck = sys.argv[2], sys.argv[3]
res = {}
for name in ("one-rank-two-threads", "two-ranks-one-thread"):
    mine = [r for r in rows if r[0] == name]
    res[name] = {"eval_seconds": [float(r[2]) for r in mine], "train_step_seconds": [float(r[3]) for r in mine]}
    res[name]["eval_median"] = statistics.median(res[name]["eval_seconds"])
    res[name]["train_step_median"] = statistics.median(res[name]["train_step_seconds"])
one, two = res["one-rank-two-threads"], res["two-ranks-one-thread"]
res["eval_ratio"] = two["eval_median"] / one["eval_median"]
res["train_step_ratio"] = two["train_step_median"] / one["train_step_median"]
res["command"] = "scripts/bench-distributed.sh " + ck
def write_atomically(path, text):  # a reader never sees half a file; a write error stops the script
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
write_atomically(out + "/bench.json", json.dumps(res, indent=2) + "\n")
md = f"""# Two ranks with one thread each against one rank with two threads (same work)

`scripts/bench-distributed.sh {ck}`: medians of 3 interleaved repeats.

| work | one rank, 2 threads | two ranks, 1 thread each | ratio |
|---|---|---|---|
| eval: ResNet-20, levels 1-2 x 4 instances, 2,000 test images (whole command, s) | {one['eval_median']:.2f} | {two['eval_median']:.2f} | {res['eval_ratio']:.3f} |
| train: ResNet-20 STE step at batch 128 (s/step) | {one['train_step_median']:.4f} | {two['train_step_median']:.4f} | {res['train_step_ratio']:.3f} |
"""
write_atomically(out + "/bench.md", md)
print(md)
PY
rm -rf "$WORK"
