// The program's edge: every numeric flag has a declared range, the documentation is generated from the
// declarations, values outside a range (or non-finite, fractional, empty, overflowing) are refused with the range
// and exit status 2 in every command that takes the flag, strict config files, --resume refusing flags it cannot
// honour, and non-finite results as errors (issue 19's cases 7-10).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_support.h"

namespace {

using cimtrain::testing_support::fresh_dir;
using cimtrain::testing_support::ProgramRun;
using cimtrain::testing_support::run_cimtrain;

void expect_refused(const std::string& args, const std::string& message, int exit_code = 2) {
  const ProgramRun r = run_cimtrain(args);
  EXPECT_EQ(r.exit_code, exit_code) << args << "\n" << r.out;
  EXPECT_NE(r.out.find(message), std::string::npos) << args << "\n" << r.out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `cimtrain ranges` fails when a numeric flag has no declared range, and docs/options.md is its output.
TEST(CliRanges, EveryNumericFlagHasARangeAndTheDocsAreGeneratedFromThem) {
  const ProgramRun r = run_cimtrain("ranges", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("| level | [0, 10] | no |"), std::string::npos) << r.out;
  for (const char* flag : {"`chip --level`", "`eval --level`", "`train --level`", "`experiment table2 --levels`",
                           "`--threads`", "`generate --temperature`", "`chip --rows`"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  EXPECT_EQ(read_text(std::string(CIMTRAIN_SOURCE_DIR) + "/docs/options.md"), r.out)
      << "docs/options.md is out of date: regenerate it with `build/cimtrain ranges > docs/options.md`";
}

// The same flag is refused the same way in every command that takes it (issue 19 case 7: the level).
TEST(CliRanges, ALevelOutsideItsRangeIsRefusedByEveryCommand) {
  const std::string why = "--level: must be a finite number in [0, 10], found 50";
  expect_refused("chip --level 50", why);
  expect_refused("eval --checkpoint x.pt --level 1,50", why);
  expect_refused("train --level 50", why);
  expect_refused("bench --level 50", why);
  expect_refused("generate --checkpoint x.pt --level 50", why);
  expect_refused("experiment table3 --level 50", why);
  expect_refused("experiment table2 --levels 1,50", "--levels: must be a finite number in [0, 10], found 50");
  expect_refused("experiment table2 --train-level 50", "--train-level must be a level (a number in [0, 10])");
  // Level 10, the top of the range, runs (the thermal spread of 5 K x L keeps the tiles far above 0 K).
  const ProgramRun top = run_cimtrain("chip --level 10 --rows 64 --cols 16 --batch 4 --json");
  EXPECT_EQ(top.exit_code, 0) << top.out;
}

// Non-finite, fractional, empty, overflowing and non-numeric values (cases 8-10), CLI11's own errors included.
TEST(CliRanges, ValuesThatAreNotNumbersInTheRangeAreRefused) {
  expect_refused("chip --time 1e308", "--time: must be a finite number in [0, 3.2e+09] s, found 1e+308");
  expect_refused("chip --time 1e999", "beyond any number");
  expect_refused("chip --level nan", "--level: must be a finite number in [0, 10], found nan");
  expect_refused("chip --level ''", "--level: expected a number in [0, 10], found ''");
  expect_refused("chip --rows 2147483648", "--rows: must be a whole number in [1, 8192], found 2147483648");
  expect_refused("chip --rows 2.5", "--rows: must be a whole number in [1, 8192], found 2.5");
  expect_refused("chip --rows abc", "--rows: expected a whole number in [1, 8192], found 'abc'");
  expect_refused("--threads 0 chip", "--threads: must be a whole number in [1, 256] threads, found 0");
  expect_refused("--threads 1000000 chip", "--threads: must be a whole number in [1, 256] threads, found 1000000");
  expect_refused("eval --checkpoint x.pt --limit -1", "--limit: must be a whole number in [0, 1e+09] examples");
  expect_refused("eval --checkpoint x.pt --calibration -1", "--calibration: must be a whole number in [0, 1e+06]");
  expect_refused("generate --checkpoint x.pt --temperature nan", "--temperature: must be a finite number in [0, 100]");
  expect_refused("generate --checkpoint x.pt --length 2000000000", "--length: must be a whole number in [0, 1e+06]");
  expect_refused("experiment table2 --epochs -1", "--epochs: must be a whole number in [1, 100000] epochs");
  expect_refused("train --lr 0", "--lr: must be a finite number in (0, 10], found 0");
  expect_refused("chip --no-such-flag", "--no-such-flag");  // CLI11's own errors exit 2 too
}

TEST(CliRanges, ChipConfigFilesAreReadStrictly) {
  const std::string dir = fresh_dir("cimtrain_strict_chip_config");
  const auto config = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  expect_refused("chip --config " + config("trailing.json", R"({"level": 1} {"level": 2})"), "is not valid JSON");
  expect_refused("chip --config " + config("fraction.json", R"({"adc": {"bits": 8.5}})"),
                 "adc: 'bits' must be a whole number that fits the field, found 8.5");
  expect_refused("chip --config " + config("overflow.json", R"({"adc": {"bits": 4294967304}})"),
                 "adc: 'bits' must be a whole number that fits the field, found 4294967304");
  expect_refused("chip --config " + config("format.json", R"({"format": "cimtrain.train_config"})"),
                 "expected format \"cimtrain.chip_config\", found \"cimtrain.train_config\"");
  expect_refused("chip --config " + dir, "chip config file '" + dir + "' is a folder, expected a file");
  expect_refused("chip --config " + dir + "/missing.json", "No such file or directory");
  // A huge noise sigma passes its section's check but gives non-finite reads: an error, not "-nan" (case 8).
  expect_refused("chip --rows 64 --cols 16 --batch 4 --config " +
                     config("huge.json", R"({"read_noise": {"enabled": true, "sigma": 1e308}})"),
                 "came out non-finite", 1);
}

// Sizes inside their ranges can still ask for more memory than there is: the message says so in words (case 9).
TEST(CliRanges, RunningOutOfMemoryIsSaidInWords) {
  if (std::getenv("ASAN_OPTIONS")) GTEST_SKIP() << "AddressSanitizer reserves more address space than the limit";
  const std::string cmd = "bash -c 'ulimit -v 3500000; " + std::string(CIMTRAIN_BINARY) +
                          " --threads 1 chip --rows 8192 --cols 8192 --batch 65536' 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_NE(out.find("not enough memory for the sizes asked for (one tensor alone needs"), std::string::npos) << out;
}

// case 10: --resume continues the run its folder describes; a flag that would change it is refused.
TEST(CliRanges, ResumeRefusesFlagsItCannotHonour) {
  const std::string dir = fresh_dir("cimtrain_resume_flags");
  expect_refused("train --resume " + dir + " --lr 0.5 --model vgg8",
                 "--resume continues the run as its config.json says; it cannot take --model, --lr");
}

}  // namespace
