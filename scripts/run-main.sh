#!/usr/bin/env bash
# Installs what is missing, builds cimtrain, and runs the main job: a small CNN on Fashion-MNIST trained
# clean and with the extended STE against the simulated chip (level 2), both then evaluated on Monte-Carlo
# chip instances at noise levels 1, 2 and 3 — the table and the accuracy-vs-level plot show what
# noise-aware training buys. Outputs go to runs/main/ (override with CIMTRAIN_MAIN_OUT).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_missing_packages
build_cimtrain
OUT="${CIMTRAIN_MAIN_OUT:-$ROOT/runs/main}"
CIMTRAIN="$BUILD_DIR/cimtrain"
mkdir -p "$OUT"
set -x
# 1. The float baseline: 2 epochs (about a minute on two cores).
"$CIMTRAIN" train --model small-cnn --data fashion-mnist --mode clean --epochs 2 --lr 0.05 --seed 1 \
  --out "$OUT/clean"
# 2. The same model fine-tuned with the fused STE on a fresh level-2 chip instance per step (about a minute).
"$CIMTRAIN" train --model small-cnn --data fashion-mnist --mode ste --level 2 --epochs 1 --lr 0.01 --seed 1 \
  --init "$OUT/clean/checkpoint.pt" --out "$OUT/ste"
# 3. Both on 5 chip instances per level, each programmed once and reading the whole test set.
"$CIMTRAIN" eval --checkpoint "$OUT/clean/checkpoint.pt,$OUT/ste/checkpoint.pt" --level 1,2,3 --instances 5 \
  --plot "$OUT/accuracy_vs_level.png" "$@"
