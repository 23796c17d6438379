// `cimtrain experiment table2`: the paper's Table II. For each model, a clean (float-trained) baseline and each
// noise-aware method are trained (cached), then every checkpoint is evaluated on the same Monte-Carlo chip
// instances at each level (`cimtrain eval` in a child process, cached); the table gives value and delta against
// the baseline per level, beside the paper's numbers.
#include "common/atomic_file.h"
#include "report/report_files.h"
#include "experiments/table2.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "experiments/run_cache.h"
#include "experiments/paper_reference.h"
#include "common/subprocess.h"
#include "models/model_registry.h"
#include "train/checkpoint.h"
#include "report/plot.h"
#include "eval/step_bench.h"

namespace cimtrain::experiments {

namespace {

namespace fs = std::filesystem;


// One trained model of the table.
struct Entry {
  std::string model, method;  // method: "clean" or a mode / MODE+METHOD
  double train_level = 0;     // < 0: none (clean)
  std::string dir;
  bool continued = false;     // the clean baseline continued for the fine-tuning epochs
  RunStatus status = RunStatus::kCached;
  double train_seconds = 0;
  nlohmann::json eval;  // cimtrain eval's JSON
};

bool is_text(const std::string& model) { return models::is_language_model(model); }

// The config of a model's run before the method: the model's usual hyperparameters and the budget.
train::TrainConfig base_config(const Table2Options& o, const std::string& model) {
  auto c = is_text(model) ? train::language_model_defaults() : train::TrainConfig{};
  c.model = model;
  if (!is_text(model)) c.data = o.data;
  c.preset = o.preset;
  c.seed = o.seed;
  c.subset = o.subset;
  c.eval_limit = o.eval_limit;
  if (o.epochs > 0) c.epochs = o.epochs;
  if (o.batch > 0) c.batch = o.batch;
  if (o.lr > 0) c.lr = o.lr;
  if (!o.optimizer.empty()) c.optimizer = o.optimizer;
  if (o.weight_decay >= 0) c.weight_decay = o.weight_decay;
  return c;
}

// A method entry: a gradient mode ("ste", "gaussian", "neft"), a NeFT method ("neft-ovf": in NeFT's own noise
// model), or MODE+METHOD ("ste+neft-irs").
std::pair<std::string, std::string> mode_and_method(const std::string& entry) {
  if (entry.find('+') == std::string::npos && (entry == "neft-ovf" || entry == "neft-irs")) return {"neft", entry};
  return eval::split_bench_mode(entry);
}

std::string safe_name(std::string s) {
  std::replace(s.begin(), s.end(), '+', '_');
  return s;
}

std::string optimizer_summary(const Table2Options& o) {
  if (o.optimizer.empty() && o.lr <= 0 && o.weight_decay < 0)
    return "each model's usual optimiser (vision: SGD, Nesterov momentum 0.9, lr 0.1, weight decay 5e-4; text: Adam "
           "2e-3, no weight decay, gradients clipped to norm 1), cosine schedule";
  return fmt::format("optimiser {}, lr {}, weight decay {} (unset: the model's usual), cosine schedule",
                     o.optimizer.empty() ? "usual" : o.optimizer, o.lr > 0 ? fmt::format("{:g}", o.lr) : "usual",
                     o.weight_decay >= 0 ? fmt::format("{:g}", o.weight_decay) : "usual");
}

std::vector<double> training_levels(const Table2Options& o) {
  if (o.train_level == "matched") return o.levels;
  try {
    return {std::stod(o.train_level)};
  } catch (const std::exception&) {
    throw common::ConfigError("--train-level must be a level or 'matched', found '" + o.train_level + "'");
  }
}

// Every training of the table, in order (clean first, so that fine-tunings find it), with its config.
std::vector<std::pair<Entry, train::TrainConfig>> plan(const Table2Options& o) {
  std::vector<std::pair<Entry, train::TrainConfig>> runs;
  const std::string runs_dir = o.out + "/runs/";
  for (const auto& model : o.models) {
    auto clean = base_config(o, model);
    clean.mode = "clean";
    const std::string clean_dir = runs_dir + model + "-clean";
    runs.push_back({{model, "clean", -1, clean_dir}, clean});
    const auto fine_tuned = [&](train::TrainConfig c) {
      c.init = clean_dir + "/checkpoint.pt";
      c.epochs = o.fine_tune;
      c.lr = clean.lr * o.fine_tune_lr;
      return c;
    };
    if (o.fine_tune > 0)  // the baseline gets the same extra epochs, without noise
      runs.push_back({{model, "clean", -1, clean_dir + "-ft", true}, fine_tuned(clean)});
    for (const auto& entry : o.methods) {
      const auto [mode, method] = mode_and_method(entry);
      for (const double level : training_levels(o)) {
        auto c = base_config(o, model);
        c.mode = mode;
        c.method = method;
        c.level = level;
        if (o.fine_tune > 0) c = fine_tuned(c);
        const bool has_level = mode != "neft" && mode != "clean";
        const auto dir = runs_dir + model + "-" + safe_name(entry) + (has_level ? fmt::format("-L{:g}", level) : "");
        if (!has_level && level != training_levels(o).front()) continue;  // one NeFT run serves every level
        runs.push_back({{model, entry, has_level ? level : -1, dir}, c});
      }
    }
  }
  return runs;
}

nlohmann::json eval_request(const Table2Options& o) {
  return {{"levels", o.levels},          {"instances", o.instances}, {"limit", o.eval_limit},
          {"calibration", o.calibration}, {"seed", o.seed}};
}

// Evaluates the entry's checkpoint on the chip instances (cimtrain eval in a child process), unless its
// chip-eval.json already answers the same request.
// The `cimtrain eval` command that evaluates the entry's checkpoint on the chip instances.
std::vector<std::string> eval_args(const Entry& e, const Table2Options& o) {
  std::string levels;
  for (const double l : o.levels) levels += fmt::format("{}{:g}", levels.empty() ? "" : ",", l);
  const std::string json_path = e.dir + "/chip-eval.json";
  std::vector<std::string> args = {common::self_path(), "eval", "--checkpoint", e.dir + "/checkpoint.pt", "--level", levels,
                                   "--instances", std::to_string(o.instances), "--seed", std::to_string(o.seed),
                                   "--calibration", std::to_string(o.calibration), "--json-out", json_path + ".part",
                                   "--plot", e.dir + "/chip-eval.png"};
  if (o.eval_limit > 0) args.insert(args.end(), {"--limit", std::to_string(o.eval_limit)});
  return args;
}

// Evaluates the entry's checkpoint (cimtrain eval in a child process) unless its chip-eval.json already answers
// the same request. Returns the command, as a user would type it.
std::string evaluate(Entry& e, const Table2Options& o) {
  const std::string json_path = e.dir + "/chip-eval.json";
  const auto request = eval_request(o);
  const auto args = eval_args(e, o);
  auto shown = args;
  shown[0] = "cimtrain";
  if (fs::exists(json_path)) {
    const auto j = report::read_json_file(json_path);
    if (j.value("request", nlohmann::json()) == request) {
      fmt::print(stderr, "experiment table2: {}: evaluation cached\n", json_path);
      e.eval = j;
      return common::command_line(shown);
    }
  }
  fmt::print(stderr, "experiment table2: {}\n", common::command_line(shown));
  common::run_and_capture(args);
  auto j = report::read_json_file(json_path + ".part");
  j["request"] = request;
  common::write_file(json_path, j.dump(2) + "\n");
  fs::remove(json_path + ".part");
  e.eval = j;
  return common::command_line(shown);
}

std::string label(const Entry& e) {
  if (e.method == "clean") return e.continued ? "clean (+ft)" : "clean";
  return e.train_level >= 0 ? fmt::format("{} (L{:g})", e.method, e.train_level) : e.method;
}

// The entry whose result is set against the paper's STE column at `level`.
const Entry* ste_entry(const std::vector<Entry>& entries, const std::string& model, double level, bool matched) {
  const Entry* found = nullptr;
  for (const auto& e : entries)
    if (e.model == model && e.method == "ste" && (!matched || e.train_level == level)) found = &e;
  return found;
}

double level_mean(const Entry& e, size_t i) { return e.eval.at("levels").at(i).at("mean").get<double>(); }
double level_std(const Entry& e, size_t i) { return e.eval.at("levels").at(i).at("std").get<double>(); }

}  // namespace

void run_table2(const Table2Options& o) {
  if (o.models.empty()) throw common::ConfigError("--models needs at least one model");
  if (o.levels.empty()) throw common::ConfigError("--levels needs at least one level");
  if (o.instances < 1) throw common::ConfigError("--instances must be >= 1, found " + std::to_string(o.instances));
  if (o.fine_tune < 0) throw common::ConfigError("--fine-tune must be >= 0 epochs");
  if (!(o.fine_tune_lr > 0)) throw common::ConfigError("--fine-tune-lr must be > 0");
  const bool matched = o.train_level == "matched";
  auto runs = plan(o);
  for (const auto& [entry, config] : runs) {  // every config is checked before any work
    config.validate();
    if (config.method == "neft-irs" && models::make_model(config.model, 3, 10)->snapshot_points().empty())
      throw common::ConfigError("neft-irs needs a model with IRS snapshot points (vgg8, resnet18); " + config.model +
                             " has none");
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Entry> entries, pretraining;  // pretraining: the clean runs that fine-tunings start from
  std::vector<std::string> commands;
  for (auto& [entry, config] : runs) {
    fmt::print(stderr, "experiment table2: {} {} -> {}\n", entry.model, label(entry), entry.dir);
    entry.status = ensure_trained(config, entry.dir);
    fmt::print(stderr, "experiment table2: {} {}: {}\n", entry.model, label(entry), to_string(entry.status));
    entry.train_seconds = train::read_checkpoint_meta(entry.dir + "/checkpoint.pt")
                              .value("progress", nlohmann::json::object())
                              .value("seconds", 0.0);
    // With fine-tuning the clean run is only the starting point: the baseline is its continuation.
    if (o.fine_tune > 0 && entry.method == "clean" && config.init.empty())
      pretraining.push_back(entry);
    else
      entries.push_back(entry);
  }
  for (auto& e : entries) commands.push_back(evaluate(e, o));

  // The baseline of a model: its clean run (continued by the fine-tuning epochs when there are some).
  const auto baseline = [&](const std::string& model) -> const Entry& {
    const Entry* b = nullptr;
    for (const auto& e : entries)
      if (e.model == model && e.method == "clean") b = &e;
    return *b;
  };

  // --- CSV and JSON ---
  std::string csv = "model,method,train_level,metric,float,level,mean,std,ci_low,ci_high,delta_vs_baseline,instances,"
                    "test_items,train_seconds,run_dir\n";
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : entries) {
    const auto& b = baseline(e.model);
    const std::string metric = e.eval.at("metric");
    const auto items = e.eval.value(metric == "perplexity" ? "validation_characters" : "test_images", int64_t{0});
    for (size_t i = 0; i < o.levels.size(); ++i) {
      const auto& l = e.eval.at("levels").at(i);
      const double delta = level_mean(e, i) - level_mean(b, i);
      csv += fmt::format("{},{},{},{},{:.6f},{:g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{:.1f},{}\n", e.model,
                         e.method == "clean" ? label(e) : e.method, e.train_level, metric, e.eval.at("clean").get<double>(),
                         o.levels[i], l.at("mean").get<double>(), l.at("std").get<double>(), l.at("ci95").at(0).get<double>(),
                         l.at("ci95").at(1).get<double>(), delta, o.instances, items, e.train_seconds, e.dir);
    }
    rows.push_back({{"model", e.model}, {"method", e.method}, {"label", label(e)}, {"train_level", e.train_level},
                    {"run_dir", e.dir}, {"train_seconds", e.train_seconds}, {"eval", e.eval}});
  }

  // --- the summary ---
  const std::string budget =
      o.fine_tune > 0
          ? fmt::format("clean training {} epoch(s), then {} epoch(s) of fine-tuning at {:g}x the learning rate for "
                        "every method; the baseline is the clean model continued the same {} epoch(s) without noise",
                        o.epochs > 0 ? std::to_string(o.epochs) : "the model's usual", o.fine_tune, o.fine_tune_lr,
                        o.fine_tune)
          : fmt::format("every model trained from scratch for {} epoch(s)",
                        o.epochs > 0 ? std::to_string(o.epochs) : "the model's usual number of (vision 10, text 5)");
  std::string md = "# Accuracy under chip noise (the paper's Table II)\n\n";
  md += fmt::format("- Command: `{}`\n", report::invocation());
  md += fmt::format("- Machine: {}\n", report::machine_summary());
  md += fmt::format("- Budget: {}; training data {}; {}; {}.\n", budget,
                    o.subset > 0 ? fmt::format("the first {} examples (gpt/bert: characters)", o.subset) : "all of it",
                    o.batch > 0 ? fmt::format("batch {}", o.batch) : "each model's usual batch (vision 128, text 32)",
                    optimizer_summary(o));
  md += fmt::format(
      "- Evaluation: chip preset {}, {} instance(s) per level (the same instances for every model: seed {}), {}; "
      "ranges calibrated once per instance ({}). Noise-aware models trained at {}.\n",
      o.preset, o.instances, o.seed,
      o.eval_limit > 0 ? fmt::format("the first {} test images (gpt/bert: validation windows)", o.eval_limit)
                       : "the whole test set",
      o.calibration < 0 ? "512 training images / 64 windows" : fmt::format("{} examples", o.calibration),
      matched ? "the level they are evaluated at" : "level " + o.train_level);
  md += "- Values are means +- standard deviation over the instances; delta = the method minus the baseline on the "
        "same instances (accuracy: points, higher is better; perplexity: lower is better).\n\n";
  std::vector<std::string> header = {"model", "method", "float"};
  for (const double l : o.levels) {
    header.push_back(fmt::format("level {:g}", l));
    header.push_back("delta");
  }
  header.push_back("training s");
  std::vector<std::vector<std::string>> table;
  const auto show = [](const std::string& metric, double v) {
    return metric == "perplexity" ? fmt::format("{:.3f}", v) : fmt::format("{:.2f}%", 100 * v);
  };
  const auto show_delta = [](const std::string& metric, double d) {
    return metric == "perplexity" ? fmt::format("{:+.3f}", d) : fmt::format("{:+.2f}", 100 * d);
  };
  for (const auto& e : entries) {
    const std::string metric = e.eval.at("metric");
    const auto& b = baseline(e.model);
    std::vector<std::string> row = {e.model, label(e), show(metric, e.eval.at("clean").get<double>())};
    for (size_t i = 0; i < o.levels.size(); ++i) {
      const bool used = !matched || e.train_level < 0 || e.train_level == o.levels[i];
      row.push_back(used ? show(metric, level_mean(e, i)) + " +- " + show(metric, level_std(e, i)) : "");
      row.push_back(&e == &b || !used ? "" : show_delta(metric, level_mean(e, i) - level_mean(b, i)));
    }
    row.push_back(fmt::format("{:.0f}", e.train_seconds));
    table.push_back(row);
  }
  md += report::markdown_table(header, table);

  // Beside the paper: its STE values at levels 1, 2, 3 (its budget: full training on a GPU).
  std::vector<std::vector<std::string>> paper_rows;
  for (const auto& model : o.models) {
    const auto* p = paper_table2_row(model);
    if (!p) continue;
    std::vector<std::string> row = {model};
    for (int k = 0; k < 3; ++k) {
      const double level = k + 1;
      const auto it = std::find(o.levels.begin(), o.levels.end(), level);
      const Entry* s = ste_entry(entries, model, level, matched);
      std::string ours = "-", delta = "-";
      if (it != o.levels.end() && s) {
        const size_t i = static_cast<size_t>(it - o.levels.begin());
        const std::string metric = s->eval.at("metric");
        const double scale = metric == "perplexity" ? 1.0 : 100.0;
        ours = fmt::format(metric == "perplexity" ? "{:.3f}" : "{:.2f}", scale * level_mean(*s, i));
        delta = show_delta(metric, level_mean(*s, i) - level_mean(baseline(model), i));
      }
      row.push_back(ours);
      row.push_back(delta);
      row.push_back(fmt::format(p->metric == "perplexity" ? "{:.2f}" : "{:.2f}", p->at_level[k]));
    }
    paper_rows.push_back(row);
  }
  if (!paper_rows.empty()) {
    md += "\n## Beside the paper\n\nThe extended STE here and in the paper's Table II (accuracy in percent, perplexity "
          "as is). The paper trains to convergence on a GPU; the budget above is far smaller, so compare the deltas "
          "(STE minus the baseline on the same chip instances) more than the values. The paper's CIFAR-10 deltas "
          "span " +
          fmt::format("+{:.2f}..+{:.2f} points.\n\n", kPaperTable2DeltaLow, kPaperTable2DeltaHigh);
    md += report::markdown_table({"model", "STE L1 here", "delta here", "paper L1", "STE L2 here", "delta here", "paper L2",
                          "STE L3 here", "delta here", "paper L3"},
                         paper_rows);
  }

  // --- plot: one panel per metric ---
  std::vector<report::Panel> panels;
  for (const std::string metric : {"accuracy", "perplexity"}) {
    report::Panel p{{metric == "accuracy" ? "test accuracy on chip instances" : "validation perplexity on chip instances",
                    "chip noise level L", metric == "accuracy" ? "accuracy (%)" : "perplexity", false, true},
                   {}};
    std::map<std::string, int> colors;  // one method: a colour per model, its baseline dashed
    for (const auto& e : entries) {
      if (e.eval.at("metric") != metric) continue;
      report::Series s{e.model + " " + label(e), {}, {}, {}};
      if (o.methods.size() == 1) {
        s.color = colors.emplace(e.model, static_cast<int>(colors.size()) + 1).first->second;
        s.dashed = e.method == "clean";
      }
      const double scale = metric == "accuracy" ? 100.0 : 1.0;
      for (size_t i = 0; i < o.levels.size(); ++i) {
        if (matched && e.train_level >= 0 && e.train_level != o.levels[i]) continue;
        s.x.push_back(o.levels[i]);
        s.y.push_back(scale * level_mean(e, i));
        s.err.push_back(scale * level_std(e, i));
      }
      p.series.push_back(s);
    }
    if (!p.series.empty()) panels.push_back(p);
  }
  const std::string png = o.out + "/table2.png";
  const bool plotted = report::plot_panels_png(png, "the metric against the chip's noise level (mean +- std over chip instances; dashed: the clean baseline)", panels);
  if (plotted) md += "\n![accuracy and perplexity against the noise level](table2.png)\n";
  md += "\nFiles: `table2.csv` (one row per model, method and level), `table2.json`, each run's folder under `runs/` "
        "(config.json, steps.csv, epochs.csv, loss.png, chip-eval.json).\n";
  md += "\nThe evaluations (each run by the experiment unless its result was cached):\n\n```\n";
  for (const auto& c : commands) md += c + "\n";
  md += "```\n";
  double train_seconds = 0;
  for (const auto& e : entries) train_seconds += e.train_seconds;
  md += fmt::format("\nTraining time of the tabulated runs: {:.0f} s in all (\"training s\": each run's own, from its "
                    "checkpoint{}).", train_seconds, pretraining.empty() ? "" : "; a fine-tuning's excludes the clean "
                                                                                 "training it starts from");
  if (!pretraining.empty()) {
    md += " The clean trainings the fine-tunings start from:";
    for (const auto& e : pretraining)
      md += fmt::format(" {} {:.0f} s{}", e.model, e.train_seconds, &e == &pretraining.back() ? "." : ",");
  }
  md += "\n";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print(stderr, "experiment table2: this invocation took {:.0f} s\n", seconds);

  nlohmann::json j = {{"experiment", "table2"},       {"command", report::invocation()}, {"machine", report::machine_summary()},
                      {"budget", budget},             {"levels", o.levels},      {"instances", o.instances},
                      {"train_level", o.train_level}, {"rows", rows}};
  report::write_report(o.out, "table2", csv, j, md, plotted ? png : "");
}

}  // namespace cimtrain::experiments
