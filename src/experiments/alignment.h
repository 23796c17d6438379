// `cimtrain experiment alignment`: the paper's gradient analysis (its eqs. 10-12). On one training batch of a
// model (trained weights from a checkpoint, or a fresh initialisation), each analog layer's weight gradient under
// the extended STE is set against the gradient through the simulator on the same chip instance, at each noise
// level (eval::gradient_alignment); the measured mean cosine is checked against the paper's prediction
// |g| / sqrt(|g|^2 + |delta|^2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cimtrain::experiments {

struct AlignmentOptions {
  std::string model = "resnet20";
  std::string checkpoint;        // trained weights (its model and data); "": a fresh initialisation of --model
  std::string data = "cifar10";  // vision models without a checkpoint
  std::optional<int64_t> batch;  // unset: the model's usual
  std::vector<double> levels = {1, 2, 3};
  int samples = 8;  // chip instances (noise samples) per level
  std::string preset = "rram";
  uint64_t seed = 0;
  std::string out = "results/alignment";
};

// Runs the experiment (cached, resumable) and writes its report into o.out.
void run_alignment(const AlignmentOptions& o);

}  // namespace cimtrain::experiments
