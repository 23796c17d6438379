// Where a training run stands (epoch, batch, step, the epoch's running sums, its time): saved in every
// checkpoint's record under "progress", read back by --resume.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace cimtrain::train {

struct Progress {
  int64_t epoch = 0;          // current epoch
  int64_t batch = 0;          // next batch of that epoch
  int64_t step = 0;           // optimiser steps done
  double epoch_loss_sum = 0;  // over the current epoch's steps so far
  int64_t epoch_correct = 0, epoch_seen = 0;
  double seconds = 0;  // the optimiser steps' time so far, all invocations
  // Wall-clock time so far, all invocations, up to the last checkpoint: the steps, loading the batches,
  // validating, writing checkpoints and each invocation's start-up once the run's task is being built. Counted
  // from step `wall_since_step` (0: from the start; a run checkpointed before this was recorded counts its
  // earlier steps' time only).
  double wall_seconds = 0;
  int64_t wall_since_step = 0;
};

void to_json(nlohmann::json& j, const Progress& p);
// Every field but the wall time is required; a record without the wall time (written before it was kept) reads
// with wall_seconds = seconds and wall_since_step = step.
void from_json(const nlohmann::json& j, Progress& p);

}  // namespace cimtrain::train
