// The accuracy budget of a checkpoint (see ablation.h).
#include "eval/ablation.h"

#include <fmt/core.h>

#include <chrono>
#include <filesystem>

#include "dist/ranks.h"
#include "common/atomic_file.h"
#include "common/errors.h"
#include "eval/metric_format.h"
#include "report/plot.h"
#include "train/checkpoint.h"
#include "train/model_setup.h"
#include "train/train_config.h"

namespace cimtrain::eval {

sim::ChipConfig evaluation_chip(const std::string& checkpoint, const EvalOptions& o) {
  if (o.chip) return *o.chip;
  const auto config = train::train_config_from_json(train::read_checkpoint_meta(checkpoint).at("config"));
  const std::string preset = o.preset.empty() ? config.preset : o.preset;
  const std::string file = !o.chip_config.empty() ? o.chip_config : (o.preset.empty() ? config.chip_config : "");
  return train::chip_for(preset, file, config.level);
}

AblationResult run_ablation_variants(const EvalOptions& o) {
  validate_eval_options(o);
  if (o.checkpoints.size() != 1)
    throw common::ConfigError(fmt::format("--ablation evaluates one checkpoint, found {}", o.checkpoints.size()));
  if (o.noise != EvalNoise::kChip) throw common::ConfigError("--ablation takes the chip's non-idealities: --noise chip");
  const auto start = std::chrono::steady_clock::now();
  AblationResult r;
  r.chip = evaluation_chip(o.checkpoints.front(), o);
  r.components = sim::enabled_nonidealities(r.chip);
  std::vector<std::pair<AblationVariant, sim::ChipConfig>> plan = {{{"all", "", {}}, r.chip},
                                                                   {{"ideal", "", {}}, sim::ideal_config(r.chip)}};
  for (const auto& c : r.components) {
    plan.push_back({{"only", c, {}}, sim::only_nonideality(r.chip, c)});
    plan.push_back({{"without", c, {}}, sim::without_nonideality(r.chip, c)});
  }
  for (size_t i = 0; i < plan.size(); ++i) {
    auto variant = plan[i].first;
    EvalOptions vo = o;
    vo.chip = plan[i].second;
    variant.result = evaluate_checkpoint(o.checkpoints.front(), vo, static_cast<int>(i), static_cast<int>(plan.size()));
    r.variants.push_back(std::move(variant));
  }
  r.metric = r.variants.front().result.metric;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

namespace {
const AblationVariant& variant_of(const AblationResult& r, const std::string& kind) {
  for (const auto& v : r.variants)
    if (v.kind == kind) return v;
  throw std::logic_error("ablation without a '" + kind + "' variant");
}
// Short names for the bar chart's axis.
std::string short_name(const std::string& component) {
  if (component == "device_nonlinearity") return "I-V law";
  if (component == "programming_noise") return "programming";
  if (component == "read_noise") return "read noise";
  if (component == "ir_drop") return "IR drop";
  if (component == "dac") return "DAC";
  if (component == "adc") return "ADC";
  return component;
}
double better_by(const AblationResult& r, double a, double b) { return format_of(r.metric).higher_is_better ? a - b : b - a; }
}  // namespace

double lost_vs_ideal(const AblationResult& r, const AblationVariant& v, size_t i) {
  return better_by(r, variant_of(r, "ideal").result.levels.at(i).mean, v.result.levels.at(i).mean);
}

double regained_vs_all(const AblationResult& r, const AblationVariant& v, size_t i) {
  return better_by(r, v.result.levels.at(i).mean, variant_of(r, "all").result.levels.at(i).mean);
}

nlohmann::json ablation_json(const AblationResult& r, const EvalOptions& o) {
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : r.variants) {
    nlohmann::json levels = nlohmann::json::array(), lost = nlohmann::json::array(), regained = nlohmann::json::array();
    for (size_t i = 0; i < v.result.levels.size(); ++i) {
      levels.push_back(to_json(v.result.levels[i]));
      lost.push_back(lost_vs_ideal(r, v, i));
      regained.push_back(regained_vs_all(r, v, i));
    }
    variants.push_back({{"kind", v.kind}, {"component", v.component}, {"levels", levels}, {"lost_vs_ideal", lost},
                        {"regained_vs_all", regained}});
  }
  const auto& first = r.variants.front().result;
  return {{"format", "cimtrain.ablation"},     {"version", 1},
          {"metric", r.metric},                {"checkpoint", first.path},
          {"model", first.config.model},       {"float", first.clean},
          {"levels", evaluated_levels(o)},     {"instances", o.instances},
          {"seed", o.seed},                    {"time_s", o.time_s},
          {"temperature_K", o.temperature_K},  {"calibration", first.calibration},
          {"batchnorm", first.batchnorm},      {"calibrate_output", o.calibrate_output},
          {"test_items", first.test_items},    {"components", r.components},
          {"chip", nlohmann::json(r.chip)},    {"variants", variants},
          {"seconds", r.seconds}};
}

void print_ablation_table(const AblationResult& r, const EvalOptions& o) {
  const auto f = format_of(r.metric);
  const auto& first = r.variants.front().result;
  const auto& levels = evaluated_levels(o);
  fmt::print("{} ablation of {} ({}, float {} {}), chip {}, t = {:g} s, T = {:g} K, {} {}, {} instances per "
             "level{}{}\n",
             f.name, first.path, first.config.model, f.name, show(f, first.clean), r.chip.preset, o.time_s,
             o.temperature_K, first.test_items, f.items, o.instances,
             first.batchnorm > 0 ? fmt::format(", BatchNorm re-estimated on {} images", first.batchnorm) : "",
             o.calibrate_output ? ", output gain and offset calibrated" : "");
  for (size_t i = 0; i < levels.size(); ++i) {
    fmt::print("\nlevel {:g}: all {}  ideal chip {}\n", levels[i], show(f, variant_of(r, "all").result.levels[i].mean),
               show(f, variant_of(r, "ideal").result.levels[i].mean));
    fmt::print("  {:<20} {:>22} {:>22}\n", "non-ideality", "alone (vs ideal chip)", "all but it (vs all)");
    for (const auto& c : r.components) {
      std::string alone, without;
      for (const auto& v : r.variants) {
        if (v.component != c) continue;
        const auto cell = show(f, v.result.levels[i].mean) + " (" +
                          show_delta(f, v.kind == "only" ? -lost_vs_ideal(r, v, i) : regained_vs_all(r, v, i)) + ")";
        (v.kind == "only" ? alone : without) = cell;
      }
      fmt::print("  {:<20} {:>22} {:>22}\n", c, alone, without);
    }
  }
  fmt::print("\n{} evaluations in {:.0f} s\n", r.variants.size(), r.seconds);
}

bool plot_ablation(const AblationResult& r, const EvalOptions& o, const std::string& png_path) {
  const auto f = format_of(r.metric);
  const auto& levels = evaluated_levels(o);
  std::vector<report::Series> series;
  for (const std::string kind : {"only", "without"})
    for (size_t i = 0; i < levels.size(); ++i) {
      report::Series s{fmt::format("{} L{:g}", kind == "only" ? "lost alone" : "regained without it", levels[i]),
                       {}, {}, {}};
      for (const auto& c : r.components)
        for (const auto& v : r.variants)
          if (v.kind == kind && v.component == c)
            s.y.push_back((kind == "only" ? lost_vs_ideal(r, v, i) : regained_vs_all(r, v, i)) * f.scale);
      series.push_back(std::move(s));
    }
  const auto& first = r.variants.front().result;
  report::PlotSpec spec{fmt::format("{} on chip {}: {} per non-ideality", first.config.model, r.chip.preset, f.name),
                        "non-ideality", f.unit.empty() ? "perplexity" : "points of accuracy"};
  std::vector<std::string> labels;
  for (const auto& c : r.components) labels.push_back(short_name(c));
  return report::plot_bars_png(png_path, spec, labels, series);
}

void run_ablation(const EvalOptions& o) {
  check_eval_outputs(o);
  const auto r = run_ablation_variants(o);
  if (!dist::Ranks::world().writes_outputs()) return;  // rank 0 writes the table, JSON and plot of all ranks
  const std::string png =
      !o.plot.empty() ? o.plot : (std::filesystem::path(o.checkpoints.front()).parent_path() / "ablation.png").string();
  const bool plotted = plot_ablation(r, o, png);
  auto j = ablation_json(r, o);
  if (plotted) j["plot"] = png;
  if (!o.json_out.empty()) common::write_file(o.json_out, j.dump(2) + "\n");
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  print_ablation_table(r, o);
  if (plotted) fmt::print("plot: {}\n", png);
}

}  // namespace cimtrain::eval
