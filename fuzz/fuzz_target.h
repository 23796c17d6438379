// The fuzz targets: each feeds one input (bytes) to one of the program's readers as a file would reach it. A
// target returns normally or throws the reader's own clear error (std::invalid_argument: a configuration error;
// std::runtime_error: a file that is not what it should be); anything else (a crash, a raw torch or JSON library
// error, std::out_of_range, std::bad_alloc) is a finding. The function shape is libFuzzer's, so a clang build with
// -fsanitize=fuzzer could drive the same targets; fuzz_driver.cpp is the bounded random-mutation driver the test
// command runs.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cimtrain::fuzz {

struct FuzzTarget {
  std::string name;  // also the folder of its committed seed corpus, fuzz/corpus/NAME
  // Runs one input; `work_dir` is an empty folder the target may write its files into.
  std::function<void(const std::string& input, const std::string& work_dir)> run;
  // Seeds made at run time besides the committed corpus (e.g. a real checkpoint); may be empty.
  std::function<std::vector<std::string>(const std::string& work_dir)> generated_seeds;
  // The reader's errors must name the file (the work folder appears in the message).
  bool errors_name_the_file = true;
};

const std::vector<FuzzTarget>& fuzz_targets();

// Writes `bytes` to `path` (a plain stream write: the targets' inputs, not the program's outputs).
void write_input_file(const std::string& path, const std::string& bytes);

}  // namespace cimtrain::fuzz
