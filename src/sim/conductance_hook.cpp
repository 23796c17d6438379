// The conductance hook's result, checked (see conductance_hook.h).
#include "sim/conductance_hook.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace cimtrain::sim {

at::Tensor apply_conductance_hook(const ConductanceHook& hook, const at::Tensor& g_uS) {
  auto out = hook(g_uS);
  if (!out.defined() || out.sizes() != g_uS.sizes())
    throw std::invalid_argument(fmt::format(
        "the conductance hook must return a tensor of shape [{}] (uS), found {}", fmt::join(g_uS.sizes(), ", "),
        out.defined() ? fmt::format("[{}]", fmt::join(out.sizes(), ", ")) : std::string("none")));
  out = out.to(g_uS.options()).contiguous();
  if (!at::isfinite(out).all().item<bool>() || (out < 0).any().item<bool>())
    throw std::invalid_argument("the conductance hook must return finite conductances >= 0 uS, found min " +
                                std::to_string(out.min().item<double>()) + " uS");
  return out;
}

}  // namespace cimtrain::sim
