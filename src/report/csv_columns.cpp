// CSV columns and their smoothing (see csv_columns.h).
#include "report/csv_columns.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cimtrain::report {

std::vector<std::vector<double>> read_csv_columns(const std::string& path, const std::vector<int>& columns) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  std::vector<std::vector<double>> out(columns.size());
  std::string line;
  std::getline(in, line);  // header
  int64_t row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    for (size_t i = 0; i < columns.size(); ++i) {
      const int c = columns[i];
      try {
        out[i].push_back(c < static_cast<int>(cells.size()) && !cells[c].empty() ? std::stod(cells[c]) : 0.0);
      } catch (const std::exception&) {
        throw std::runtime_error("'" + path + "' line " + std::to_string(row) + ": column " + std::to_string(c + 1) +
                                 " is not a number ('" + cells[c] + "')");
      }
    }
  }
  return out;
}

std::vector<double> moving_average(const std::vector<double>& y, int64_t half) {
  const int64_t n = static_cast<int64_t>(y.size());
  std::vector<double> out(y.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t lo = std::max<int64_t>(0, i - half), hi = std::min(n - 1, i + half);
    double sum = 0;
    for (int64_t k = lo; k <= hi; ++k) sum += y[k];
    out[i] = sum / static_cast<double>(hi - lo + 1);
  }
  return out;
}

}  // namespace cimtrain::report
