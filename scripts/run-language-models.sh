#!/usr/bin/env bash
# The language-model study of RESULTS.md (issue 5): a character-level GPT and BERT on tiny Shakespeare, each
# trained float ("clean") and with the extended STE on a fresh level-2 chip instance per step (from scratch,
# and fine-tuned from the clean model for 2 epochs, with the same 2 epochs without the chip as control),
# then evaluated on 5 chip instances per level at levels 1, 2, 3 (validation perplexity), and text written by
# each on a level-2 chip and in float. About 90 minutes on two cores. Outputs: runs/lm/ (override with
# CIMTRAIN_LM_OUT); a finished training is not repeated.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_missing_packages
build_cimtrain
OUT="${CIMTRAIN_LM_OUT:-$ROOT/runs/lm}"
CIMTRAIN="$BUILD_DIR/cimtrain"
mkdir -p "$OUT"
set -x
for model in gpt bert; do
  # 1. Training at the language-model defaults (5 epochs of 245 steps, batch 32 windows of 128 characters).
  [ -f "$OUT/$model-clean/checkpoint.pt" ] || "$CIMTRAIN" train --model "$model" --mode clean --out "$OUT/$model-clean"
  [ -f "$OUT/$model-ste/checkpoint.pt" ] ||
    "$CIMTRAIN" train --model "$model" --mode ste --level 2 --out "$OUT/$model-ste"
  # 2. Both on 5 chip instances per level, each programmed and calibrated once, reading the whole validation
  #    text; then what each writes on a level-2 chip instance and in float.
  "$CIMTRAIN" eval --checkpoint "$OUT/$model-clean/checkpoint.pt,$OUT/$model-ste/checkpoint.pt" --level 1,2,3 \
    --instances 5 --plot "$OUT/$model-perplexity_vs_level.png" --json-out "$OUT/$model-eval.json" \
    | tee "$OUT/$model-eval.txt"
  for mode in clean ste; do
    "$CIMTRAIN" generate --checkpoint "$OUT/$model-$mode/checkpoint.pt" --prompt "ROMEO:" --length 300 --level 2 \
      --float --seed 0 | tee "$OUT/$model-$mode-generate.txt"
  done
done
for model in gpt bert; do
  # 3. Fine-tuning the clean model with the STE for 2 epochs, and the control: the same 2 epochs in float.
  [ -f "$OUT/$model-ste-ft/checkpoint.pt" ] ||
    "$CIMTRAIN" train --model "$model" --mode ste --level 2 --epochs 2 --lr 5e-4 \
      --init "$OUT/$model-clean/checkpoint.pt" --out "$OUT/$model-ste-ft"
  [ -f "$OUT/$model-clean-ft/checkpoint.pt" ] ||
    "$CIMTRAIN" train --model "$model" --mode clean --epochs 2 --lr 5e-4 \
      --init "$OUT/$model-clean/checkpoint.pt" --out "$OUT/$model-clean-ft"
done
for model in gpt bert; do
  "$CIMTRAIN" eval --checkpoint "$OUT/$model-clean-ft/checkpoint.pt,$OUT/$model-ste-ft/checkpoint.pt" --level 1,2,3 \
    --instances 5 --plot "$OUT/$model-ft-perplexity_vs_level.png" --json-out "$OUT/$model-ft-eval.json" \
    | tee "$OUT/$model-ft-eval.txt"
  "$CIMTRAIN" generate --checkpoint "$OUT/$model-ste-ft/checkpoint.pt" --prompt "ROMEO:" --length 300 --level 2 \
    --float --seed 0 | tee "$OUT/$model-ste-ft-generate.txt"
done
