#!/usr/bin/env python3
"""The NeFT comparison's figures (RESULTS.md, issue 6), from the JSON files `cimtrain eval` wrote; standard
library + gnuplot.
  plot-neft-comparison.py EVAL_NEFT.json EVAL_CHIP.json OUT.png: mean +- std accuracy of each fine-tuned VGG-8
      under NeFT's device model and on the level-2 chip, as grouped bars;
  plot-neft-comparison.py --sweep SWEEP.json OUT.png: accuracy against NeFT's sigma, one line per model."""
import json
import os
import subprocess
import sys
import tempfile


def rows(path):
    j = json.load(open(path))
    return [(os.path.basename(os.path.dirname(c["checkpoint"])), 100 * c["levels"][0]["mean"],
             100 * c["levels"][0]["std"]) for c in j["checkpoints"]]


def sweep(path, out):
    j = json.load(open(path))
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
        for c in j["checkpoints"]:
            for level in c["levels"]:
                f.write(f'{level["level"]} {100 * level["mean"]:.3f} {100 * level["std"]:.3f}\n')
            f.write("\n\n")
        data = f.name
    names = [os.path.basename(os.path.dirname(c["checkpoint"])) for c in j["checkpoints"]]
    plots = ", ".join(f"'{data}' index {i} using 1:2:3 with yerrorlines lw 2 pt 7 title '{n}'"
                      for i, n in enumerate(names))
    script = f"""
set terminal pngcairo size 900,500
set output '{out}'
set title 'VGG-8 under the NeFT device model {j.get("device", "")} (mean +- std over {j["checkpoints"][0]["levels"][0]["instances"]} draws)'
set xlabel 'NeFT sigma'
set ylabel 'test accuracy (%)'
set grid
set key bottom left
plot {plots}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(data)


def main():
    if sys.argv[1] == "--sweep":
        return sweep(sys.argv[2], sys.argv[3])
    neft, chip, out = sys.argv[1:4]
    a, b = rows(neft), rows(chip)
    if [r[0] for r in a] != [r[0] for r in b]:
        sys.exit("the two evaluations hold different checkpoints")
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
        for (name, m1, s1), (_, m2, s2) in zip(a, b):
            f.write(f'"{name}" {m1:.3f} {s1:.3f} {m2:.3f} {s2:.3f}\n')
        data = f.name
    script = f"""
set terminal pngcairo size 900,500
set output '{out}'
set title 'VGG-8 on CIFAR-10, fine-tuned 150 steps by each method (mean +- std over 5 instances)'
set ylabel 'test accuracy (%)'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.7 border -1
set yrange [40:60]
set grid ytics
set key top left
set xtics rotate by -20
plot '{data}' using 2:3:xtic(1) title 'NeFT model RRAM4, sigma 0.1', '' using 4:5 title 'chip, level 2'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(data)


if __name__ == "__main__":
    main()
