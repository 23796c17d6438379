// The statistics of table2's report (see table2_statistics.h); the intervals are eval::summarize's.
#include "experiments/table2_statistics.h"

#include <fmt/core.h>

#include <stdexcept>

#include "eval/monte_carlo.h"

namespace cimtrain::experiments {

const nlohmann::json* level_result(const Table2Entry& entry, double level) {
  if (!entry.eval.contains("levels")) return nullptr;
  for (const auto& l : entry.eval.at("levels"))
    if (l.at("level").get<double>() == level) return &l;
  return nullptr;
}

std::optional<PairedDelta> paired_delta(const Table2Entry& a, const Table2Entry& b, double level) {
  const auto* la = level_result(a, level);
  const auto* lb = level_result(b, level);
  if (!la || !lb) return std::nullopt;
  const auto va = la->at("values").get<std::vector<double>>();
  const auto vb = lb->at("values").get<std::vector<double>>();
  if (va.size() != vb.size())
    throw std::runtime_error(fmt::format(
        "experiment table2: {} and {} were evaluated on {} and {} chip instances at level {:g}: they cannot be paired",
        a.dir, b.dir, va.size(), vb.size(), level));
  std::vector<double> d(va.size());
  for (size_t k = 0; k < va.size(); ++k) d[k] = va[k] - vb[k];
  const auto s = eval::summarize(level, d);
  return PairedDelta{s.mean, s.ci_low, s.ci_high, static_cast<int>(d.size())};
}

std::optional<SeedSpread> seed_spread(const std::vector<const Table2Entry*>& seeds, const Table2Entry& baseline,
                                      double level) {
  std::vector<double> means, deltas;
  double chip_std = 0;
  for (const auto* e : seeds) {
    const auto* l = level_result(*e, level);
    const auto d = paired_delta(*e, baseline, level);
    if (!l || !d) return std::nullopt;
    means.push_back(l->at("mean").get<double>());
    chip_std += l->at("std").get<double>();
    deltas.push_back(d->mean);
  }
  if (means.empty()) return std::nullopt;
  const auto m = eval::summarize(level, means);
  const auto dm = eval::summarize(level, deltas);
  SeedSpread s;
  s.seeds = static_cast<int>(means.size());
  s.mean = m.mean;
  s.seed_std = m.std;
  s.chip_std = chip_std / static_cast<double>(means.size());
  s.delta_mean = dm.mean;
  s.delta_low = dm.ci_low;
  s.delta_high = dm.ci_high;
  s.deltas = deltas;
  return s;
}

}  // namespace cimtrain::experiments
