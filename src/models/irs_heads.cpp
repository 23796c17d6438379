// NeFT's IRS auxiliary heads (see irs_heads.h).
#include "models/irs_heads.h"

#include <ATen/ATen.h>

namespace cimtrain::models {

IrsHeadsImpl::IrsHeadsImpl(const std::vector<SnapshotPoint>& points, int64_t num_classes, int64_t hidden)
    : points_(points) {
  TORCH_CHECK(!points.empty(), "IRS heads need at least one snapshot point");
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    const auto name = "head" + std::to_string(i + 1);
    hidden_.push_back(register_module(name + "_fc1", nn::AnalogLinear(p.channels * p.pool * p.pool, hidden)));
    out_.push_back(register_module(name + "_fc2", nn::AnalogLinear(hidden, num_classes)));
  }
}

std::vector<at::Tensor> IrsHeadsImpl::forward(const std::vector<at::Tensor>& snapshots) {
  TORCH_CHECK(snapshots.size() == points_.size(), "IRS heads: ", points_.size(), " heads, ", snapshots.size(),
              " feature maps given");
  std::vector<at::Tensor> logits;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const auto& p = points_[i];
    TORCH_CHECK(snapshots[i].dim() == 4 && snapshots[i].size(1) == p.channels, "IRS head ", i + 1, " (", p.name,
                ") expects feature maps [N, ", p.channels, ", H, W], found ", snapshots[i].sizes());
    const auto pooled = at::adaptive_avg_pool2d(snapshots[i], {p.pool, p.pool}).flatten(1);
    logits.push_back(out_[i]->forward(at::relu(hidden_[i]->forward(pooled))));
  }
  return logits;
}

}  // namespace cimtrain::models
