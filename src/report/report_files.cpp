// An experiment's report files and what they say about the run (see report_files.h).
#include "report/report_files.h"

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/version.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/read_file.h"
#include "common/subprocess.h"

namespace cimtrain::report {

using common::write_file;

namespace {
std::string g_invocation;
}

void set_invocation(int argc, char** argv) {
  std::vector<std::string> args = {"cimtrain"};
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  g_invocation = common::command_line(args);
}

std::string invocation() { return g_invocation; }

std::string machine_summary() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  const double mem_gib = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) / (1024.0 * 1024 * 1024);
  return fmt::format("{} cores ({}), {:.0f} GiB, LibTorch {} on {} threads", sysconf(_SC_NPROCESSORS_ONLN), cpu,
                     mem_gib, TORCH_VERSION, at::get_num_threads());
}

void write_report(const std::string& out, const std::string& name, const std::string& csv, const nlohmann::json& json,
                  const std::string& md, const std::string& png) {
  write_file(out + "/" + name + ".csv", csv);
  write_file(out + "/" + name + ".json", json.dump(2) + "\n");
  write_file(out + "/summary.md", md);
  fmt::print("{0}\nwrote {1}/summary.md, {1}/{2}.csv, {1}/{2}.json{3}\n", md, out, name, png.empty() ? "" : ", " + png);
}

nlohmann::json read_json_file(const std::string& path) {
  const std::string text = common::read_file(path, "file");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("'" + path + "' is not valid JSON: " + e.what());
  }
}

std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream s;
  s << '|';
  for (const auto& h : header) s << ' ' << h << " |";
  s << "\n|";
  for (size_t i = 0; i < header.size(); ++i) s << "---|";
  s << '\n';
  for (const auto& row : rows) {
    s << '|';
    for (const auto& c : row) s << ' ' << c << " |";
    s << '\n';
  }
  return s.str();
}

}  // namespace cimtrain::report
