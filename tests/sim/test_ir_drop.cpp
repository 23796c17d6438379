// Tests of the IR-drop models: exact solver vs a dense nodal solve, fast cumsum factors vs their reference,
// and the measured accuracy of the first-order model against the exact solver.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/strict_json.h"
#include "sim/ir_drop.h"
#include "sim/read_operands.h"

namespace cimtrain::sim {
namespace {

at::Tensor uniform(std::vector<int64_t> shape, double lo, double hi, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::empty(shape, at::kDouble).uniform_(lo, hi, gen);
}

double rel(const at::Tensor& a, const at::Tensor& b, const at::Tensor& ref) {
  return (a - b).norm().item<double>() / ref.norm().item<double>();
}

// Sense currents [T,B,C] in uA from the full 2RC x 2RC nodal system, built node by node and solved densely.
at::Tensor dense_reference(const at::Tensor& G /*[T,R,C] uS*/, const at::Tensor& V /*[T,B,R] V*/, double r_ohm) {
  const int64_t T = G.size(0), R = G.size(1), C = G.size(2), B = V.size(1), N = 2 * R * C;
  const double gw = 1e6 / r_ohm;
  auto out = at::empty({T, B, C}, at::kDouble);
  for (int64_t t = 0; t < T; ++t) {
    auto M = at::zeros({N, N}, at::kDouble);
    auto rhs = at::zeros({N, B}, at::kDouble);
    auto m = M.accessor<double, 2>();
    auto f = rhs.accessor<double, 2>();
    const auto Gt = G[t].contiguous(), Vt = V[t].contiguous();
    auto g = Gt.accessor<double, 2>();
    auto v = Vt.accessor<double, 2>();
    auto word = [&](int64_t j, int64_t k) { return j * C + k; };
    auto bit = [&](int64_t j, int64_t k) { return R * C + j * C + k; };
    auto stamp = [&](int64_t a, int64_t c, double y) {  // conductance y between nodes a and c
      m[a][a] += y, m[c][c] += y, m[a][c] -= y, m[c][a] -= y;
    };
    for (int64_t j = 0; j < R; ++j) {
      m[word(j, 0)][word(j, 0)] += gw;  // driver at V[j] through one segment
      for (int64_t q = 0; q < B; ++q) f[word(j, 0)][q] += gw * v[q][j];
      for (int64_t k = 0; k < C; ++k) {
        stamp(word(j, k), bit(j, k), g[j][k]);
        if (k + 1 < C) stamp(word(j, k), word(j, k + 1), gw);
        if (j + 1 < R) stamp(bit(j, k), bit(j + 1, k), gw);
      }
    }
    for (int64_t k = 0; k < C; ++k) m[bit(R - 1, k)][bit(R - 1, k)] += gw;  // sense amplifier at 0 V
    const auto x = at::linalg_solve(M, rhs);                                // [N, B]
    out[t] = gw * x.narrow(0, R * C + (R - 1) * C, C).t();                  // current into the sense amp
  }
  return out;
}

IrDropConfig exact_config(double r_ohm, double tol = 1e-12) {
  IrDropConfig cfg;
  cfg.mode = IrDropMode::kExact;
  cfg.r_wire_ohm = r_ohm;
  cfg.solver_tolerance = tol;
  return cfg;
}

TEST(IrDropConfig, DefaultsValidAndJsonRoundTrip) {
  IrDropConfig cfg;
  EXPECT_NO_THROW(cfg.validate());
  EXPECT_TRUE(cfg.enabled());
  cfg.mode = IrDropMode::kExact;
  cfg.r_wire_ohm = 2.5;
  cfg.solver_tolerance = 1e-7;
  cfg.solver_max_iterations = 77;
  const nlohmann::json j = cfg;
  const auto back = cimtrain::common::parse_strict<IrDropConfig>(j, "ir_drop");
  EXPECT_EQ(back.mode, IrDropMode::kExact);
  EXPECT_EQ(back.r_wire_ohm, 2.5);
  EXPECT_EQ(back.solver_tolerance, 1e-7);
  EXPECT_EQ(back.solver_max_iterations, 77);
  EXPECT_FALSE(cimtrain::common::parse_strict<IrDropConfig>(nlohmann::json{{"mode", "off"}}, "ir_drop").enabled());
  EXPECT_FALSE(cimtrain::common::parse_strict<IrDropConfig>(nlohmann::json{{"r_wire_ohm", 0.0}}, "ir_drop").enabled());
}

TEST(IrDropConfig, RejectsBadValues) {
  auto expect_reject = [](const IrDropConfig& cfg, const std::string& needle) {
    try {
      cfg.validate();
      ADD_FAILURE() << "accepted a config that should fail with '" << needle << "'";
    } catch (const cimtrain::common::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  IrDropConfig cfg;
  cfg.r_wire_ohm = -1.0;
  expect_reject(cfg, "r_wire_ohm");
  cfg.r_wire_ohm = std::nan("");
  expect_reject(cfg, "r_wire_ohm");
  cfg = IrDropConfig{};
  cfg.solver_tolerance = 0.0;
  expect_reject(cfg, "solver_tolerance");
  cfg = IrDropConfig{};
  cfg.solver_max_iterations = 0;
  expect_reject(cfg, "solver_max_iterations");
  EXPECT_THROW(cimtrain::common::parse_strict<IrDropConfig>(nlohmann::json{{"r_wire", 1.0}}, "ir_drop"),
               cimtrain::common::ConfigError);
}

TEST(IrDropExact, MatchesDenseNodalSolve) {
  auto G = uniform({2, 5, 4}, 1.0, 100.0, 1);
  G[1][2][3] = 0.0;  // non-conducting cells, including the open end of a word line and of a bit line
  G[1][0][3] = 0.0;
  G[0][0][1] = 0.0;
  const auto V = uniform({2, 3, 5}, 0.0, 0.2, 2);
  const auto G2 = uniform({1, 14, 11}, 1.0, 100.0, 3);  // larger and strongly coupled: over-relaxed
  const auto V2 = uniform({1, 2, 14}, -0.2, 0.2, 4);
  bool over_relaxed = false;
  for (const auto& [g, v] : {std::pair{G, V}, std::pair{G2, V2}}) {
    for (double r : {0.5, 10.0, 1000.0}) {
      const auto ref = dense_reference(g, v, r);
      CrossbarSolveInfo info;
      const auto I = solve_crossbar_currents(g, v, exact_config(r), &info);
      EXPECT_LT(rel(I, ref, ref), 1e-9) << "r_wire " << r << " ohm, " << info.iterations << " sweeps";
      // The effect must be visible for the comparison to mean something.
      EXPECT_GT(rel(at::matmul(v, g), ref, ref), 1e-5 * r) << "r_wire " << r;
      over_relaxed = over_relaxed || info.omega > 1.1;
    }
  }
  EXPECT_TRUE(over_relaxed);
}

TEST(IrDropExact, ZeroWireIsIdealAndZeroInputIsZero) {
  const auto G = uniform({3, 16, 8}, 1.0, 100.0, 3);
  const auto V = uniform({3, 4, 16}, 0.0, 0.2, 4);
  EXPECT_TRUE(at::equal(solve_crossbar_currents(G, V, exact_config(0.0)), at::matmul(V, G)));
  const auto Gf = G.to(at::kFloat), Vf = V.to(at::kFloat);
  const auto If = solve_crossbar_currents(Gf, Vf, exact_config(1.0, 1e-9));
  EXPECT_EQ(If.scalar_type(), at::kFloat);
  EXPECT_EQ(If.sizes(), (std::vector<int64_t>{3, 4, 8}));
  const auto I0 = solve_crossbar_currents(G, at::zeros_like(V), exact_config(1.0));
  EXPECT_TRUE(at::equal(I0, at::zeros({3, 4, 8}, at::kDouble)));
}

TEST(IrDropExact, ThrowsWhenNotConverged) {
  const auto G = uniform({1, 32, 32}, 1.0, 100.0, 5);
  const auto V = uniform({1, 2, 32}, 0.0, 0.2, 6);
  auto cfg = exact_config(5.0);
  cfg.solver_max_iterations = 2;
  try {
    solve_crossbar_currents(G, V, cfg);
    ADD_FAILURE() << "expected no convergence in 2 sweeps";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no convergence after 2 sweeps"), std::string::npos) << e.what();
  }
}

TEST(IrDropExact, RejectsMismatchedShapes) {
  const auto G = at::ones({2, 5, 4}, at::kDouble);
  for (const auto& V :
       {at::ones({2, 3, 4}, at::kDouble), at::ones({3, 3, 5}, at::kDouble), at::ones({3, 5}, at::kDouble)}) {
    try {
      solve_crossbar_currents(G, V, exact_config(1.0));
      ADD_FAILURE() << "accepted V of shape " << V.sizes();
    } catch (const c10::Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("[2, 5, 4]"), std::string::npos) << msg;
      std::ostringstream vs;
      vs << V.sizes();
      EXPECT_NE(msg.find(vs.str()), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(ir_drop_fast_factors(at::ones({5, 4}, at::kDouble), 1.0), c10::Error);
  EXPECT_THROW(ir_drop_fast_factors(G, -1.0), c10::Error);
}

TEST(IrDropFast, CumsumFactorsMatchReference) {
  const auto G = uniform({3, 37, 23}, 0.0, 100.0, 7);
  for (double r : {0.0, 0.3, 2.0}) {
    const auto F = ir_drop_fast_factors(G, r), ref = ir_drop_fast_factors_reference(G, r);
    EXPECT_LT((F - ref).abs().max().item<double>(), 1e-10) << "r_wire " << r;
  }
  EXPECT_TRUE(at::equal(ir_drop_fast_factors(G, 0.0), at::ones_like(G)));
  EXPECT_EQ(ir_drop_fast_factors(G.to(at::kFloat), 1.0).scalar_type(), at::kFloat);
  // Large r: the factor stays in (0, 1] and falls as r grows.
  EXPECT_GT(ir_drop_fast_factors(G, 1e4).min().item<double>(), 0.0);
  EXPECT_TRUE(at::all(ir_drop_fast_factors(G, 1e4) < ir_drop_fast_factors(G, 1.0)).item<bool>());
}

// Exact transfer matrix: V @ G_eff reproduces the solver for any input (R = 70 > 64 exercises the chunks).
TEST(IrDropExact, EffectiveConductance) {
  const auto G = uniform({2, 70, 12}, 1.0, 100.0, 8);
  const auto V = uniform({2, 5, 70}, -0.2, 0.2, 9);
  auto cfg = exact_config(2.0);
  const auto I = solve_crossbar_currents(G, V, cfg);
  EXPECT_LT(rel(at::matmul(V, ir_drop_effective_conductance(G, cfg)), I, I), 1e-9);
  cfg.mode = IrDropMode::kFast;
  EXPECT_TRUE(at::equal(ir_drop_effective_conductance(G, cfg), G * ir_drop_fast_factors(G, 2.0)));
  cfg.mode = IrDropMode::kOff;
  EXPECT_TRUE(at::equal(ir_drop_effective_conductance(G, cfg), G));
}

// The fast model must be exact to first order: its error vs the exact solver scales as r^2 while the
// error of no model scales as r (small r, where third-order terms are < 1% of the second-order ones).
TEST(IrDropFast, ErrorIsSecondOrderInWireResistance) {
  const auto G = uniform({1, 64, 64}, 1.0, 100.0, 30);
  const auto V = uniform({1, 8, 64}, 0.0, 0.2, 31);
  const auto ideal = at::matmul(V, G);
  double fast_err[2], none_err[2];
  for (int i = 0; i < 2; ++i) {
    const double r = 0.01 * (i + 1);
    const auto exact = solve_crossbar_currents(G, V, exact_config(r));
    fast_err[i] = rel(at::matmul(V, G * ir_drop_fast_factors(G, r)), exact, exact);
    none_err[i] = rel(ideal, exact, exact);
  }
  EXPECT_NEAR(fast_err[1] / fast_err[0], 4.0, 0.2);
  EXPECT_NEAR(none_err[1] / none_err[0], 2.0, 0.1);
}

// First-order model vs the exact solver on realistic tiles (G uniform in [1, 100] uS, V in [0, 0.2] V).
// e_none = |I_ideal - I_exact| / |I_exact| (the size of the IR-drop effect), e_fast = |I_fast - I_exact| /
// |I_exact|, share = |I_fast - I_exact| / |I_ideal - I_exact| (the part of the effect the model misses).
// Measured with these seeds:
//   n    r=0.1            r=0.5            r=1              r=2              r=5      [ohm]
//   64   e_none 0.0144    0.0716           0.142            0.280            0.674
//        e_fast 1.2e-5    2.8e-4           1.0e-3           3.4e-3           0.0138   share 0.0009 .. 0.020
//   256  e_none 0.222     1.03             1.95             3.60             7.76
//        e_fast 2.2e-3    0.024            0.054            0.106            0.213    share 0.010 .. 0.030
// (The linear form F = 1 - r (A + B) missed 25 .. 99% of the effect on 256 x 256 from r = 0.5 ohm.)
// Tolerance: the fast model misses at most 5% of the effect on every tile and resistance here, at most
// 3% on 64 x 64; and while e_none < 0.5 its error is second order, e_fast <= 0.1 e_none^2.
TEST(IrDropFast, AccuracyAgainstExactSolver) {
  for (int64_t n : {64, 256}) {
    const auto G = uniform({1, n, n}, 1.0, 100.0, 10 + n);
    const auto V = uniform({1, 8, n}, 0.0, 0.2, 20 + n);
    const auto ideal = at::matmul(V, G);
    double last_none = 0.0;
    for (double r : {0.1, 0.5, 1.0, 2.0, 5.0}) {
      const auto exact = solve_crossbar_currents(G, V, exact_config(r, 1e-9));
      const auto fast = at::matmul(V, G * ir_drop_fast_factors(G, r));
      const double e_none = rel(ideal, exact, exact), e_fast = rel(fast, exact, exact);
      std::printf("IR drop %ldx%ld, r_wire %.1f ohm: e_none %.4g, e_fast %.4g, e_fast/e_none %.4g\n", (long)n, (long)n,
                  r, e_none, e_fast, rel(fast, exact, ideal - exact));
      EXPECT_GT(e_none, 1.5 * last_none) << n << "x" << n << ", r_wire " << r;  // the effect grows with r
      EXPECT_LT(e_fast, e_none) << n << "x" << n << ", r_wire " << r;           // better than no model
      const double share = rel(fast, exact, ideal - exact);
      EXPECT_LT(share, n == 64 ? 0.03 : 0.05) << n << "x" << n << ", r_wire " << r;
      if (e_none < 0.5) {
        EXPECT_LT(e_fast, 0.1 * e_none * e_none) << n << "x" << n << ", r_wire " << r;
      }
      last_none = e_none;
    }
  }
}

// The one-pass read operands (Chip's path for IR drop off or fast) against the tensor-op reference: several
// layouts (row and column tiles, bit slices, padding rows, partly used column tiles), IR drop off and fast,
// with and without read noise, including cells at 0 uS.
TEST(ReadOperands, FastPassEqualsTheReference) {
  struct Case {
    int tile_rows, tile_cols, bits_per_cell;
    int64_t inputs, outputs;
  };
  const std::vector<Case> cases = {
      {256, 256, 7, 27, 16}, {64, 32, 7, 150, 40}, {32, 24, 3, 70, 9}, {16, 256, 7, 16, 200}};
  for (const auto& c : cases) {
    MappingConfig m;
    m.tile_rows = c.tile_rows;
    m.tile_cols = c.tile_cols;
    m.bits_per_cell = c.bits_per_cell;
    const auto l = make_layout(m, c.inputs, c.outputs);
    auto g = uniform({l.slices, 2, l.padded_rows(), l.outputs}, 0.0, 50.0, 11).to(at::kFloat);
    g.view({-1}).narrow(0, 0, 7).zero_();  // some cells at 0 uS (stuck off with g_min 0)
    const auto sd = g * 0.02f;
    for (const auto mode : {IrDropMode::kOff, IrDropMode::kFast}) {
      IrDropConfig ir;
      ir.mode = mode;
      ir.r_wire_ohm = 2.0;  // a large drop, so the factors matter
      for (bool noise : {false, true}) {
        const auto ref = read_operands_reference(g, noise ? sd : at::Tensor(), l, ir);
        const auto fast = read_operands_fast(g, noise ? sd : at::Tensor(), l, ir);
        const std::string what = std::string(cimtrain::common::to_name(mode)) + (noise ? " + noise, " : ", ") +
                                 std::to_string(c.inputs) + "x" + std::to_string(c.outputs);
        ASSERT_EQ(fast.signal.sizes(), ref.signal.sizes()) << what;
        EXPECT_LT((fast.signal - ref.signal).abs().max().item<double>(), 1e-4) << what;
        ASSERT_EQ(fast.variance.defined(), noise) << what;
        if (noise) {
          EXPECT_LT((fast.variance - ref.variance).abs().max().item<double>(), 1e-5) << what;
        }
      }
    }
  }
  IrDropConfig exact;
  exact.mode = IrDropMode::kExact;
  EXPECT_THROW(read_operands_fast(at::ones({1, 2, 256, 4}), {}, make_layout(MappingConfig{}, 10, 4), exact),
               c10::Error);
}

}  // namespace
}  // namespace cimtrain::sim
