// `cimtrain experiment` (see experiment_command.h): the parent command of the four experiments.
#include "cli/experiment_command.h"

namespace cimtrain::cli {

void add_experiment_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "experiment", "the paper's studies, one command each: table2 (accuracy under noise), table3 (training cost), "
                    "curves (loss curves), alignment (STE vs true gradients)");
  cmd->require_subcommand(1);
  add_table2_experiment(*cmd);
  add_table3_experiment(*cmd);
  add_curves_experiment(*cmd);
  add_alignment_experiment(*cmd);
}

}  // namespace cimtrain::cli
