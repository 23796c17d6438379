// What the experiments (`cimtrain experiment ...`) share: training runs that are cached and resumable, the
// machine's description for their reports, atomic output files and Markdown tables.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "train/train_config.h"

namespace cimtrain::cli {

enum class RunStatus { kCached, kResumed, kTrained };
std::string to_string(RunStatus status);  // "cached", "resumed", "trained"

// Makes sure `dir` holds the finished training of `config`: nothing is done when it already does; an
// interrupted run there is resumed; otherwise it is trained. A folder that holds another config is refused
// with a message naming the fields that differ (delete it, or choose another --out). Finished means the
// checkpoint says so or, with config.steps > 0, has reached that many steps. Ctrl-C stops the training with a
// checkpoint and throws (the next invocation resumes it).
RunStatus ensure_trained(const train::TrainConfig& config, const std::string& dir);

// The fields of two configs that differ, "lr: 0.1 -> 0.02, epochs: 10 -> 2" ("" when equal).
std::string config_differences(const train::TrainConfig& saved, const train::TrainConfig& wanted);

// The command line this program was started with (set by main), quoted as a user would type it.
void set_invocation(int argc, char** argv);
std::string invocation();

// "2 cores, Intel(R) Xeon(R) ... (model name), 24 GiB, LibTorch 1.13.1 on 2 threads": for the reports.
std::string machine_summary();

// Writes `text` to `path` atomically (a temporary file, then rename); creates the folder; throws naming the
// file when it cannot.
void write_file(const std::string& path, const std::string& text);

// Writes an experiment's outputs into `out`: NAME.csv, NAME.json and summary.md (`md`), then prints the report
// and the files written (`png` too when it was drawn, i.e. not empty).
void write_report(const std::string& out, const std::string& name, const std::string& csv, const nlohmann::json& json,
                  const std::string& md, const std::string& png);

// Reads a JSON file written by an experiment (or by eval/bench); throws naming the file when it is missing or
// unreadable.
nlohmann::json read_json_file(const std::string& path);

// A Markdown table: header cells, then rows of cells.
std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace cimtrain::cli
