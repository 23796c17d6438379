// What every experiment report shares: the command and machine it ran on, its output files (NAME.csv,
// NAME.json, summary.md, written atomically), JSON files read back, and Markdown tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cimtrain::report {

// The command line this program was started with (set by main), quoted as a user would type it.
void set_invocation(int argc, char** argv);
std::string invocation();

// "2 cores, Intel(R) Xeon(R) ... (model name), 24 GiB, LibTorch 1.13.1 on 2 threads": for the reports.
std::string machine_summary();

// Writes an experiment's outputs into `out`: NAME.csv, NAME.json and summary.md (`md`), then prints the report
// and the files written (`png` too when it was drawn, i.e. not empty).
void write_report(const std::string& out, const std::string& name, const std::string& csv, const nlohmann::json& json,
                  const std::string& md, const std::string& png);

// Reads a JSON file written by an experiment (or by eval/bench); throws naming the file when it is missing or
// unreadable.
nlohmann::json read_json_file(const std::string& path);

// A Markdown table: header cells, then rows of cells.
std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace cimtrain::report
