// A user's perturbation of the programmed cells (the Python package's custom device models plug in here).
#pragma once

#include <ATen/ATen.h>

#include <functional>

namespace cimtrain::sim {

// Takes the programmed conductances [S, 2, padded_rows, outputs] in uS (after programming noise and stuck cells,
// before drift) and returns the conductances to use instead: same shape, finite and >= 0.
using ConductanceHook = std::function<at::Tensor(const at::Tensor& g_uS)>;

// hook(g), checked and made a contiguous float tensor like g; throws std::invalid_argument for a result of another
// shape, a non-finite or a negative conductance.
at::Tensor apply_conductance_hook(const ConductanceHook& hook, const at::Tensor& g_uS);

}  // namespace cimtrain::sim
