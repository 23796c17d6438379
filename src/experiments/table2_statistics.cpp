// The statistics of table2's report (see table2_statistics.h); the intervals are eval::summarize's.
#include "experiments/table2_statistics.h"

#include <fmt/core.h>

#include <cmath>
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

const Table2Entry& baseline_of(const std::vector<Table2Entry>& entries, const std::string& model) {
  const Table2Entry* b = nullptr;
  for (const auto& e : entries)
    if (e.model == model && e.method == "clean" && (!b || e.continued)) b = &e;
  if (!b) throw std::logic_error("experiment table2: no clean baseline for " + model);
  return *b;
}

const Table2Entry* ste_entry(const std::vector<Table2Entry>& entries, const std::string& model, double level) {
  const Table2Entry* found = nullptr;
  for (const auto& e : entries)
    if (e.model == model && e.method == "ste" && e.seed_offset == 0 && level_result(e, level) &&
        (!found || e.train_level == level))
      found = &e;
  return found;
}

std::vector<const Table2Entry*> seeds_of(const std::vector<Table2Entry>& entries, const Table2Entry& entry) {
  std::vector<const Table2Entry*> seeds;
  for (const auto& s : entries)
    if (s.model == entry.model && s.method == entry.method && s.continued == entry.continued &&
        s.train_level == entry.train_level)
      seeds.push_back(&s);
  return seeds;
}

std::string show(const std::string& metric, double v) {
  return metric == "perplexity" ? fmt::format("{:.3f}", v) : fmt::format("{:.2f}%", 100 * v);
}

std::string show_delta(const std::string& metric, double d) {
  // What rounds to zero is written +0 (a sum of doubles that is zero in theory may come out -1e-17).
  if (metric == "perplexity") return fmt::format("{:+.3f}", std::abs(d) < 5e-4 ? 0.0 : d);
  return fmt::format("{:+.2f}", std::abs(100 * d) < 5e-3 ? 0.0 : 100 * d);
}

std::string show_paired(const std::string& metric, const PairedDelta& d) {
  return fmt::format("{} [{}, {}]", show_delta(metric, d.mean), show_delta(metric, d.ci_low),
                     show_delta(metric, d.ci_high));
}

}  // namespace cimtrain::experiments
