// VGG-8 and VGG-11 (see vgg.h).
#include "models/vgg.h"

#include <ATen/ATen.h>

namespace cimtrain::models {

Vgg::Vgg(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& layout, int64_t pooled,
         const std::vector<int64_t>& hidden, const std::vector<std::pair<size_t, int64_t>>& snapshots)
    : layout_(layout), pooled_(pooled) {
  int64_t c = in_channels;
  size_t next_snapshot = 0;
  for (size_t li = 0; li < layout.size(); ++li) {
    const int64_t width = layout[li];
    const bool snapshot = next_snapshot < snapshots.size() && snapshots[next_snapshot].first == li;
    if (width == 0) {
      if (snapshot)
        points_.push_back(
            {"after conv" + std::to_string(convs_.size()) + " + pool", c, snapshots[next_snapshot++].second});
      continue;
    }
    const auto i = std::to_string(convs_.size() + 1);
    convs_.push_back(
        register_module("conv" + i, nn::AnalogConv2d(nn::AnalogConv2dOptions(c, width, 3).padding(1).bias(false))));
    norms_.push_back(register_module("bn" + i, torch::nn::BatchNorm2d(width)));
    c = width;
    if (snapshot) points_.push_back({"after conv" + i, c, snapshots[next_snapshot++].second});
  }
  TORCH_CHECK(next_snapshot == snapshots.size(), "Vgg: snapshot points must be layout indices in increasing order");
  for (const auto& [after, pool] : snapshots) snapshot_after_.push_back(after);
  int64_t features = c * pooled * pooled;
  for (const int64_t width : hidden) {
    fcs_.push_back(register_module("fc" + std::to_string(fcs_.size() + 1), nn::AnalogLinear(features, width)));
    features = width;
  }
  fcs_.push_back(register_module("fc" + std::to_string(fcs_.size() + 1), nn::AnalogLinear(features, num_classes)));
}

at::Tensor Vgg::forward(const at::Tensor& images) { return run(images, nullptr); }

at::Tensor Vgg::forward_with_snapshots(const at::Tensor& images, std::vector<at::Tensor>& snapshots) {
  if (points_.empty()) return Classifier::forward_with_snapshots(images, snapshots);
  return run(images, &snapshots);
}

at::Tensor Vgg::run(const at::Tensor& images, std::vector<at::Tensor>* snapshots) {
  auto x = images;
  size_t conv = 0, next_snapshot = 0;
  for (size_t i = 0; i < layout_.size(); ++i) {
    if (layout_[i] == 0) {
      x = at::max_pool2d(x, {2, 2});
    } else {
      x = at::relu(norms_[conv]->forward(convs_[conv]->forward(x)));
      ++conv;
    }
    if (next_snapshot < snapshot_after_.size() && snapshot_after_[next_snapshot] == i) {
      if (snapshots) snapshots->push_back(x);
      ++next_snapshot;
    }
  }
  x = at::adaptive_avg_pool2d(x, {pooled_, pooled_}).flatten(1);
  for (size_t i = 0; i + 1 < fcs_.size(); ++i) x = at::relu(fcs_[i]->forward(x));
  return fcs_.back()->forward(x);
}

std::shared_ptr<Vgg> make_vgg8(int64_t in_channels, int64_t num_classes) {
  // IRS heads (NeFT): after conv1 (layout index 0), conv2 + pool (2), conv4 + pool (5).
  return std::make_shared<Vgg>(in_channels, num_classes, std::vector<int64_t>{64, 128, 0, 256, 256, 0, 512, 512, 0}, 4,
                               std::vector<int64_t>{1024},
                               std::vector<std::pair<size_t, int64_t>>{{0, 6}, {2, 4}, {5, 3}});
}

std::shared_ptr<Vgg> make_vgg11(int64_t in_channels, int64_t num_classes) {
  return std::make_shared<Vgg>(in_channels, num_classes,
                               std::vector<int64_t>{64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}, 1,
                               std::vector<int64_t>{});
}

}  // namespace cimtrain::models
