// The cimtrain program: registers the subcommands and turns exceptions into exit codes.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <optional>
#include <string>

#include "cli/bench_command.h"
#include "cli/chip_command.h"
#include "cli/eval_command.h"
#include "cli/experiment_command.h"
#include "cli/generate_command.h"
#include "cli/ranged_option.h"
#include "cli/ranges_command.h"
#include "cli/ranks_flag.h"
#include "cli/train_command.h"
#include "common/declared_ranges.h"
#include "common/errors.h"
#include "common/process_usage.h"
#include "common/threads.h"
#include "experiments/run_cache.h"
#include "report/report_files.h"

namespace {

// LibTorch's allocator message ("DefaultCPUAllocator: can't allocate memory: you tried to allocate N bytes") in
// words: what ran out and what to lower.
void print_out_of_memory(const std::string& torch_message) {
  const auto at = torch_message.find("allocate ", torch_message.find("tried to"));
  const double bytes = at == std::string::npos ? 0 : std::atof(torch_message.c_str() + at + 9);
  fmt::print(stderr,
             "cimtrain: not enough memory for the sizes asked for{}; this machine has {:.1f} GB: lower the sizes "
             "(--batch, --rows/--cols, --dim/--layers, --calibration, the chip config's tile sizes)\n",
             bytes > 0 ? fmt::format(" (one tensor alone needs {:.1f} GB)", bytes / 1e9) : "",
             cimtrain::common::physical_memory_mb() * 1048576.0 / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  cimtrain::common::ensure_passive_thread_waiting(argv);
  cimtrain::report::set_invocation(argc, argv);
  CLI::App app{"cimtrain: noise-aware training for analog compute-in-memory chips"};
  app.require_subcommand(1);
  std::optional<int> threads, ranks;
  cimtrain::cli::add_ranks_flag(app, ranks);
  cimtrain::cli::add_ranged_option(&app, "--threads", threads, cimtrain::common::ranges::kThreads,
                                   "LibTorch threads (default: all cores)");
  app.parse_complete_callback([&]() { cimtrain::common::set_torch_threads(threads.value_or(0)); });
  cimtrain::cli::add_chip_command(app);
  cimtrain::cli::add_train_command(app);
  cimtrain::cli::add_eval_command(app);
  cimtrain::cli::add_generate_command(app);
  cimtrain::cli::add_bench_command(app);
  cimtrain::cli::add_experiment_command(app);
  cimtrain::cli::add_ranges_command(app);  // last: it lists the flags of all the others
  try {
    if (const auto status = cimtrain::cli::launch_ranks_if_asked(argc, argv)) return *status;
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every refused flag or value exits 2, as a refused configuration does.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const cimtrain::common::ConfigError& e) {
    fmt::print(stderr, "cimtrain: invalid configuration: {}\n", e.what());
    return 2;
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    if (what.find("can't allocate memory") != std::string::npos) {
      print_out_of_memory(what);
      return 1;
    }
    fmt::print(stderr, "cimtrain: {}\n", what);
    return 1;
  } catch (const std::bad_alloc&) {
    print_out_of_memory("");
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
