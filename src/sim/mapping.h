// Maps signed integer weights onto differential, optionally bit-sliced conductance cells cut into tiles.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/choice.h"
#include "common/errors.h"

namespace cimtrain::sim {

enum class ConvRead { kDirect, kIm2col };
CIMTRAIN_CHOICE(ConvRead, "mapping.conv_read", {ConvRead::kDirect, "direct"}, {ConvRead::kIm2col, "im2col"})

struct MappingConfig {
  int tile_rows = 256;     // word lines (inputs) per tile
  int tile_cols = 256;     // bit lines (physical columns) per tile; one output uses 2 x slices() of them
  int weight_bits = 8;     // signed integer weight resolution, sign included (8: weights in [-127, 127])
  int input_bits = 8;      // signed integer input resolution, sign included (8: inputs in [-127, 127])
  int bits_per_cell = 7;   // magnitude bits one cell stores; fewer than weight_bits-1 bit-slices the weight
  double g_max_uS = 50.0;  // conductance of a cell's highest level, microsiemens
  double g_min_uS = 0.5;   // conductance of a cell's lowest level (level 0), microsiemens
  // How a convolution's input reaches the word lines. "direct" (default, fast): the products run as
  // convolutions on the input map, never materialising the im2col rows; the DAC's static INL is then one
  // per input channel (that of the channel's first word line) and the DAC noise must be the "column" model.
  // "im2col": every im2col row is driven separately, each word line with its own DAC (exact, slower).
  ConvRead conv_read = ConvRead::kDirect;

  void validate() const;
  int weight_max() const { return (1 << (weight_bits - 1)) - 1; }
  int input_max() const { return (1 << (input_bits - 1)) - 1; }
  int slices() const { return (weight_bits - 1 + bits_per_cell - 1) / bits_per_cell; }
  int cell_max_level() const { return (1 << bits_per_cell) - 1; }
  int outputs_per_tile() const { return tile_cols / (2 * slices()); }
  double g_step_uS() const { return (g_max_uS - g_min_uS) / cell_max_level(); }  // per cell level
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MappingConfig, tile_rows, tile_cols, weight_bits, input_bits,
                                                bits_per_cell, g_max_uS, g_min_uS, conv_read)

// How a [outputs, inputs] weight matrix is laid out over tiles.
// Logical cell tensors have shape [slices, 2 (0: G+, 1: G-), padded_rows, outputs].
// Physical tile tensors have shape [row_tiles * col_tiles, tile_rows, tile_cols]; inside a tile,
// output o occupies columns (o % outputs_per_tile) * 2S + 2s + sign, unused columns hold 0 uS.
struct TileLayout {
  int64_t inputs = 0, outputs = 0;
  int64_t row_tiles = 0, col_tiles = 0;
  int64_t tile_rows = 0, tile_cols = 0, outputs_per_tile = 0;
  int64_t slices = 0;
  int64_t padded_rows() const { return row_tiles * tile_rows; }
  int64_t tiles() const { return row_tiles * col_tiles; }
};

TileLayout make_layout(const MappingConfig& cfg, int64_t inputs, int64_t outputs);

// Integer weights [outputs, inputs] as a contiguous float tensor, after checking their shape, range and
// integrality (a clear error otherwise).
at::Tensor checked_weights(const at::Tensor& w_int, const MappingConfig& cfg, const TileLayout& layout);

// Integer weights [outputs, inputs] -> cell levels [S, 2, padded_rows, outputs] (0 .. cell_max_level).
at::Tensor weights_to_cell_levels(const at::Tensor& w_int, const MappingConfig& cfg, const TileLayout& layout);

// Cell levels -> target conductances, uS: g_min + level * g_step.
at::Tensor cell_levels_to_conductance(const at::Tensor& levels, const MappingConfig& cfg);

// Logical [S, 2, padded_rows, outputs] <-> physical [tiles, tile_rows, tile_cols].
at::Tensor to_physical_tiles(const at::Tensor& logical, const TileLayout& layout);
at::Tensor from_physical_tiles(const at::Tensor& physical, const TileLayout& layout);

// Physical column values [tiles, M, tile_cols] -> logical [row_tiles, M, S, 2, outputs].
at::Tensor physical_columns_to_logical(const at::Tensor& physical, const TileLayout& layout);

// One value per physical tile [row_tiles, col_tiles] -> per logical cell [padded_rows, outputs].
at::Tensor tile_values_to_cells(const at::Tensor& per_tile, const TileLayout& layout);

}  // namespace cimtrain::sim
