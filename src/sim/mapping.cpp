// Weight-to-conductance mapping and tile layout (see mapping.h).
#include "sim/mapping.h"

namespace cimtrain::sim {

void MappingConfig::validate() const {
  // Fabricated crossbars have 64-1024 lines a side; 8192 leaves room for studies and keeps a tile's tensors in memory.
  common::require_range("mapping.tile_rows", tile_rows, 1, 8192);
  common::require_range("mapping.tile_cols", tile_cols, 1, 8192);
  common::require_range("mapping.weight_bits", weight_bits, 2, 16);
  common::require_range("mapping.input_bits", input_bits, 2, 16);
  common::require_range("mapping.bits_per_cell", bits_per_cell, 1, 15);
  common::require(bits_per_cell <= weight_bits - 1,
                  "mapping.bits_per_cell must be <= weight_bits - 1 = " + std::to_string(weight_bits - 1) + ", found " +
                      std::to_string(bits_per_cell));
  common::require(tile_cols >= 2 * slices(),
                  "mapping.tile_cols must hold at least one output (2 x " + std::to_string(slices()) +
                      " slices = " + std::to_string(2 * slices()) + " columns), found " + std::to_string(tile_cols));
  common::require(g_max_uS > 0, "mapping.g_max_uS must be > 0, found " + std::to_string(g_max_uS));
  common::require(g_min_uS >= 0 && g_min_uS < g_max_uS,
                  "mapping.g_min_uS must be in [0, g_max_uS = " + std::to_string(g_max_uS) + "), found " +
                      std::to_string(g_min_uS));
}

TileLayout make_layout(const MappingConfig& cfg, int64_t inputs, int64_t outputs) {
  TORCH_CHECK(inputs >= 1 && outputs >= 1, "weight matrix must be non-empty, found [", outputs, ", ", inputs, "]");
  TileLayout l;
  l.inputs = inputs;
  l.outputs = outputs;
  l.tile_rows = cfg.tile_rows;
  l.tile_cols = cfg.tile_cols;
  l.slices = cfg.slices();
  l.outputs_per_tile = cfg.outputs_per_tile();
  l.row_tiles = (inputs + cfg.tile_rows - 1) / cfg.tile_rows;
  l.col_tiles = (outputs + l.outputs_per_tile - 1) / l.outputs_per_tile;
  return l;
}

at::Tensor checked_weights(const at::Tensor& w_int, const MappingConfig& cfg, const TileLayout& layout) {
  TORCH_CHECK(w_int.dim() == 2 && w_int.size(0) == layout.outputs && w_int.size(1) == layout.inputs,
              "weights must have shape [", layout.outputs, ", ", layout.inputs, "], found ", w_int.sizes());
  const auto w = w_int.to(at::kFloat).contiguous();
  const double wmax = cfg.weight_max(), max_abs = w.abs().max().item<double>();
  TORCH_CHECK(max_abs <= wmax, "weights must be integers in [", -wmax, ", ", wmax,
              "] for weight_bits = ", cfg.weight_bits, ", found max |w| = ", max_abs);
  TORCH_CHECK(at::equal(w, w.round()), "weights must be integer-valued (quantise them first)");
  return w;
}

at::Tensor weights_to_cell_levels(const at::Tensor& w_int, const MappingConfig& cfg, const TileLayout& layout) {
  const auto w = checked_weights(w_int, cfg, layout);
  // [inputs, outputs], padded rows hold weight 0.
  auto wt = at::constant_pad_nd(w.t(), {0, 0, 0, layout.padded_rows() - layout.inputs});
  auto pos = wt.clamp_min(0).to(at::kInt);
  auto neg = (-wt).clamp_min(0).to(at::kInt);
  const int bpc = cfg.bits_per_cell, mask = cfg.cell_max_level();
  std::vector<at::Tensor> slices;
  for (int s = 0; s < cfg.slices(); ++s) {
    auto p = at::bitwise_and(at::bitwise_right_shift(pos, bpc * s), mask);
    auto n = at::bitwise_and(at::bitwise_right_shift(neg, bpc * s), mask);
    slices.push_back(at::stack({p, n}));
  }
  return at::stack(slices).to(at::kFloat);
}

at::Tensor cell_levels_to_conductance(const at::Tensor& levels, const MappingConfig& cfg) {
  return levels * cfg.g_step_uS() + cfg.g_min_uS;
}

at::Tensor to_physical_tiles(const at::Tensor& logical, const TileLayout& l) {
  TORCH_CHECK(logical.dim() == 4 && logical.size(0) == l.slices && logical.size(1) == 2 &&
                  logical.size(2) == l.padded_rows() && logical.size(3) == l.outputs,
              "logical cells must have shape [", l.slices, ", 2, ", l.padded_rows(), ", ", l.outputs, "], found ",
              logical.sizes());
  const int64_t padded_outputs = l.col_tiles * l.outputs_per_tile;
  auto x = at::constant_pad_nd(logical, {0, padded_outputs - l.outputs});
  x = x.view({l.slices, 2, l.row_tiles, l.tile_rows, l.col_tiles, l.outputs_per_tile})
          .permute({2, 4, 3, 5, 0, 1})  // rt, ct, row, o, s, sign
          .reshape({l.tiles(), l.tile_rows, l.outputs_per_tile * 2 * l.slices});
  return at::constant_pad_nd(x, {0, l.tile_cols - l.outputs_per_tile * 2 * l.slices});
}

at::Tensor from_physical_tiles(const at::Tensor& physical, const TileLayout& l) {
  TORCH_CHECK(physical.dim() == 3 && physical.size(0) == l.tiles() && physical.size(1) == l.tile_rows &&
                  physical.size(2) == l.tile_cols,
              "physical tiles must have shape [", l.tiles(), ", ", l.tile_rows, ", ", l.tile_cols, "], found ",
              physical.sizes());
  auto x = physical.narrow(2, 0, l.outputs_per_tile * 2 * l.slices)
               .reshape({l.row_tiles, l.col_tiles, l.tile_rows, l.outputs_per_tile, l.slices, 2})
               .permute({4, 5, 0, 2, 1, 3})  // s, sign, rt, row, ct, o
               .reshape({l.slices, 2, l.padded_rows(), l.col_tiles * l.outputs_per_tile});
  return x.narrow(3, 0, l.outputs).contiguous();
}

at::Tensor physical_columns_to_logical(const at::Tensor& physical, const TileLayout& l) {
  TORCH_CHECK(physical.dim() == 3 && physical.size(0) == l.tiles() && physical.size(2) == l.tile_cols,
              "physical columns must have shape [", l.tiles(), ", M, ", l.tile_cols, "], found ", physical.sizes());
  const int64_t m = physical.size(1);
  auto x = physical.narrow(2, 0, l.outputs_per_tile * 2 * l.slices)
               .reshape({l.row_tiles, l.col_tiles, m, l.outputs_per_tile, l.slices, 2})
               .permute({0, 2, 4, 5, 1, 3})  // rt, M, s, sign, ct, o
               .reshape({l.row_tiles, m, l.slices, 2, l.col_tiles * l.outputs_per_tile});
  return x.narrow(4, 0, l.outputs);
}

at::Tensor tile_values_to_cells(const at::Tensor& per_tile, const TileLayout& l) {
  TORCH_CHECK(per_tile.dim() == 2 && per_tile.size(0) == l.row_tiles && per_tile.size(1) == l.col_tiles,
              "per-tile values must have shape [", l.row_tiles, ", ", l.col_tiles, "], found ", per_tile.sizes());
  auto x = per_tile.repeat_interleave(l.tile_rows, 0).repeat_interleave(l.outputs_per_tile, 1);
  return x.narrow(1, 0, l.outputs);
}

}  // namespace cimtrain::sim
