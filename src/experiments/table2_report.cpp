// The report of `cimtrain experiment table2` (table2.cpp plans and runs it): table2.csv (one row per model,
// method and evaluated level), table2.json, summary.md (the table with paired deltas against the baseline and
// their 95% intervals, the training seeds' spread, the STE against each method, the paper's numbers beside ours,
// the cost) and table2.png (the metric against the noise level, error bars over chip instances).
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "experiments/paper_reference.h"
#include "experiments/table2.h"
#include "experiments/table2_reading.h"
#include "experiments/table2_statistics.h"
#include "report/plot.h"
#include "report/report_files.h"

namespace cimtrain::experiments {

namespace {

bool matched_levels(const Table2Options& o) { return o.train_level == "matched"; }

double mean_at(const nlohmann::json& l) { return l.at("mean").get<double>(); }
double std_at(const nlohmann::json& l) { return l.at("std").get<double>(); }

std::string optimizer_summary(const Table2Options& o) {
  if (!o.optimizer && !o.lr && !o.weight_decay)
    return "each model's usual optimiser (vision: SGD, Nesterov momentum 0.9, lr 0.1, weight decay 5e-4; text: Adam "
           "2e-3, no weight decay, gradients clipped to norm 1), cosine schedule";
  return fmt::format("optimiser {}, lr {}, weight decay {} (unset: the model's usual), cosine schedule",
                     o.optimizer ? common::to_name(*o.optimizer) : "usual", o.lr ? fmt::format("{:g}", *o.lr) : "usual",
                     o.weight_decay ? fmt::format("{:g}", *o.weight_decay) : "usual");
}

std::string budget_summary(const Table2Options& o) {
  return o.fine_tune > 0
             ? fmt::format(
                   "clean training {} epoch(s), then {} epoch(s) of fine-tuning at {:g}x the learning rate for "
                   "every method; the baseline is the clean model continued the same {} epoch(s) without noise",
                   o.epochs ? std::to_string(*o.epochs) : "the model's usual", o.fine_tune, o.fine_tune_lr, o.fine_tune)
             : fmt::format("every model trained from scratch for {} epoch(s)",
                           o.epochs ? std::to_string(*o.epochs) : "the model's usual number of (vision 10, text 5)");
}

std::string table2_csv(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::string csv =
      "model,method,train_level,train_seed,metric,float,level,mean,std,ci_low,ci_high,delta_vs_baseline,"
      "delta_ci_low,delta_ci_high,instances,test_items,train_seconds,train_wall_seconds,wall_since_step,eval_seconds,"
      "run_dir\n";
  for (const auto& e : entries) {
    const auto& b = baseline_of(entries, e.model);
    const std::string metric = e.eval.at("metric");
    const auto items = e.eval.value(metric == "perplexity" ? "validation_characters" : "test_images", int64_t{0});
    for (const double level : o.levels) {
      const auto* l = level_result(e, level);
      if (!l) continue;
      const auto d = paired_delta(e, b, level).value_or(PairedDelta{});
      csv += fmt::format("{},{},{},{},{},{:.6f},{:g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{:.1f},"
                         "{:.1f},{},{:.1f},{}\n",
                         e.model, e.method == "clean" ? table2_label(e) : e.method, e.train_level,
                         o.seed + e.seed_offset, metric, e.eval.at("clean").get<double>(), level, mean_at(*l),
                         std_at(*l), l->at("ci95").at(0).get<double>(), l->at("ci95").at(1).get<double>(), d.mean,
                         d.ci_low, d.ci_high, l->at("values").size(), items, e.train_seconds, e.train_wall_seconds,
                         e.wall_since_step, e.eval_seconds, e.dir);
    }
  }
  return csv;
}

nlohmann::json table2_json(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : entries)
    rows.push_back({{"model", e.model},
                    {"method", e.method},
                    {"label", table2_label(e)},
                    {"train_level", e.train_level},
                    {"train_seed", o.seed + e.seed_offset},
                    {"run_dir", e.dir},
                    {"train_seconds", e.train_seconds},
                    {"train_wall_seconds", e.train_wall_seconds},
                    {"wall_since_step", e.wall_since_step},
                    {"gaussian_sigma", e.gaussian_sigma > 0 ? nlohmann::json(e.gaussian_sigma) : nlohmann::json()},
                    {"eval_seconds", e.eval_seconds},
                    {"eval", e.eval}});
  return {{"experiment", "table2"},
          {"command", report::invocation()},
          {"machine", report::machine_summary()},
          {"budget", budget_summary(o)},
          {"levels", o.levels},
          {"instances", o.instances},
          {"train_level", o.train_level},
          {"rows", rows}};
}

// What the evaluations read: "all 10000 test images" (the count from an evaluation), the first N, and for the
// language models every validation window or the first N.
std::string evaluated_items(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  int64_t images = 0;
  bool text = false;
  for (const auto& e : entries) {
    if (e.eval.value("metric", "") == "perplexity")
      text = true;
    else
      images = std::max(images, e.eval.value("test_images", int64_t{0}));
  }
  std::string vision = o.eval_limit > 0 ? fmt::format("the first {} test images", o.eval_limit)
                       : images > 0     ? fmt::format("all {} test images", images)
                                        : "the whole test set";
  if (!text) return vision;
  const std::string windows = o.eval_limit > 0 ? fmt::format("the first {} validation windows", o.eval_limit)
                                               : "every validation window";
  return images > 0 ? vision + " (gpt/bert: " + windows + ")" : windows;
}

// Where the noise-aware models were trained: the option, with the runs it does not describe named (a method
// pinned to another level, a method with a noise model of its own), and gaussian's measured sigma.
std::string training_levels_summary(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::string md = matched_levels(o) ? "the level they are evaluated at" : "level " + o.train_level;
  std::vector<std::string> notes;
  const auto note = [&](const std::string& text) {
    if (std::find(notes.begin(), notes.end(), text) == notes.end()) notes.push_back(text);
  };
  for (const auto& e : entries) {
    if (e.seed_offset != 0 || e.method == "clean") continue;
    const bool pinned =
        e.train_level >= 0 && !e.per_level && (matched_levels(o) || e.train_level != std::stod(o.train_level));
    if (pinned) note(fmt::format("{} at level {:g} only, evaluated at every level", e.method, e.train_level));
    if (e.train_level < 0) note(e.method + " with its own noise model, not on the chip, evaluated at every level");
    if (e.method == "gaussian")
      note(e.gaussian_sigma > 0 ? fmt::format("{}'s gaussian sigma {:.4f} x max|W|, the weight noise with the output "
                                              "error of the chip at level {:g} on a random test layer",
                                              e.model, e.gaussian_sigma, e.train_level)
                                : e.model + "'s gaussian sigma not recorded (trained before it was)");
  }
  for (const auto& n : notes) md += "; " + n;
  return md;
}

// The summary's title and what was run: command, machine, budget, evaluation.
std::string summary_intro(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::string md = "# Accuracy under chip noise (the paper's Table II)\n\n";
  md += fmt::format("- Command: `{}`\n", report::invocation());
  md += fmt::format("- Machine: {}\n", report::machine_summary());
  md += fmt::format("- Budget: {}; training data {}; {}; {}.\n", budget_summary(o),
                    o.subset > 0 ? fmt::format("the first {} examples (gpt/bert: characters)", o.subset) : "all of it",
                    o.batch ? fmt::format("batch {}", *o.batch) : "each model's usual batch (vision 128, text 32)",
                    optimizer_summary(o));
  md += fmt::format(
      "- Evaluation: chip preset {}, {} instance(s) per level (the same instances for every model: seed {}), {}; "
      "ranges calibrated once per instance ({}). Noise-aware models trained at {}.\n",
      o.preset, o.instances, o.seed, evaluated_items(o, entries),
      o.calibration ? fmt::format("{} examples", *o.calibration) : "512 training images / 64 windows",
      training_levels_summary(o, entries));
  if (o.seeds > 1)
    md += fmt::format("- Training seeds: {} for {} at --seeds-level {:g} (seeds {}..{}); every other run seed {}.\n",
                      o.seeds, o.methods.front(), o.seeds_level, o.seed, o.seed + o.seeds - 1, o.seed);
  md +=
      "- Values are means +- standard deviation over the chip instances; delta = the method minus the baseline, "
      "paired over the same instances (instance k of one minus instance k of the other), with the 95% interval of "
      "the mean paired difference in brackets (Student t over the instances; accuracy: points, higher is better; "
      "perplexity: lower is better).\n\n";
  return md;
}

// The table: per entry its float value, then per level its value and paired delta against the baseline, then
// its cost.
std::string results_table(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::vector<std::string> header = {"model", "method", "float"};
  for (const double l : o.levels) {
    header.push_back(fmt::format("level {:g}", l));
    header.push_back("delta [95%]");
  }
  header.push_back("training s (wall)");
  header.push_back("evaluation s");
  std::vector<std::vector<std::string>> table;
  for (const auto& e : entries) {
    const std::string metric = e.eval.at("metric");
    const auto& b = baseline_of(entries, e.model);
    std::vector<std::string> row = {e.model, table2_label(e), show(metric, e.eval.at("clean").get<double>())};
    for (const double level : o.levels) {
      const auto* l = level_result(e, level);
      row.push_back(l ? show(metric, mean_at(*l)) + " +- " + show(metric, std_at(*l)) : "");
      const auto d = &e == &b ? std::nullopt : paired_delta(e, b, level);
      row.push_back(d ? show_paired(metric, *d) : "");
    }
    row.push_back(fmt::format("{}{:.0f}", e.wall_since_step > 0 ? ">= " : "", e.train_wall_seconds));
    row.push_back(e.eval_seconds > 0 ? fmt::format("{:.0f}", e.eval_seconds) : "-");
    table.push_back(row);
  }
  return report::markdown_table(header, table);
}

// The spread over training seeds (--seeds): per method trained with several, at each level its seeds were
// evaluated at, beside the spread over chip instances; "" when no method has several seeds.
std::string seeds_section(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries) {
    if (e.seed_offset != 0 || e.method == "clean") continue;
    const auto seeds = seeds_of(entries, e);
    if (seeds.size() < 2) continue;
    const std::string metric = e.eval.at("metric");
    for (const double level : o.levels) {
      const auto spread = seed_spread(seeds, baseline_of(entries, e.model), level);
      if (!spread) continue;
      std::string each;
      for (const double d : spread->deltas) each += (each.empty() ? "" : ", ") + show_delta(metric, d);
      rows.push_back({e.model, table2_label(e), fmt::format("{:g}", level), std::to_string(spread->seeds),
                      show(metric, spread->mean), show(metric, spread->seed_std), show(metric, spread->chip_std),
                      each,
                      fmt::format("{} [{}, {}]", show_delta(metric, spread->delta_mean),
                                  show_delta(metric, spread->delta_low), show_delta(metric, spread->delta_high))});
    }
  }
  if (rows.empty()) return "";
  return "\n## The spread over training seeds\n\nThe same method fine-tuned with different seeds (data order, "
         "augmentation, the chip instances drawn in training), each evaluated on the same chip instances: the "
         "standard deviation of the seeds' means beside the mean standard deviation over chip instances, each "
         "seed's paired delta against the baseline, and their mean with a 95% interval over the seeds (Student "
         "t, seeds - 1 degrees of freedom: the interval a reader should use for a claim about the method).\n\n" +
         report::markdown_table({"model", "method", "level", "seeds", "mean", "std over seeds", "std over chips",
                                 "each seed's delta", "mean delta [95% over seeds]"},
                                rows);
}

// The STE against every other tabulated model, paired over the same chip instances; "" without an STE row.
std::string ste_against_section(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> models;
  for (const auto& e : entries)
    if (std::find(models.begin(), models.end(), e.model) == models.end()) models.push_back(e.model);
  for (const auto& model : models)
    for (const auto& other : entries) {
      if (other.model != model || other.method == "ste" || other.seed_offset != 0) continue;
      std::vector<std::string> row = {model, "ste - " + table2_label(other)};
      bool any = false;
      for (const double level : o.levels) {
        const auto* s = ste_entry(entries, model, level);
        const auto d = s ? paired_delta(*s, other, level) : std::nullopt;
        row.push_back(d ? show_paired(other.eval.at("metric"), *d) : "");
        any = any || d.has_value();
      }
      if (any) rows.push_back(row);
    }
  if (rows.empty()) return "";
  std::vector<std::string> header = {"model", "difference"};
  for (const double l : o.levels) header.push_back(fmt::format("level {:g}", l));
  return "\n## The STE against each method\n\nThe STE model of each level (the first seed's; trained at that level "
         "when there is one) minus each other model, paired over the same chip instances, with the 95% interval of "
         "the mean difference. An interval wholly above zero (accuracy) says the STE is better on these chip "
         "instances; one that contains zero says the two cannot be told apart by them. It holds for this trained "
         "model: the spread over training seeds is in the section above.\n\n" +
         report::markdown_table(header, rows);
}

// Beside the paper: its STE values at levels 1, 2, 3 (its budget: full training on a GPU); "" when no model has a
// row in the paper.
std::string paper_section(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  std::vector<std::vector<std::string>> paper_rows;
  for (const auto& model : o.models) {
    const auto* p = paper_table2_row(model);
    if (!p) continue;
    std::vector<std::string> row = {model};
    for (int k = 0; k < 3; ++k) {
      const double level = k + 1;
      const Table2Entry* s = ste_entry(entries, model, level);
      std::string ours = "-";
      if (s && std::find(o.levels.begin(), o.levels.end(), level) != o.levels.end()) {
        const std::string metric = s->eval.at("metric");
        const double scale = metric == "perplexity" ? 1.0 : 100.0;
        const auto d = paired_delta(*s, baseline_of(entries, model), level);
        ours = fmt::format(metric == "perplexity" ? "{:.3f}" : "{:.2f}", scale * mean_at(*level_result(*s, level))) +
               (d ? " (" + show_delta(metric, d->mean) + ")" : "");
      }
      row.push_back(ours);
      row.push_back(fmt::format("{:.2f} ({:+.2f})", p->at_level[k], p->delta[k]));
    }
    paper_rows.push_back(row);
  }
  if (paper_rows.empty()) return "";
  std::string md =
      "\n## Beside the paper\n\nThe extended STE here and in the paper's Table II, with its delta against the "
      "baseline in brackets (accuracy in percent and points, perplexity as is). The paper trains to convergence on "
      "a GPU on its own chip model; compare the deltas more than the values. The paper's CIFAR-10 deltas span " +
      fmt::format("+{:.2f}..+{:.2f} points.\n\n", kPaperTable2DeltaLow, kPaperTable2DeltaHigh);
  md += report::markdown_table({"model", "STE L1 here", "paper L1", "STE L2 here", "paper L2", "STE L3 here",
                                "paper L3"},
                               paper_rows);
  return md;
}

// The summary's end: the files, the evaluation commands and the cost of every result.
std::string summary_files_and_cost(const Table2Results& results) {
  std::string md =
      "\nFiles: `table2.csv` (one row per model, method and evaluated level), `table2.json`, each run's folder "
      "under `runs/` (config.json, steps.csv, epochs.csv, loss.png, chip-eval.json).\n";
  md += "\nThe evaluations (each run by the experiment unless its result was cached):\n\n```\n";
  for (const auto& c : results.commands) md += c + "\n";
  md += "```\n";
  double train_seconds = 0, eval_seconds = 0;
  bool every_eval_timed = true, partial_wall = false;
  for (const auto& e : results.entries) {
    train_seconds += e.train_wall_seconds;
    partial_wall = partial_wall || e.wall_since_step > 0;
    eval_seconds += e.eval_seconds;
    every_eval_timed = every_eval_timed && e.eval_seconds > 0;
  }
  md += fmt::format(
      "\nCost: training {:.0f} s ({:.2f} h), evaluation {:.0f} s ({:.2f} h){}; the whole study {:.2f} h on this "
      "machine. \"training s (wall)\" is each run's own wall time, all its invocations (steps, batches, validation, "
      "checkpoints, start-up), from its checkpoint{}{}; \"evaluation s\" the wall time of its `cimtrain eval`.\n",
      train_seconds, train_seconds / 3600, eval_seconds, eval_seconds / 3600,
      every_eval_timed ? "" : " (\"-\": an evaluation cached before its time was recorded, not counted)",
      (train_seconds + eval_seconds) / 3600,
      results.pretraining.empty() ? "" : " (a fine-tuning's excludes the clean training it starts from, its own row)",
      partial_wall ? "; \">=\": a run checkpointed before wall time was recorded, its earlier steps' time only" : "");
  return md;
}

// The plot's panel of one metric ("accuracy" or "perplexity"): a series per entry evaluated in it (the per-level
// models of one method joined into one series; further training seeds left out: the seeds' section has them).
report::Panel metric_panel(const Table2Options& o, const std::vector<Table2Entry>& entries, const std::string& metric) {
  report::Panel p{{metric == "accuracy" ? "test accuracy on chip instances" : "validation perplexity on chip instances",
                   "chip noise level L", metric == "accuracy" ? "accuracy (%)" : "perplexity", false, true},
                  {}};
  std::map<std::string, int> colors;  // one method: a colour per model; the baselines dashed
  std::map<std::string, size_t> series_of;
  const double scale = metric == "accuracy" ? 100.0 : 1.0;
  for (const auto& e : entries) {
    // The pre-fine-tuning clean run is left out too: its continuation is the baseline drawn.
    if (e.eval.at("metric") != metric || e.seed_offset != 0 || (o.fine_tune > 0 && e.method == "clean" && !e.continued))
      continue;
    const std::string title = e.model + " " + (e.per_level ? e.method + " (trained at each level)" : table2_label(e));
    if (!series_of.count(title)) {
      series_of[title] = p.series.size();
      report::Series s{title, {}, {}, {}};
      s.points = true;
      if (o.methods.size() == 1) s.color = colors.emplace(e.model, static_cast<int>(colors.size()) + 1).first->second;
      s.dashed = e.method == "clean";
      p.series.push_back(s);
    }
    auto& s = p.series[series_of[title]];
    for (const double level : o.levels)
      if (const auto* l = level_result(e, level)) {
        s.x.push_back(level);
        s.y.push_back(scale * mean_at(*l));
        s.err.push_back(scale * std_at(*l));
      }
  }
  return p;
}

}  // namespace

std::string table2_label(const Table2Entry& e) {
  if (e.method == "clean") return e.continued ? "clean (+ft)" : "clean";
  const std::string seed = e.seed_offset > 0 ? fmt::format("seed +{}", e.seed_offset) : "";
  if (e.train_level >= 0) return fmt::format("{} (L{:g}{}{})", e.method, e.train_level, seed.empty() ? "" : ", ", seed);
  return seed.empty() ? e.method : fmt::format("{} ({})", e.method, seed);
}

Table2Report report_table2(const Table2Options& o, const Table2Results& results, bool plotted) {
  std::string md = summary_intro(o, results.entries);
  md += results_table(o, results.entries);
  if (plotted) md += "\n![accuracy and perplexity against the noise level](table2.png)\n";
  md += seeds_section(o, results.entries);
  md += ste_against_section(o, results.entries);
  md += paper_section(o, results.entries);
  md += reading_section(o, results.entries);
  md += summary_files_and_cost(results);
  return {table2_csv(o, results.entries), table2_json(o, results.entries), md};
}

bool plot_table2(const Table2Options& o, const Table2Results& results, const std::string& png_path) {
  std::vector<report::Panel> panels;
  for (const std::string metric : {"accuracy", "perplexity"}) {
    auto p = metric_panel(o, results.entries, metric);
    if (!p.series.empty()) panels.push_back(p);
  }
  return report::plot_panels_png(png_path,
                                 "the metric against the chip's noise level (mean +- std over chip instances; dashed: "
                                 "the clean baselines)",
                                 panels);
}

}  // namespace cimtrain::experiments
