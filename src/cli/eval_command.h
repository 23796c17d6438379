// `cimtrain eval`: a checkpoint's accuracy in float and on Monte-Carlo chip instances at several levels.
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

void add_eval_command(CLI::App& app);

}  // namespace cimtrain::cli
