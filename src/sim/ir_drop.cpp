// IR drop (see ir_drop.h): first-order conductance factors from cumulative sums, and an exact solver of the
// resistive crossbar by alternating line relaxation (block Gauss-Seidel/SOR with exact line solves).
#include "sim/ir_drop.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace cimtrain::sim {

namespace {

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void check_conductances(const at::Tensor& G_uS, const char* where) {
  TORCH_CHECK(G_uS.dim() == 3 && G_uS.size(1) > 0 && G_uS.size(2) > 0, where,
              ": expected conductances G_uS of shape [T, R, C] with R, C >= 1, found ", G_uS.sizes());
  TORCH_CHECK(at::isFloatingType(G_uS.scalar_type()), where, ": expected floating-point conductances G_uS, found ",
              G_uS.scalar_type());
}

void check_r_wire(double r_wire_ohm, const char* where) {
  TORCH_CHECK(std::isfinite(r_wire_ohm) && r_wire_ohm >= 0, where, ": r_wire_ohm must be finite and >= 0, found ",
              r_wire_ohm);
}

// ---- Exact solver: one resistive line ----------------------------------------------------------------
// A line (a word line, or a bit line) has P nodes; position 0 is the driven end, joined through one wire
// segment (conductance gw) to a source (the word-line driver at V[j], or the sense amplifier at 0 V);
// position P-1 is the open end. Node p is joined to node p+1 by a wire segment and to "the other line"
// (voltage x[p], fixed during this line solve) by its cell of conductance G[p]. Eliminating from the
// open end, everything beyond the wire segment that enters node p, cell p included, is a Norton
// equivalent of conductance s[p] (uS) towards a voltage e[p]:
//   s[P-1] = G[P-1],  s[p] = G[p] + gw s[p+1] / (gw + s[p+1])             (cell || (wire + rest))
//   e[P-1] = x[P-1],  e[p] = e[p+1] + alpha[p] (x[p] - e[p+1]),  alpha[p] = G[p] / s[p],
// and the node voltages then follow from the driven end:
//   y[0] = e[0] + beta[0] (src - e[0]),  y[p] = e[p] + beta[p] (y[p-1] - e[p]),  beta[p] = gw / (gw + s[p]).
// This is the Thomas algorithm for the line's tridiagonal KCL system written with convex weights, so
// that it stays accurate for gw >> G (no cancellation in 2 gw - gw^2 / ...). s, alpha, beta depend on G
// only and are computed once per solve. The current into the source end is gw s[0] / (gw + s[0]) (e[0]-src).
// Per-position views (dim 2 of [T, B or 1, P, L]).
std::vector<at::Tensor> positions(const at::Tensor& t, bool reversed = false) {
  auto v = t.unbind(2);
  std::vector<at::Tensor> out(v.begin(), v.end());
  if (reversed) std::reverse(out.begin(), out.end());
  return out;
}

struct LineWeights {
  std::vector<at::Tensor> alpha, beta;  // per position, each [T, 1, L], dimensionless
  at::Tensor s0;                        // Norton conductance seen from the driven end, [T, 1, L], uS
};

LineWeights line_weights(const at::Tensor& G /* [T, 1, P, L], uS, position 0 = driven end */, double gw) {
  const int64_t P = G.size(2);
  auto S = at::empty_like(G);  // Norton conductances s, uS
  at::Tensor s = S.select(2, P - 1).copy_(G.select(2, P - 1));
  for (int64_t q = P - 1; q-- > 0;) {
    auto next = S.select(2, q);
    at::add_out(next, G.select(2, q), s * gw / (s + gw));
    s = next;
  }
  // s == 0 only where no cell beyond is conducting; then e is irrelevant (beta == 1) and alpha is set to 1.
  const auto alpha = at::where(S > 0, G / S, at::ones_like(S));
  const auto beta = gw / (S + gw);
  LineWeights w;
  w.alpha = positions(alpha);
  w.beta = positions(beta);
  w.s0 = s;
  return w;
}

// Solves all lines at once given the other side's voltages x; e and y are scratch / result views.
void solve_lines(const std::vector<at::Tensor>& x, const at::Tensor& src, const LineWeights& w,
                 std::vector<at::Tensor>& e, std::vector<at::Tensor>& y) {
  const size_t P = x.size();
  e[P - 1].copy_(x[P - 1]);
  for (size_t q = P - 1; q-- > 0;) at::lerp_out(e[q], e[q + 1], x[q], w.alpha[q]);
  at::lerp_out(y[0], e[0], src, w.beta[0]);
  for (size_t q = 1; q < P; ++q) at::lerp_out(y[q], e[q], y[q - 1], w.beta[q]);
}

// solve_crossbar_currents' argument checks: conductances [T, R, C], floating-point voltages [T, B, R] on the same
// device.
void check_solve_inputs(const at::Tensor& G_uS, const at::Tensor& V_volts) {
  check_conductances(G_uS, "solve_crossbar_currents");
  TORCH_CHECK(V_volts.dim() == 3 && V_volts.size(0) == G_uS.size(0) && V_volts.size(2) == G_uS.size(1),
              "solve_crossbar_currents: expected voltages V_volts of shape [T, B, R] for conductances "
              "G_uS of shape [T, R, C] = ",
              G_uS.sizes(), ", found V_volts of shape ", V_volts.sizes());
  TORCH_CHECK(at::isFloatingType(V_volts.scalar_type()),
              "solve_crossbar_currents: expected floating-point voltages V_volts, found ", V_volts.scalar_type());
  TORCH_CHECK(V_volts.device() == G_uS.device(), "solve_crossbar_currents: G_uS on ", G_uS.device(), " but V_volts on ",
              V_volts.device());
}

// The over-relaxation factor omega of the exact solver's sweeps (see solve_crossbar_currents): 1 (Gauss-Seidel)
// until the contraction rate of the changes is steady, then raised towards Young's optimum.
struct OverRelaxation {
  static constexpr int kWarmup = 4;  // Gauss-Seidel sweeps before estimating omega
  double omega = 1.0, previous = 0.0, previous_ratio = -1.0;
  int steady = 0;  // sweeps with a steady contraction rate

  // Updates omega for the next sweep from the max relative change of this one.
  void after_sweep(int sweep, double change) {
    if (sweep > 1) {
      // Once the contraction rate lambda of the changes is steady, estimate the Gauss-Seidel rate
      // mu^2 = (lambda + omega - 1)^2 / (lambda omega^2) (Young) and raise omega towards the optimum.
      const double ratio = change / previous;
      ++steady;
      if (!(ratio > 0 && ratio < 1 && std::abs(ratio - previous_ratio) < 0.02 * ratio)) steady = 0;
      if (sweep > kWarmup && steady >= 2) {
        const double mu2 = std::min((ratio + omega - 1) * (ratio + omega - 1) / (ratio * omega * omega), 1.0);
        const double best = std::min(2.0 / (1.0 + std::sqrt(1.0 - mu2)), 1.95);
        if (best > omega + 0.01) omega = best, steady = -2;  // let the new rate settle
      }
      previous_ratio = ratio;
    }
    previous = change;
  }
};

// The solver's error when cfg.solver_max_iterations sweeps did not reach cfg.solver_tolerance.
[[noreturn]] void throw_no_convergence(const at::Tensor& G_uS, const at::Tensor& V_volts, const IrDropConfig& cfg,
                                       int sweep, double change, double omega) {
  std::ostringstream s;
  s << "solve_crossbar_currents: no convergence after " << sweep << " sweeps for G_uS of shape " << G_uS.sizes()
    << " and V_volts of shape " << V_volts.sizes() << " with r_wire_ohm " << cfg.r_wire_ohm
    << ": max relative change of node voltages " << change << " (omega " << omega << "), tolerance "
    << cfg.solver_tolerance;
  throw std::runtime_error(s.str());
}

}  // namespace

void IrDropConfig::validate() const {
  common::require(std::isfinite(r_wire_ohm) && r_wire_ohm >= 0,
                  "ir_drop.r_wire_ohm must be finite and >= 0 ohm, found " + num(r_wire_ohm));
  common::require(std::isfinite(solver_tolerance) && solver_tolerance > 0,
                  "ir_drop.solver_tolerance must be > 0, found " + num(solver_tolerance));
  common::require(solver_max_iterations >= 1,
                  "ir_drop.solver_max_iterations must be >= 1, found " + std::to_string(solver_max_iterations));
}

// ---- Fast first-order model ----------------------------------------------------------------------------
// To first order in r the line currents are the ideal cell currents. Word line j (driven on the left):
// segment m (m = 0..C-1, m = 0 between driver and cell 0) carries V[j] sum_{k' >= m} G[j,k'], so the
// word-line voltage at cell k is lowered by r V[j] A[j,k], A[j,k] = sum_{k'} G[j,k'] (min(k,k') + 1).
// Bit line k (sensed at the bottom): segment m below row m carries sum_{j' <= m} G[j',k] V[j'], so the
// bit-line voltage at row j is r sum_{j'} G[j',k] V[j'] (R - max(j,j')), which lowers every cell current
// of that column. Collecting the terms of each input V[j']:
//   out[k] = sum_j' V[j'] G[j',k] (1 - r (A[j',k] + B[j',k])),  B[j',k] = sum_j G[j,k] (R - max(j,j')).
// With a prefix sum Q and weighted prefix sums (0-based k, j):
//   A[k] = sum_{k'<=k} (k'+1) G[k'] + (k+1) sum_{k'>k} G[k'],
//   B[j'] = (R - j') sum_{j<=j'} G[j] + sum_{j>j'} (R - j) G[j].
// r [ohm] * G [uS] * 1e-6 is dimensionless. The factor is applied as F = 1 / (1 + r (A + B)) rather than
// 1 - r (A + B): the same first-order term, but it never goes negative and it follows the exact solver far
// better once the drop is large (the drop lowers the line currents that cause it, which the reciprocal
// form captures to leading order): measured on 256 x 256 tiles, G in [1, 100] uS, its error against the
// exact solver is ~25x smaller than the linear form's (see tests/sim/test_ir_drop.cpp).
at::Tensor ir_drop_fast_factors(const at::Tensor& G_uS, double r_wire_ohm) {
  check_conductances(G_uS, "ir_drop_fast_factors");
  check_r_wire(r_wire_ohm, "ir_drop_fast_factors");
  const auto G = G_uS.to(at::kDouble);
  const int64_t R = G.size(1), C = G.size(2);
  const auto opts = G.options();
  const auto k1 = at::arange(1, C + 1, opts);  // k + 1, [C]
  const auto Qc = at::cumsum(G, 2);            // sum_{k' <= k} G
  const auto A = at::cumsum(G * k1, 2) + k1 * (Qc.narrow(2, C - 1, 1) - Qc);
  const auto Rj = at::arange(R, 0, -1, opts).unsqueeze(1);  // R - j, [R, 1]
  const auto Qr = at::cumsum(G, 1);                         // sum_{j <= j'} G
  const auto W = at::cumsum(G * Rj, 1);                     // sum_{j <= j'} (R - j) G
  const auto B = Rj * Qr + (W.narrow(1, R - 1, 1) - W);
  return (1.0 / (1.0 + (r_wire_ohm * 1e-6) * (A + B))).to(G_uS.scalar_type());
}

at::Tensor ir_drop_fast_factors_reference(const at::Tensor& G_uS, double r_wire_ohm) {
  check_conductances(G_uS, "ir_drop_fast_factors_reference");
  check_r_wire(r_wire_ohm, "ir_drop_fast_factors_reference");
  const auto G = G_uS.to(at::kDouble);
  const int64_t R = G.size(1), C = G.size(2);
  const auto k = at::arange(C, G.options());
  const auto j = at::arange(R, G.options());
  const auto min_k = at::minimum(k.unsqueeze(1), k.unsqueeze(0)) + 1.0;                     // [C, C]
  const auto max_j = static_cast<double>(R) - at::maximum(j.unsqueeze(1), j.unsqueeze(0));  // [R, R]
  const auto A = at::matmul(G, min_k);  // A[t,j,k] = sum_k' G[t,j,k'] (min(k',k) + 1)
  const auto B = at::matmul(max_j, G);  // B[t,j',k] = sum_j (R - max(j',j)) G[t,j,k]
  return (1.0 / (1.0 + (r_wire_ohm * 1e-6) * (A + B))).to(G_uS.scalar_type());
}

// ---- Exact solver ------------------------------------------------------------------------------------
// Unknowns per tile and input vector: R*C word-line node voltages u[j,k] and R*C bit-line node voltages
// b[j,k]; Kirchhoff's current law at every node gives a symmetric positive-definite system (a weighted
// graph Laplacian with the drivers and sense amplifiers as fixed-voltage boundaries). Method: alternating
// line relaxation, i.e. block Gauss-Seidel over two blocks: with b fixed, the word lines decouple into
// independent tridiagonal systems, solved exactly for all rows of all tiles and batch items at once
// (solve_lines, a loop over the C positions with tensor ops on [T, B, R] slices); then, with u fixed, all bit
// lines likewise (a loop over the R positions). Each block update is over-relaxed by omega, which starts
// at 1 (Gauss-Seidel); whenever the observed contraction rate of the changes is steady it yields an
// estimate of the Gauss-Seidel spectral radius mu^2, and omega is raised to 2 / (1 + sqrt(1 - mu^2))
// (optimal for a two-block system, Young's SOR theory). Sweeps stop when the largest change of any node
// voltage, relative to the largest voltage of the same kind (word line: |V|; bit line: |b|) of the same
// tile and input vector, is below cfg.solver_tolerance (the output error measured is then about the
// tolerance or less). The output, the current into each sense amplifier, is taken from
// the last exact bit-line solve. The peer reference is CrossSim (Sandia), which also solves the
// parasitic-resistance network of the array iteratively with a relaxation factor and a convergence
// threshold; here every sweep solves whole lines exactly, which converges in far fewer sweeps.
at::Tensor solve_crossbar_currents(const at::Tensor& G_uS, const at::Tensor& V_volts, const IrDropConfig& cfg,
                                   CrossbarSolveInfo* info) {
  check_solve_inputs(G_uS, V_volts);
  cfg.validate();
  if (info) *info = CrossbarSolveInfo{};
  const auto out_type = at::promote_types(G_uS.scalar_type(), V_volts.scalar_type());
  const int64_t T = G_uS.size(0), R = G_uS.size(1), C = G_uS.size(2), B = V_volts.size(1);
  if (cfg.r_wire_ohm == 0 || T == 0 || B == 0) return at::matmul(V_volts.to(out_type), G_uS.to(out_type));

  const double gw = 1e6 / cfg.r_wire_ohm;  // conductance of one wire segment, uS
  const auto G = G_uS.to(at::kDouble);
  const auto V = V_volts.to(at::kDouble).contiguous();  // [T, B, R]
  const auto opts = G.options();

  // Node tensors are [T, B, position, line]: word lines [T, B, C, R] (position k = column, from the
  // driver), bit lines [T, B, R, C] indexed by row j, whose driven (sensed) end is row R-1, so their
  // position lists are reversed. Per-position slices are [T, B, lines]; the weights broadcast over B.
  const auto word_w = line_weights(G.transpose(1, 2).unsqueeze(1).contiguous(), gw);
  const auto bit_w = line_weights(G.flip({1}).unsqueeze(1), gw);  // row R-1 first
  const auto bit_out = bit_w.s0 * gw / (bit_w.s0 + gw);           // [T, 1, C], uS: sense current = bit_out * e[R-1]

  at::Tensor u = V.unsqueeze(2).expand({T, B, C, R}).contiguous();  // word-line nodes, V
  at::Tensor b = at::zeros({T, B, R, C}, opts);                     // bit-line nodes, V
  // Scratch shared by the two phases: the other line's voltages, Norton voltages e, and the fresh solve.
  const int64_t n = T * B * C * R;
  const at::Tensor other = at::empty({n}, opts), eta = at::empty({n}, opts), fresh = at::empty({n}, opts);
  auto other_w = other.view({T, B, C, R}), fresh_w = fresh.view({T, B, C, R});
  auto other_b = other.view({T, B, R, C}), fresh_b = fresh.view({T, B, R, C});
  const auto x_w = positions(other_w, false), x_b = positions(other_b, true);
  auto e_w = positions(eta.view({T, B, C, R}), false), e_b = positions(eta.view({T, B, R, C}), true);
  auto y_w = positions(fresh_w, false), y_b = positions(fresh_b, true);
  const auto sense = at::zeros({T, B, C}, opts);
  const auto per_vector_max = [T, B](const at::Tensor& x) { return x.view({T, B, -1}).amax(2); };  // [T, B]

  constexpr double tiny = std::numeric_limits<double>::min();
  const auto u_scale = V.abs().amax({2}).clamp_min_(tiny);  // [T, B], V
  OverRelaxation relax;
  for (int sweep = 1;; ++sweep) {
    const double omega = relax.omega;
    other_w.copy_(b.transpose(2, 3));
    solve_lines(x_w, V, word_w, e_w, y_w);
    const auto du = per_vector_max(at::sub_out(other_w, fresh_w, u).abs_());  // `other` is free again
    u.lerp_(fresh_w, omega);
    other_b.copy_(u.transpose(2, 3));
    solve_lines(x_b, sense, bit_w, e_b, y_b);
    const auto db = per_vector_max(at::sub_out(other_b, fresh_b, b).abs_());
    const auto b_scale = per_vector_max(at::abs_out(other_b, fresh_b)).clamp_min_(tiny);
    b.lerp_(fresh_b, omega);
    const double change = omega * std::max((du / u_scale).max().item<double>(), (db / b_scale).max().item<double>());
    if (info) *info = CrossbarSolveInfo{sweep, change, omega};
    if (!std::isfinite(change))
      throw std::runtime_error("solve_crossbar_currents: non-finite node voltages after sweep " +
                               std::to_string(sweep) + " (are all conductances finite and >= 0?)");
    if (change < cfg.solver_tolerance) break;
    if (sweep >= cfg.solver_max_iterations) throw_no_convergence(G_uS, V_volts, cfg, sweep, change, omega);
    relax.after_sweep(sweep, change);
  }
  return (bit_out * e_b[0]).to(out_type);
}

at::Tensor ir_drop_effective_conductance(const at::Tensor& G_uS, const IrDropConfig& cfg) {
  check_conductances(G_uS, "ir_drop_effective_conductance");
  cfg.validate();
  if (!cfg.enabled()) return G_uS;
  if (cfg.mode == IrDropMode::kFast) return G_uS * ir_drop_fast_factors(G_uS, cfg.r_wire_ohm);
  // exact: the network is linear, so the response to the unit input vectors is the transfer matrix.
  const int64_t T = G_uS.size(0), R = G_uS.size(1), C = G_uS.size(2);
  const int64_t rows = std::min<int64_t>(R, 64);                                    // unit inputs per solve
  const int64_t tiles = std::max<int64_t>(1, (int64_t{1} << 22) / (rows * R * C));  // ~4M nodes per solve
  auto out = at::empty_like(G_uS);
  for (int64_t t0 = 0; t0 < T; t0 += tiles) {
    const int64_t nt = std::min(tiles, T - t0);
    const auto G = G_uS.narrow(0, t0, nt);
    for (int64_t j0 = 0; j0 < R; j0 += rows) {
      const int64_t nj = std::min(rows, R - j0);
      auto V = at::zeros({nt, nj, R}, G_uS.options());
      V.narrow(2, j0, nj).copy_(at::eye(nj, G_uS.options()));
      out.narrow(0, t0, nt).narrow(1, j0, nj).copy_(solve_crossbar_currents(G, V, cfg));
    }
  }
  return out;
}

}  // namespace cimtrain::sim
