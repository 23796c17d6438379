// NeFT's device-variation model (see neft_noise.h).
#include "nn/neft_noise.h"

#include <cmath>
#include <stdexcept>

namespace cimtrain::nn {

const std::vector<NeftDevice>& neft_devices() {
  static const std::vector<NeftDevice> devices = {{"rram1", 1}, {"fefet2", 2}, {"rram4", 4}, {"fefet6", 6}};
  return devices;
}

const NeftDevice& neft_device(const std::string& name) {
  std::string known;
  for (const auto& d : neft_devices()) {
    if (d.name == name) return d;
    known += (known.empty() ? "" : ", ") + d.name;
  }
  throw std::invalid_argument("unknown NeFT device '" + name + "' (known: " + known + ")");
}

double neft_relative_std(double sigma, double s) {
  return sigma / std::sqrt(0.4 * s * s + 0.6) * std::sqrt(4369.0) / 85.0;
}

at::Tensor neft_weight_noise(const at::Tensor& w, double sigma, double s, at::Generator& gen) {
  if (!(sigma >= 0) || !(s >= 1))
    throw std::invalid_argument("NeFT noise needs sigma >= 0 and s >= 1, found sigma " + std::to_string(sigma) +
                                ", s " + std::to_string(s));
  const auto wd = w.detach();
  const double wmax = wd.abs().max().item<double>();
  if (sigma == 0 || wmax == 0) return at::zeros_like(wd);
  const auto ratio = wd.abs() / wmax;
  const auto mid = ratio.gt(0.25).logical_and(ratio.lt(0.75));
  const auto scale = at::where(mid, at::full({}, s, wd.options()), at::full({}, 1.0, wd.options()));
  return at::normal(0.0, neft_relative_std(sigma, s) * wmax, wd.sizes(), gen, wd.options()) * scale;
}

}  // namespace cimtrain::nn
