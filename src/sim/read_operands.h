// What a chip read multiplies, derived once per chip instance and read conditions: the differential signal
// conductances and the read-noise variances per cell, after IR drop, in the layout of the tile products.
#pragma once

#include <ATen/ATen.h>

#include "sim/ir_drop.h"
#include "sim/mapping.h"

namespace cimtrain::sim {

struct ReadOperands {
  at::Tensor signal;    // [row_tiles, tile_rows, S * outputs] G+ - G- seen from the inputs, uS
  at::Tensor variance;  // [row_tiles, tile_rows, S * outputs] (s+ F+)^2 + (s- F-)^2, uS^2 (or undefined)
};

// From present conductances g_now [S, 2, padded_rows, outputs] (uS) and per-cell read-noise stds `sd` (same
// shape, uS, or undefined): IR drop (any model) on the physical tiles, the factor F = G_eff / G also scaling
// each cell's noise current (the cell sees the dropped voltage), then the product layout. Plain tensor ops.
ReadOperands read_operands_reference(const at::Tensor& g_now, const at::Tensor& sd, const TileLayout& layout,
                                     const IrDropConfig& ir_drop);

// The same in one pass over each physical tile for IR drop "off" or "fast" (the first-order factors of
// ir_drop_fast_factors, gathered from and scattered to the logical layout without copies). CPU float.
ReadOperands read_operands_fast(const at::Tensor& g_now, const at::Tensor& sd, const TileLayout& layout,
                                const IrDropConfig& ir_drop);

}  // namespace cimtrain::sim
