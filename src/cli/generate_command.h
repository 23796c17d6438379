// `cimtrain generate`: text written by a trained GPT or BERT running on a simulated chip instance (or in
// float), seeded, so what a noisy chip writes can be seen and compared across levels.
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

void add_generate_command(CLI::App& app);

}  // namespace cimtrain::cli
