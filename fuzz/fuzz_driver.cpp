// cimtrain_fuzz: a bounded random-mutation fuzzer over the targets of fuzz_target.h. It starts from the committed
// seed corpus (fuzz/corpus/TARGET) and the target's generated seeds, mutates them (bit flips, interesting bytes,
// inserted, deleted and duplicated spans, truncation, splices of two inputs) with a fixed seed, and runs each
// mutant for a bounded time. A crash (its signal handler saves the input), an error of a kind a reader must not
// throw, or an error that does not name the file fails the run with the input saved to fuzz-finding-TARGET.bin,
// which then becomes a regression seed in the corpus.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <typeinfo>

#include "fuzz_target.h"

namespace fs = std::filesystem;
using cimtrain::fuzz::FuzzTarget;

namespace {

// The input being run, for the crash handler (which may only make async-signal-safe calls).
std::string g_current;
std::string g_finding_path;

extern "C" void on_crash(int signal) {
  const int fd = ::open(g_finding_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ssize_t ignored = ::write(fd, g_current.data(), g_current.size());
    (void)ignored;
    ::close(fd);
  }
  const char message[] = "cimtrain_fuzz: CRASH (signal); the input is saved as the finding file\n";
  ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
  (void)ignored;
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  std::string mutate(std::string s, const std::vector<std::string>& pool) {
    const int rounds = 1 + static_cast<int>(below(4));
    for (int r = 0; r < rounds; ++r) apply_one(s, pool);
    return s;
  }

 private:
  size_t below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  void apply_one(std::string& s, const std::vector<std::string>& pool) {
    static const char interesting[] = {0,   1,   0x7f, '\x80', '\xff', '"', '{', '}',    '[',    ']',    ',', ':',
                                       '-', '9', '.',  'e',    '\n',   ' ', '#', '\x1e', '\xc3', '\xa9', 'n', 'a'};
    switch (below(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[below(s.size())] ^= static_cast<char>(1 << below(8));
        break;
      case 1:  // an interesting byte
        if (!s.empty()) s[below(s.size())] = interesting[below(sizeof interesting)];
        break;
      case 2:  // insert bytes
        s.insert(below(s.size() + 1), std::string(1 + below(8), interesting[below(sizeof interesting)]));
        break;
      case 3: {  // delete a span
        if (s.empty()) break;
        const size_t at = below(s.size());
        s.erase(at, 1 + below(std::min<size_t>(64, s.size() - at)));
        break;
      }
      case 4: {  // duplicate a span
        if (s.empty()) break;
        const size_t at = below(s.size());
        s.insert(below(s.size() + 1), s.substr(at, 1 + below(std::min<size_t>(64, s.size() - at))));
        break;
      }
      case 5:  // truncate
        s.resize(below(s.size() + 1));
        break;
      case 6: {  // splice with another input
        const std::string& other = pool[below(pool.size())];
        const size_t cut = below(s.size() + 1);
        s = s.substr(0, cut) + other.substr(std::min(other.size(), below(other.size() + 1)));
        break;
      }
      default: {  // a number replaced by an extreme one
        static const char* numbers[] = {"-1",
                                        "0",
                                        "1e308",
                                        "-1e308",
                                        "nan",
                                        "2147483648",
                                        "18446744073709551616",
                                        "4294967295",
                                        "0.5",
                                        "1e-320",
                                        "99999999999999999999"};
        const size_t at = s.find_first_of("0123456789", below(s.size() + 1));
        if (at == std::string::npos) break;
        size_t end = at;
        while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.')) ++end;
        s.replace(at, end - at, numbers[below(sizeof numbers / sizeof *numbers)]);
        break;
      }
    }
    if (s.size() > (1u << 22)) s.resize(1u << 22);
  }

  std::mt19937_64 rng_;
};

// Runs one input: "" when the target accepted or refused it properly, else what is wrong.
std::string run_one(const FuzzTarget& target, const std::string& input, const fs::path& work) {
  fs::remove_all(work);
  fs::create_directories(work);
  g_current = input;
  const auto names_file = [&](const std::string& message) {
    return !target.errors_name_the_file || message.find(work.string()) != std::string::npos;
  };
  try {
    target.run(input, work.string());
  } catch (const std::invalid_argument& e) {
    if (!names_file(e.what())) return fmt::format("a configuration error that names no file: {}", e.what());
  } catch (const std::runtime_error& e) {
    if (!names_file(e.what())) return fmt::format("an error that names no file: {}", e.what());
  } catch (const std::exception& e) {
    return fmt::format("an error of a kind a reader must not throw ({}): {}", typeid(e).name(), e.what());
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cimtrain_fuzz: bounded random-mutation fuzzing of cimtrain's readers"};
  std::string name, corpus, work = (fs::temp_directory_path() / "cimtrain-fuzz").string();
  double seconds = 30;
  uint64_t seed = 1;
  int64_t max_runs = 0;
  app.add_option("target", name, "chip-config, train-config, weights-file, cifar10, fashion-mnist, text, checkpoint")
      ->required();
  app.add_option("--corpus", corpus, "seed corpus folder (default: none)");
  app.add_option("--seconds", seconds, "time budget")->capture_default_str();
  app.add_option("--runs", max_runs, "stop after this many mutants (0: the time budget only)")->capture_default_str();
  app.add_option("--seed", seed, "seed of the mutations (a run is reproducible)")->capture_default_str();
  app.add_option("--work", work, "scratch folder")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const FuzzTarget* target = nullptr;
  for (const auto& t : cimtrain::fuzz::fuzz_targets())
    if (t.name == name) target = &t;
  if (!target) {
    fmt::print(stderr, "cimtrain_fuzz: unknown target '{}'\n", name);
    return 2;
  }
  const fs::path root = fs::path(work) / name;
  fs::remove_all(root);
  fs::create_directories(root / "seeds");
  g_finding_path = fs::absolute("fuzz-finding-" + name + ".bin").string();
  for (const int s : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(s, on_crash);

  std::vector<std::string> pool;
  if (!corpus.empty())
    for (const auto& entry : fs::directory_iterator(corpus))
      if (entry.is_regular_file()) pool.push_back(read_bytes(entry.path()));
  if (target->generated_seeds)
    for (auto& s : target->generated_seeds((root / "seeds").string())) pool.push_back(std::move(s));
  if (pool.empty()) pool.push_back("");

  // The seeds themselves first: each must pass or be refused properly, as every mutant.
  const auto report = [&](const std::string& what, const std::string& input, int64_t run) {
    cimtrain::fuzz::write_input_file(g_finding_path, input);
    fmt::print(stderr, "cimtrain_fuzz {}: run {}: {}\n  input saved to {}\n", name, run, what, g_finding_path);
    return 1;
  };
  for (size_t i = 0; i < pool.size(); ++i)
    if (const auto what = run_one(*target, pool[i], root / "run"); !what.empty()) return report(what, pool[i], -1);

  Mutator mutator(seed);
  const auto start = std::chrono::steady_clock::now();
  int64_t runs = 0;
  std::mt19937_64 pick(seed ^ 0x9e3779b97f4a7c15ull);
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds &&
         (max_runs == 0 || runs < max_runs)) {
    const std::string input = mutator.mutate(pool[pick() % pool.size()], pool);
    if (const auto what = run_one(*target, input, root / "run"); !what.empty()) return report(what, input, runs);
    ++runs;
  }
  fs::remove_all(root);
  fmt::print("cimtrain_fuzz {}: {} mutants of {} seeds in {:.0f} s, no crash and every error clear\n", name, runs,
             pool.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}
