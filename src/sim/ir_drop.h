// IR drop on the word and bit lines of a resistive crossbar tile: a fast first-order conductance
// correction (training) and an exact iterative solver of the resistive network (validation, high fidelity).
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/choice.h"
#include "common/errors.h"

namespace cimtrain::sim {

enum class IrDropMode { kOff, kFast, kExact };
CIMTRAIN_CHOICE(IrDropMode, "ir_drop.mode", {IrDropMode::kOff, "off"}, {IrDropMode::kFast, "fast"},
                {IrDropMode::kExact, "exact"})

// Wire model: word line j is driven at its left end (before column 0) with V[j]; bit line k is held at
// 0 V by a virtual-ground sense amplifier at its bottom end (after row R-1). Every wire segment between
// two neighbouring cells, between the driver and cell 0 and between cell R-1 and the sense amplifier
// has resistance r_wire_ohm.
struct IrDropConfig {
  IrDropMode mode = IrDropMode::kFast;  // off | fast (first-order factors) | exact (nodal solver)
  double r_wire_ohm = 1.0;              // resistance of one cell-to-cell wire segment, ohms
  double solver_tolerance = 1e-9;       // exact solver: stop when max relative change of node voltages < this
  int solver_max_iterations = 10000;    // exact solver: give up (throw) after this many line-relaxation sweeps

  void validate() const;
  bool enabled() const { return mode != IrDropMode::kOff && r_wire_ohm > 0; }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IrDropConfig, mode, r_wire_ohm, solver_tolerance, solver_max_iterations)

// First-order IR-drop factors F [T,R,C] (dimensionless, >= 0, input dtype) for conductances G_uS
// [T,R,C] in uS: out[k] ~= sum_j V[j] G[j,k] F[j,k] for any input vector V, exact to first order in
// r_wire. F = 1 / (1 + r_wire * 1e-6 * (A + B)) with A (word line) and B (bit line) sums of
// conductances in uS (derived in ir_drop.cpp). O(T*R*C) via cumulative sums. The chip's hot path computes the
// same factors inside read_operands_fast (read_operands.h), tested against this.
at::Tensor ir_drop_fast_factors(const at::Tensor& G_uS, double r_wire_ohm);

// The same factors from O(R^2 C + R C^2) matrix products; a slow reference for tests only.
at::Tensor ir_drop_fast_factors_reference(const at::Tensor& G_uS, double r_wire_ohm);

// What the exact solver did (optional output of solve_crossbar_currents).
struct CrossbarSolveInfo {
  int iterations = 0;                // line-relaxation sweeps (one sweep = all word lines + all bit lines)
  double max_relative_change = 0.0;  // of the node voltages in the last sweep, dimensionless
  double omega = 1.0;                // over-relaxation factor used after the warm-up sweeps
};

// Exact sense-amplifier currents [T,B,C] in uA of the full resistive network for conductances G_uS
// [T,R,C] in uS and word-line drive voltages V_volts [T,B,R] in volts. Uses cfg.r_wire_ohm,
// cfg.solver_tolerance and cfg.solver_max_iterations (not cfg.mode). Computes in double and returns the
// promoted dtype of G and V. r_wire_ohm == 0 gives exactly V @ G. Throws std::runtime_error if the
// relaxation does not converge within cfg.solver_max_iterations.
at::Tensor solve_crossbar_currents(const at::Tensor& G_uS, const at::Tensor& V_volts, const IrDropConfig& cfg,
                                   CrossbarSolveInfo* info = nullptr);

// Effective conductances [T,R,C] in uS such that out = V @ G_eff for the configured model:
// off (or r_wire 0): G; fast: G * ir_drop_fast_factors; exact: the network's exact linear transfer matrix
// (the exact solver run on the R unit input vectors; costly, for evaluation: about the cost of R/B
// exact solves of batch B per tile).
at::Tensor ir_drop_effective_conductance(const at::Tensor& G_uS, const IrDropConfig& cfg);

}  // namespace cimtrain::sim
