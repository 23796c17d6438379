// VGG-8 and VGG-11 (see vgg.h).
#include "models/vgg.h"

#include <ATen/ATen.h>

namespace cimtrain::models {

Vgg::Vgg(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& layout, int64_t pooled,
         const std::vector<int64_t>& hidden)
    : layout_(layout), pooled_(pooled) {
  int64_t c = in_channels;
  for (const int64_t width : layout) {
    if (width == 0) continue;
    const auto i = std::to_string(convs_.size() + 1);
    convs_.push_back(
        register_module("conv" + i, nn::AnalogConv2d(nn::AnalogConv2dOptions(c, width, 3).padding(1).bias(false))));
    norms_.push_back(register_module("bn" + i, torch::nn::BatchNorm2d(width)));
    c = width;
  }
  int64_t features = c * pooled * pooled;
  for (const int64_t width : hidden) {
    fcs_.push_back(register_module("fc" + std::to_string(fcs_.size() + 1), nn::AnalogLinear(features, width)));
    features = width;
  }
  fcs_.push_back(register_module("fc" + std::to_string(fcs_.size() + 1), nn::AnalogLinear(features, num_classes)));
}

at::Tensor Vgg::forward(const at::Tensor& images) {
  auto x = images;
  size_t conv = 0;
  for (const int64_t width : layout_) {
    if (width == 0) {
      x = at::max_pool2d(x, {2, 2});
    } else {
      x = at::relu(norms_[conv]->forward(convs_[conv]->forward(x)));
      ++conv;
    }
  }
  x = at::adaptive_avg_pool2d(x, {pooled_, pooled_}).flatten(1);
  for (size_t i = 0; i + 1 < fcs_.size(); ++i) x = at::relu(fcs_[i]->forward(x));
  return fcs_.back()->forward(x);
}

std::shared_ptr<Vgg> make_vgg8(int64_t in_channels, int64_t num_classes) {
  return std::make_shared<Vgg>(in_channels, num_classes, std::vector<int64_t>{64, 128, 0, 256, 256, 0, 512, 512, 0}, 4,
                               std::vector<int64_t>{1024});
}

std::shared_ptr<Vgg> make_vgg11(int64_t in_channels, int64_t num_classes) {
  return std::make_shared<Vgg>(in_channels, num_classes,
                               std::vector<int64_t>{64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}, 1,
                               std::vector<int64_t>{});
}

}  // namespace cimtrain::models
