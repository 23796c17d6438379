// The generated reading of table2's results (see table2_reading.h). A difference counts when its 95% interval
// excludes zero: over the chip instances for one trained model, over the training seeds for the method (a gain
// "beyond the spread over training seeds").
#include "experiments/table2_reading.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

#include "experiments/paper_reference.h"
#include "experiments/table2_statistics.h"

namespace cimtrain::experiments {

namespace {

// "better by +2.10 [+1.50, +2.70]", "worse by ...", or "not told apart: +0.30 [-0.20, +0.80]" (accuracy: higher is
// better; perplexity: lower).
std::string verdict(const std::string& metric, const PairedDelta& d) {
  const bool lower_is_better = metric == "perplexity";
  const bool better = lower_is_better ? d.ci_high < 0 : d.ci_low > 0;
  const bool worse = lower_is_better ? d.ci_low > 0 : d.ci_high < 0;
  const std::string shown = show_paired(metric, d);
  return better ? "better by " + shown : worse ? "worse by " + shown : "not told apart: " + shown;
}

// The STE (of each level) minus `other`, at every level where both were evaluated.
std::vector<std::pair<double, PairedDelta>> ste_minus(const Table2Options& o, const std::vector<Table2Entry>& entries,
                                                      const std::string& model, const Table2Entry& other) {
  std::vector<std::pair<double, PairedDelta>> out;
  for (const double level : o.levels)
    if (const auto* s = ste_entry(entries, model, level))
      if (const auto d = paired_delta(*s, other, level)) out.emplace_back(level, *d);
  return out;
}

// "level 1: better by ...; level 2: ...".
std::string per_level(const std::string& metric, const std::vector<std::pair<double, PairedDelta>>& deltas) {
  std::string md;
  for (const auto& [level, d] : deltas)
    md += fmt::format("{}level {:g}: {}", md.empty() ? "" : "; ", level, verdict(metric, d));
  return md;
}

// The STE's training seeds at --seeds-level minus `other`, with the 95% interval over the seeds: whether the
// difference is beyond the spread over training seeds (the interval excludes zero) or within it; "" without
// several seeds there.
std::string over_seeds(const Table2Options& o, const std::vector<Table2Entry>& entries, const std::string& model,
                       const Table2Entry& other) {
  const auto* s = ste_entry(entries, model, o.seeds_level);
  if (!s) return "";
  const auto seeds = seeds_of(entries, *s);
  if (seeds.size() < 2) return "";
  const auto spread = seed_spread(seeds, other, o.seeds_level);
  if (!spread) return "";
  const PairedDelta d{spread->delta_mean, spread->delta_low, spread->delta_high, spread->seeds};
  const bool within = d.ci_low <= 0 && d.ci_high >= 0;
  return fmt::format(" Over the {} training seeds at level {:g}: {} ({} the spread over training seeds).",
                     spread->seeds, o.seeds_level, verdict(other.eval.at("metric"), d),
                     within ? "within" : "beyond");
}

// Whether the paper's claim holds for one CIFAR-10 model: the STE beats clean training at every level of the
// paper's (1, 2, 3) evaluated here (interval above zero), and how its gains compare with the paper's span; "" when
// none of those levels was evaluated.
std::string paper_claim(const std::vector<std::pair<double, PairedDelta>>& deltas) {
  std::vector<std::string> held, failed;
  std::string gains;
  bool inside = true, below = false;
  for (const auto& [level, d] : deltas) {
    if (level != 1 && level != 2 && level != 3) continue;
    (d.ci_low > 0 ? held : failed).push_back(fmt::format("{:g}", level));
    const double points = 100 * d.mean;
    gains += fmt::format("{}{:+.2f}", gains.empty() ? "" : ", ", points);
    inside = inside && points >= kPaperTable2DeltaLow && points <= kPaperTable2DeltaHigh;
    below = below || points < kPaperTable2DeltaLow;
  }
  if (held.empty() && failed.empty()) return "";
  const auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t k = 0; k < v.size(); ++k) s += (k == 0 ? "" : k + 1 == v.size() ? " and " : ", ") + v[k];
    return s;
  };
  const std::string holds = failed.empty() ? "holds here at every level"
                            : held.empty() ? "does not hold here at any level"
                                           : "holds here at level(s) " + join(held) + ", not at " + join(failed);
  return fmt::format(
      " The paper's claim (the STE beats clean training at every level, by +{:.2f} to +{:.2f} points) {}; the "
      "gains here ({} points) are {} the paper's span.",
      kPaperTable2DeltaLow, kPaperTable2DeltaHigh, holds, gains,
      inside ? "within" : below ? "partly or wholly below" : "partly or wholly above");
}

}  // namespace

std::string reading_section(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::vector<std::string> models;
  for (const auto& e : entries)
    if (e.method == "ste" && std::find(models.begin(), models.end(), e.model) == models.end())
      models.push_back(e.model);
  if (models.empty()) return "";
  std::string md =
      "\n## Reading\n\nGenerated from the numbers above. A difference counts when its 95% interval excludes zero: "
      "the interval over the chip instances says it for the trained models compared; the one over the training "
      "seeds (where there are several) says it for the method: a difference beyond the spread over training "
      "seeds is one whose interval over the seeds excludes zero.\n\n";
  for (const auto& model : models) {
    const auto& baseline = baseline_of(entries, model);
    const std::string metric = baseline.eval.at("metric");
    const auto gains = ste_minus(o, entries, model, baseline);
    if (gains.empty()) continue;  // no STE model shares a level with the baseline
    md += fmt::format("- **{}**, the STE against clean training ({}, float {}): {}.{}", model, table2_label(baseline),
                      show(metric, baseline.eval.at("clean").get<double>()), per_level(metric, gains),
                      over_seeds(o, entries, model, baseline));
    // The paper's claim is about CIFAR-10 test accuracy.
    if (metric == "accuracy" && o.data == "cifar10" && paper_table2_row(model)) md += paper_claim(gains);
    md += "\n";
    for (const auto& other : entries) {
      if (other.model != model || other.method == "ste" || other.method == "clean" || other.seed_offset != 0)
        continue;
      const auto against = ste_minus(o, entries, model, other);
      if (!against.empty())
        md += fmt::format("- **{}**, the STE against {}: {}.{}\n", model, table2_label(other),
                          per_level(metric, against), over_seeds(o, entries, model, other));
    }
  }
  return md;
}

}  // namespace cimtrain::experiments
