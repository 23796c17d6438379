#!/usr/bin/env bash
# The NeFT comparison of RESULTS.md (issue 6): VGG-8 on CIFAR-10 at NeFT's device RRAM4, sigma 0.1. A shortened
# schedule: one float model trained 2 epochs (Adam 1e-3, cosine, batch 128), then fine-tuned for 150 steps
# (the first 19,200 training images once, Adam 5e-4, cosine) by each method: without noise (the control with
# the same extra training), with NeFT's device noise ("trained with noise"), NeFT-OVF, NeFT-IRS, the STE on
# a level-2 chip, and NeFT-IRS on the level-2 chip through the STE. Each is then evaluated on 5 instances of
# NeFT's device model (RRAM4, sigma 0.1, full test set) and 5 chip instances at level 2. About two hours on
# two cores (and 20 minutes for the sigma sweep). Outputs: runs/neft/ (override with CIMTRAIN_NEFT_OUT); a finished training is not repeated.
# CIMTRAIN=path runs that binary instead of building one.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ -z "${CIMTRAIN:-}" ]; then
  install_missing_packages
  build_cimtrain
  CIMTRAIN="$BUILD_DIR/cimtrain"
fi
OUT="${CIMTRAIN_NEFT_OUT:-$ROOT/runs/neft}"
mkdir -p "$OUT"
set -x
COMMON=(--model vgg8 --data cifar10 --optimizer adam --weight-decay 0 --batch 128 --device rram4 --sigma 0.1)
train() {  # name, flags...
  local name="$1"
  shift
  if [ ! -f "$OUT/$name/done" ]; then  # the log: the trainer's lines and the wall time
    /usr/bin/time -f "wall %e s" "$CIMTRAIN" train "${COMMON[@]}" --out "$OUT/$name" "$@" >"$OUT/$name.log" 2>&1
    touch "$OUT/$name/done"
  fi
}
# 1. The float model every method starts from.
train pretrain --mode clean --lr 1e-3 --epochs 2
# 2. The fine-tunings, 150 steps each from the float model.
FT=(--init "$OUT/pretrain/checkpoint.pt" --lr 5e-4 --epochs 1 --subset 19200)
train no-noise "${FT[@]}" --mode clean
train with-noise "${FT[@]}" --mode neft
train neft-irs "${FT[@]}" --method neft-irs
train ste-chip "${FT[@]}" --mode ste --level 2
train neft-ovf "${FT[@]}" --method neft-ovf
train neft-irs-chip "${FT[@]}" --method neft-irs --mode ste --level 2
# 3. Every model under NeFT's device model (RRAM4, sigma 0.1; 5 weight-noise draws, the whole test set) and on
#    5 level-2 chip instances (rram preset, t = 1 h, calibrated on 512 training images; the first 2,000 test
#    images, to fit the time: a chip read of VGG-8 costs about what a training step does). The .log files hold
#    the progress and the wall time.
MODELS=no-noise,with-noise,neft-ovf,neft-irs,ste-chip,neft-irs-chip
CHECKPOINTS=$(echo "$MODELS" | tr ',' '\n' | sed "s|.*|$OUT/&/checkpoint.pt|" | paste -sd,)
/usr/bin/time -f "wall %e s" "$CIMTRAIN" eval --checkpoint "$CHECKPOINTS" --noise neft --device rram4 --sigma 0.1 \
  --instances 5 --plot "$OUT/eval-neft.png" --json-out "$OUT/eval-neft.json" 2>"$OUT/eval-neft.log" |
  tee "$OUT/eval-neft.txt"
/usr/bin/time -f "wall %e s" "$CIMTRAIN" eval --checkpoint "$CHECKPOINTS" --level 2 --instances 5 --limit 2000 \
  --plot "$OUT/eval-chip.png" --json-out "$OUT/eval-chip.json" 2>"$OUT/eval-chip.log" | tee "$OUT/eval-chip.txt"
# 4. The figure: both evaluations as grouped bars (eval's own plot has one x value here).
python3 "$ROOT/scripts/plot-neft-comparison.py" "$OUT/eval-neft.json" "$OUT/eval-chip.json" "$OUT/comparison.png"
# 5. The models trained under NeFT's model across its sigma (the first 5,000 test images, 5 draws per sigma).
SWEEP=$(echo no-noise,with-noise,neft-ovf,neft-irs | tr ',' '\n' | sed "s|.*|$OUT/&/checkpoint.pt|" | paste -sd,)
/usr/bin/time -f "wall %e s" "$CIMTRAIN" eval --checkpoint "$SWEEP" --noise neft --device rram4 \
  --sigma 0.05,0.1,0.15,0.2 --instances 5 --limit 5000 --plot "$OUT/sigma-sweep.png" \
  --json-out "$OUT/sigma-sweep.json" 2>"$OUT/sigma-sweep.log" | tee "$OUT/sigma-sweep.txt"
python3 "$ROOT/scripts/plot-neft-comparison.py" --sweep "$OUT/sigma-sweep.json" "$OUT/sigma-sweep.png"
