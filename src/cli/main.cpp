// The cimtrain program: registers the subcommands and turns exceptions into exit codes.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/bench_command.h"
#include "cli/chip_command.h"
#include "cli/eval_command.h"
#include "cli/experiment_command.h"
#include "cli/generate_command.h"
#include "cli/train_command.h"
#include "common/errors.h"
#include "common/threads.h"
#include "experiments/run_cache.h"
#include "report/report_files.h"

int main(int argc, char** argv) {
  cimtrain::common::ensure_passive_thread_waiting(argv);
  cimtrain::report::set_invocation(argc, argv);
  CLI::App app{"cimtrain: noise-aware training for analog compute-in-memory chips"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "LibTorch threads (default: all cores)");
  app.parse_complete_callback([&]() { cimtrain::common::set_torch_threads(threads); });
  cimtrain::cli::add_chip_command(app);
  cimtrain::cli::add_train_command(app);
  cimtrain::cli::add_eval_command(app);
  cimtrain::cli::add_generate_command(app);
  cimtrain::cli::add_bench_command(app);
  cimtrain::cli::add_experiment_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cimtrain::common::ConfigError& e) {
    fmt::print(stderr, "cimtrain: invalid configuration: {}\n", e.what());
    return 2;
  } catch (const c10::Error& e) {
    fmt::print(stderr, "cimtrain: {}\n", e.what_without_backtrace());
    return 1;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "cimtrain: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "cimtrain: {}\n", e.what());
    return 1;
  }
  return 0;
}
