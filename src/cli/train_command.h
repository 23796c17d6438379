// `cimtrain train`: trains a vision model on the simulated chip (or resumes an interrupted run).
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

void add_train_command(CLI::App& app);

}  // namespace cimtrain::cli
