// The experiments' training runs: cached in their folder (a finished run is reused, an interrupted one
// resumed, a folder holding another config refused with what differs).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "train/train_config.h"

namespace cimtrain::experiments {

enum class RunStatus { kCached, kResumed, kTrained };
std::string to_string(RunStatus status);  // "cached", "resumed", "trained"

// Makes sure `dir` holds the finished training of `config`: nothing is done when it already does; an
// interrupted run there is resumed; otherwise it is trained. A folder that holds another config is refused
// with a message naming the fields that differ (delete it, or choose another --out). Finished means the
// checkpoint says so or, with config.steps > 0, has reached that many steps. Ctrl-C stops the training with a
// checkpoint and throws (the next invocation resumes it).
RunStatus ensure_trained(const train::TrainConfig& config, const std::string& dir);

using train::config_differences;

}  // namespace cimtrain::experiments
