// The report of `cimtrain experiment table2` (table2.cpp plans and runs it): table2.csv (one row per model,
// method and level), table2.json, summary.md (the table with deltas against the baseline, beside the paper's
// numbers) and table2.png (the metric against the noise level).
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "experiments/paper_reference.h"
#include "experiments/table2.h"
#include "report/plot.h"
#include "report/report_files.h"

namespace cimtrain::experiments {

namespace {

bool matched_levels(const Table2Options& o) { return o.train_level == "matched"; }

// The entry whose result is set against the paper's STE column at `level`.
const Table2Entry* ste_entry(const std::vector<Table2Entry>& entries, const std::string& model, double level,
                             bool matched) {
  const Table2Entry* found = nullptr;
  for (const auto& e : entries)
    if (e.model == model && e.method == "ste" && (!matched || e.train_level == level)) found = &e;
  return found;
}

// The baseline of a model: its clean run (continued by the fine-tuning epochs when there are some).
const Table2Entry& baseline_of(const std::vector<Table2Entry>& entries, const std::string& model) {
  const Table2Entry* b = nullptr;
  for (const auto& e : entries)
    if (e.model == model && e.method == "clean") b = &e;
  if (!b) throw std::logic_error("experiment table2: no clean baseline for " + model);
  return *b;
}

double level_mean(const Table2Entry& e, size_t i) { return e.eval.at("levels").at(i).at("mean").get<double>(); }
double level_std(const Table2Entry& e, size_t i) { return e.eval.at("levels").at(i).at("std").get<double>(); }

std::string show(const std::string& metric, double v) {
  return metric == "perplexity" ? fmt::format("{:.3f}", v) : fmt::format("{:.2f}%", 100 * v);
}

std::string show_delta(const std::string& metric, double d) {
  return metric == "perplexity" ? fmt::format("{:+.3f}", d) : fmt::format("{:+.2f}", 100 * d);
}

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
      "model,method,train_level,metric,float,level,mean,std,ci_low,ci_high,delta_vs_baseline,instances,"
      "test_items,train_seconds,run_dir\n";
  for (const auto& e : entries) {
    const auto& b = baseline_of(entries, e.model);
    const std::string metric = e.eval.at("metric");
    const auto items = e.eval.value(metric == "perplexity" ? "validation_characters" : "test_images", int64_t{0});
    for (size_t i = 0; i < o.levels.size(); ++i) {
      const auto& l = e.eval.at("levels").at(i);
      const double delta = level_mean(e, i) - level_mean(b, i);
      csv += fmt::format("{},{},{},{},{:.6f},{:g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{:.1f},{}\n", e.model,
                         e.method == "clean" ? table2_label(e) : e.method, e.train_level, metric,
                         e.eval.at("clean").get<double>(), o.levels[i], l.at("mean").get<double>(),
                         l.at("std").get<double>(), l.at("ci95").at(0).get<double>(), l.at("ci95").at(1).get<double>(),
                         delta, o.instances, items, e.train_seconds, e.dir);
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
                    {"run_dir", e.dir},
                    {"train_seconds", e.train_seconds},
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

// The summary's title and what was run: command, machine, budget, evaluation.
std::string summary_intro(const Table2Options& o) {
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
      o.preset, o.instances, o.seed,
      o.eval_limit > 0 ? fmt::format("the first {} test images (gpt/bert: validation windows)", o.eval_limit)
                       : "the whole test set",
      o.calibration ? fmt::format("{} examples", *o.calibration) : "512 training images / 64 windows",
      matched_levels(o) ? "the level they are evaluated at" : "level " + o.train_level);
  md +=
      "- Values are means +- standard deviation over the instances; delta = the method minus the baseline on the "
      "same instances (accuracy: points, higher is better; perplexity: lower is better).\n\n";
  return md;
}

// The table: per entry its float value, then per level its value and delta against the baseline.
std::string results_table(const Table2Options& o, const std::vector<Table2Entry>& entries) {
  const bool matched = matched_levels(o);
  std::vector<std::string> header = {"model", "method", "float"};
  for (const double l : o.levels) {
    header.push_back(fmt::format("level {:g}", l));
    header.push_back("delta");
  }
  header.push_back("training s");
  std::vector<std::vector<std::string>> table;
  for (const auto& e : entries) {
    const std::string metric = e.eval.at("metric");
    const auto& b = baseline_of(entries, e.model);
    std::vector<std::string> row = {e.model, table2_label(e), show(metric, e.eval.at("clean").get<double>())};
    for (size_t i = 0; i < o.levels.size(); ++i) {
      const bool used = !matched || e.train_level < 0 || e.train_level == o.levels[i];
      row.push_back(used ? show(metric, level_mean(e, i)) + " +- " + show(metric, level_std(e, i)) : "");
      row.push_back(&e == &b || !used ? "" : show_delta(metric, level_mean(e, i) - level_mean(b, i)));
    }
    row.push_back(fmt::format("{:.0f}", e.train_seconds));
    table.push_back(row);
  }
  return report::markdown_table(header, table);
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
      const auto it = std::find(o.levels.begin(), o.levels.end(), level);
      const Table2Entry* s = ste_entry(entries, model, level, matched_levels(o));
      std::string ours = "-", delta = "-";
      if (it != o.levels.end() && s) {
        const size_t i = static_cast<size_t>(it - o.levels.begin());
        const std::string metric = s->eval.at("metric");
        const double scale = metric == "perplexity" ? 1.0 : 100.0;
        ours = fmt::format(metric == "perplexity" ? "{:.3f}" : "{:.2f}", scale * level_mean(*s, i));
        delta = show_delta(metric, level_mean(*s, i) - level_mean(baseline_of(entries, model), i));
      }
      row.push_back(ours);
      row.push_back(delta);
      row.push_back(fmt::format(p->metric == "perplexity" ? "{:.2f}" : "{:.2f}", p->at_level[k]));
    }
    paper_rows.push_back(row);
  }
  if (paper_rows.empty()) return "";
  std::string md =
      "\n## Beside the paper\n\nThe extended STE here and in the paper's Table II (accuracy in percent, perplexity "
      "as is). The paper trains to convergence on a GPU; the budget above is far smaller, so compare the deltas "
      "(STE minus the baseline on the same chip instances) more than the values. The paper's CIFAR-10 deltas "
      "span " +
      fmt::format("+{:.2f}..+{:.2f} points.\n\n", kPaperTable2DeltaLow, kPaperTable2DeltaHigh);
  md += report::markdown_table({"model", "STE L1 here", "delta here", "paper L1", "STE L2 here", "delta here",
                                "paper L2", "STE L3 here", "delta here", "paper L3"},
                               paper_rows);
  return md;
}

// The summary's end: the files, the evaluation commands and the training time.
std::string summary_files_and_times(const Table2Results& results) {
  const auto& pretraining = results.pretraining;
  std::string md =
      "\nFiles: `table2.csv` (one row per model, method and level), `table2.json`, each run's folder "
      "under `runs/` (config.json, steps.csv, epochs.csv, loss.png, chip-eval.json).\n";
  md += "\nThe evaluations (each run by the experiment unless its result was cached):\n\n```\n";
  for (const auto& c : results.commands) md += c + "\n";
  md += "```\n";
  double train_seconds = 0;
  for (const auto& e : results.entries) train_seconds += e.train_seconds;
  md += fmt::format(
      "\nTraining time of the tabulated runs: {:.0f} s in all (\"training s\": each run's own, from its "
      "checkpoint{}).",
      train_seconds, pretraining.empty() ? "" : "; a fine-tuning's excludes the clean training it starts from");
  if (!pretraining.empty()) {
    md += " The clean trainings the fine-tunings start from:";
    for (const auto& e : pretraining)
      md += fmt::format(" {} {:.0f} s{}", e.model, e.train_seconds, &e == &pretraining.back() ? "." : ",");
  }
  md += "\n";
  return md;
}

// The plot's panel of one metric ("accuracy" or "perplexity"): a series per entry evaluated in it.
report::Panel metric_panel(const Table2Options& o, const std::vector<Table2Entry>& entries, const std::string& metric) {
  report::Panel p{{metric == "accuracy" ? "test accuracy on chip instances" : "validation perplexity on chip instances",
                   "chip noise level L", metric == "accuracy" ? "accuracy (%)" : "perplexity", false, true},
                  {}};
  std::map<std::string, int> colors;  // one method: a colour per model, its baseline dashed
  for (const auto& e : entries) {
    if (e.eval.at("metric") != metric) continue;
    report::Series s{e.model + " " + table2_label(e), {}, {}, {}};
    if (o.methods.size() == 1) {
      s.color = colors.emplace(e.model, static_cast<int>(colors.size()) + 1).first->second;
      s.dashed = e.method == "clean";
    }
    const double scale = metric == "accuracy" ? 100.0 : 1.0;
    for (size_t i = 0; i < o.levels.size(); ++i) {
      if (matched_levels(o) && e.train_level >= 0 && e.train_level != o.levels[i]) continue;
      s.x.push_back(o.levels[i]);
      s.y.push_back(scale * level_mean(e, i));
      s.err.push_back(scale * level_std(e, i));
    }
    p.series.push_back(s);
  }
  return p;
}

}  // namespace

std::string table2_label(const Table2Entry& e) {
  if (e.method == "clean") return e.continued ? "clean (+ft)" : "clean";
  return e.train_level >= 0 ? fmt::format("{} (L{:g})", e.method, e.train_level) : e.method;
}

Table2Report report_table2(const Table2Options& o, const Table2Results& results, bool plotted) {
  std::string md = summary_intro(o);
  md += results_table(o, results.entries);
  md += paper_section(o, results.entries);
  if (plotted) md += "\n![accuracy and perplexity against the noise level](table2.png)\n";
  md += summary_files_and_times(results);
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
                                 "the clean baseline)",
                                 panels);
}

}  // namespace cimtrain::experiments
