// Reading numbers back from the CSV files the trainer and the experiments write (steps.csv, validation.csv...).
#pragma once

#include <string>
#include <vector>

namespace cimtrain::report {

// The given columns (0-based) of a CSV file with a header line, as numbers, one vector per column; a cell
// missing from a short row reads as 0. Throws std::runtime_error naming the file when it cannot be read or a
// cell is not a number.
std::vector<std::vector<double>> read_csv_columns(const std::string& path, const std::vector<int>& columns);

// Centred moving average of `y` over 2 half + 1 points, the window shrinking at the ends (same length as y).
std::vector<double> moving_average(const std::vector<double>& y, int64_t half);

}  // namespace cimtrain::report
