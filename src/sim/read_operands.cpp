// Read operands of a chip instance (see read_operands.h).
#include "sim/read_operands.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace cimtrain::sim {

namespace {

// [S, padded_rows, outputs] -> [row_tiles, tile_rows, S * outputs], the right operand of the tile products.
at::Tensor to_product_layout(const at::Tensor& per_slice, const TileLayout& l) {
  return per_slice.view({l.slices, l.row_tiles, l.tile_rows, l.outputs})
      .permute({1, 2, 0, 3})
      .reshape({l.row_tiles, l.tile_rows, l.slices * l.outputs})
      .contiguous();
}

}  // namespace

ReadOperands read_operands_reference(const at::Tensor& g_now, const at::Tensor& sd_in, const TileLayout& l,
                                     const IrDropConfig& ir_drop) {
  at::Tensor g_eff = g_now, factor;
  if (ir_drop.enabled()) {
    auto phys = to_physical_tiles(g_now, l);
    // Columns no output uses hold no cells (0 uS): they carry no current and change no other cell's drop,
    // so the solve skips them (exact for both models; a 16-output layer uses 32 of 256 columns).
    const int64_t used = l.col_tiles == 1 ? 2 * l.slices * l.outputs : l.tile_cols;
    if (used < l.tile_cols) {
      const auto eff = ir_drop_effective_conductance(phys.narrow(2, 0, used).contiguous(), ir_drop);
      phys = at::constant_pad_nd(eff, {0, l.tile_cols - used});
    } else {
      phys = ir_drop_effective_conductance(phys, ir_drop);
    }
    g_eff = from_physical_tiles(phys, l);
    factor = at::where(g_now > 0, g_eff / g_now.clamp_min(1e-30), at::zeros_like(g_now));
  }
  ReadOperands r;
  r.signal = to_product_layout(g_eff.select(1, 0) - g_eff.select(1, 1), l);
  if (sd_in.defined()) {
    const auto sd = factor.defined() ? sd_in * factor : sd_in;
    r.variance = to_product_layout(sd.select(1, 0).square() + sd.select(1, 1).square(), l);
  }
  return r;
}

namespace {

// The first-order factors of ir_drop_fast_factors for one physical row of a tile (rj = rows - j), from its
// conductances g_row; q and w accumulate the rows so far, wtot holds the tile's totals sum_j (R - j) G[j, k].
void row_factors(const std::vector<float>& g_row, double rj, double s_r, const std::vector<double>& wtot,
                 std::vector<double>& q, std::vector<double>& w, std::vector<float>& f_row) {
  const int64_t C = static_cast<int64_t>(g_row.size());
  double total = 0;
  for (int64_t k = 0; k < C; ++k) total += g_row[k];
  double qa = 0, wa = 0;
  for (int64_t k = 0; k < C; ++k) {
    const double g = g_row[k], k1 = static_cast<double>(k + 1);
    qa += g;
    wa += k1 * g;
    q[k] += g;
    w[k] += rj * g;
    const double a = wa + k1 * (total - qa);
    const double b = rj * q[k] + (wtot[k] - w[k]);
    f_row[k] = static_cast<float>(1.0 / (1.0 + s_r * (a + b)));
  }
}

}  // namespace

ReadOperands read_operands_fast(const at::Tensor& g_now_in, const at::Tensor& sd_in, const TileLayout& l,
                                const IrDropConfig& ir_drop) {
  TORCH_CHECK(ir_drop.mode != IrDropMode::kExact || !ir_drop.enabled(),
              "read_operands_fast: the exact IR-drop model needs read_operands_reference");
  const int64_t S = l.slices, Rp = l.padded_rows(), O = l.outputs, tr = l.tile_rows, opt = l.outputs_per_tile;
  TORCH_CHECK(g_now_in.dim() == 4 && g_now_in.size(0) == S && g_now_in.size(1) == 2 && g_now_in.size(2) == Rp &&
                  g_now_in.size(3) == O,
              "read_operands_fast: conductances must be [", S, ", 2, ", Rp, ", ", O, "], found ", g_now_in.sizes());
  const auto g_now = g_now_in.to(at::kFloat).contiguous();
  const auto sd = sd_in.defined() ? sd_in.to(at::kFloat).contiguous() : at::Tensor();
  ReadOperands r;
  r.signal = at::empty({l.row_tiles, tr, S * O});
  if (sd.defined()) r.variance = at::empty({l.row_tiles, tr, S * O});
  const float* gp = g_now.data_ptr<float>();
  const float* sp = sd.defined() ? sd.data_ptr<float>() : nullptr;
  float* sig = r.signal.data_ptr<float>();
  float* var = r.variance.defined() ? r.variance.data_ptr<float>() : nullptr;
  const double s_r = ir_drop.enabled() ? ir_drop.r_wire_ohm * 1e-6 : 0.0;
  // Cell (s, sign, row, o) of the logical layout; physical column k of a tile = o_local 2S + 2s + sign.
  const auto at_cell = [&](int64_t s, int64_t sign, int64_t row, int64_t o) {
    return ((s * 2 + sign) * Rp + row) * O + o;
  };

  at::parallel_for(0, l.row_tiles * l.col_tiles, 1, [&](int64_t q0, int64_t q1) {
    std::vector<double> q, w, wtot;
    std::vector<float> g_row, f_row;
    for (int64_t tile = q0; tile < q1; ++tile) {
      const int64_t rt = tile / l.col_tiles, ct = tile % l.col_tiles;
      const int64_t o0 = ct * opt, n_out = std::min(opt, O - o0), C = n_out * 2 * S;
      g_row.assign(C, 0.0f);
      f_row.assign(C, 1.0f);
      const auto gather = [&](int64_t j) {  // physical row j of the tile into g_row
        for (int64_t ol = 0; ol < n_out; ++ol)
          for (int64_t s = 0; s < S; ++s)
            for (int64_t sign = 0; sign < 2; ++sign)
              g_row[(ol * S + s) * 2 + sign] = gp[at_cell(s, sign, rt * tr + j, o0 + ol)];
      };
      if (s_r > 0) {
        q.assign(C, 0.0);
        w.assign(C, 0.0);
        wtot.assign(C, 0.0);
        for (int64_t j = 0; j < tr; ++j) {  // B's totals: sum_j (R - j) G[j, k]
          gather(j);
          const double rj = static_cast<double>(tr - j);
          for (int64_t k = 0; k < C; ++k) wtot[k] += rj * g_row[k];
        }
      }
      for (int64_t j = 0; j < tr; ++j) {
        gather(j);
        if (s_r > 0) row_factors(g_row, static_cast<double>(tr - j), s_r, wtot, q, w, f_row);
        for (int64_t ol = 0; ol < n_out; ++ol)
          for (int64_t s = 0; s < S; ++s) {
            const int64_t kp = (ol * S + s) * 2, out = (rt * tr + j) * S * O + s * O + o0 + ol;
            const float fp = f_row[kp], fm = f_row[kp + 1];
            sig[out] = g_row[kp] * fp - g_row[kp + 1] * fm;
            if (var) {
              const float sdp = sp[at_cell(s, 0, rt * tr + j, o0 + ol)] * (g_row[kp] > 0 ? fp : 0.0f);
              const float sdm = sp[at_cell(s, 1, rt * tr + j, o0 + ol)] * (g_row[kp + 1] > 0 ? fm : 0.0f);
              var[out] = sdp * sdp + sdm * sdm;
            }
          }
      }
    }
  });
  return r;
}

}  // namespace cimtrain::sim
