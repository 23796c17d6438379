// The fuzz targets (see fuzz_target.h): the chip-config and training-config JSON readers, the weights-file reader,
// the CIFAR-10, Fashion-MNIST (IDX, gzip) and text loaders, and the checkpoint reader.
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "data/cifar10.h"
#include "data/fashion_mnist.h"
#include "data/text_corpus.h"
#include "eval/chip_report.h"
#include "fuzz_target.h"
#include "models/model_registry.h"
#include "report/report_files.h"
#include "sim/chip_config.h"
#include "train/checkpoint.h"
#include "train/checkpoint_file.h"
#include "train/train_config.h"

namespace cimtrain::fuzz {

void write_input_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::logic_error("fuzz: cannot write the input file " + path);
}

namespace {

// Splits an input into parts at the byte 0x1e (ASCII record separator): multi-file inputs (IDX images + labels).
std::vector<std::string> split_parts(const std::string& input, size_t count) {
  std::vector<std::string> parts(count);
  size_t part = 0;
  for (const char c : input) {
    if (c == '\x1e' && part + 1 < count)
      ++part;
    else
      parts[part] += c;
  }
  return parts;
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) throw std::logic_error("fuzz: cannot write " + path);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

void chip_config(const std::string& input, const std::string& dir) {
  write_input_file(dir + "/chip.json", input);
  sim::chip_config_from_file(dir + "/chip.json");
}

void train_config(const std::string& input, const std::string& dir) {
  write_input_file(dir + "/config.json", input);
  train::train_config_from_json(report::read_json_file(dir + "/config.json")).validate();
}

void weights_file(const std::string& input, const std::string& dir) {
  write_input_file(dir + "/weights.txt", input);
  eval::read_weights_file(dir + "/weights.txt", 127);
}

// CIFAR-10's test batch as a sparse file of the size the first byte chooses (exact, a record short or long, not a
// whole number of records), the input's bytes at its start, and the rest of the input as batches.meta.txt.
void cifar10(const std::string& input, const std::string& dir) {
  const auto parts = split_parts(input, 2);
  const int64_t exact = data::kCifar10RecordsPerFile * data::kCifar10RecordBytes;
  const int64_t variant = parts[0].empty() ? 0 : static_cast<unsigned char>(parts[0][0]) % 4;
  const int64_t size = variant == 0   ? exact
                       : variant == 1 ? exact - data::kCifar10RecordBytes
                       : variant == 2 ? exact + data::kCifar10RecordBytes
                                      : exact - 7;
  write_input_file(dir + "/test_batch.bin", parts[0].substr(0, static_cast<size_t>(size)));
  std::filesystem::resize_file(dir + "/test_batch.bin", static_cast<uintmax_t>(size));
  write_input_file(dir + "/batches.meta.txt", parts[1]);
  data::load_cifar10(dir, false, 16);
}

// Fashion-MNIST's test images and labels (parts 1 and 2), gzipped unless the first byte of part 3 is odd.
void fashion_mnist(const std::string& input, const std::string& dir) {
  const auto parts = split_parts(input, 3);
  const bool plain = !parts[2].empty() && (parts[2][0] & 1);
  const auto write = [&](const std::string& base, const std::string& bytes) {
    if (plain)
      write_input_file(dir + "/" + base, bytes);
    else
      write_gzip(dir + "/" + base + ".gz", bytes);
  };
  write("t10k-images-idx3-ubyte", parts[0]);
  write("t10k-labels-idx1-ubyte", parts[1]);
  data::load_fashion_mnist(dir, false, 64);
}

void text(const std::string& input, const std::string& dir) {
  write_input_file(dir + "/input.txt", input);
  data::load_text_corpus(dir + "/input.txt");
}

// A checkpoint file as it is, loaded into the small-cnn it was made from (a seed) or any other shape; and, when
// the first byte is 'R', the rest taken as a record + archive re-sealed with a valid checksum (a well-formed
// container with a damaged or foreign payload, which the checksum cannot catch).
void checkpoint(const std::string& input, const std::string& dir) {
  const std::string path = dir + "/checkpoint.pt";
  if (!input.empty() && input[0] == 'R') {
    const auto parts = split_parts(input.substr(1), 2);
    nlohmann::json meta;
    try {
      meta = nlohmann::json::parse(parts[0]);
    } catch (const nlohmann::json::exception&) {
      return;  // the container only holds JSON records; the encoder is not a reader
    }
    write_input_file(path, train::encode_checkpoint_file(meta, parts[1]));
  } else {
    write_input_file(path, input);
  }
  train::read_checkpoint_meta(path);
  auto model = models::make_model("small-cnn", 1, 10);
  train::load_checkpoint(path, *model);
}

// A real small-cnn checkpoint, as a file and as a record + archive input.
std::vector<std::string> checkpoint_seeds(const std::string& dir) {
  torch::manual_seed(3);
  auto model = models::make_model("small-cnn", 1, 10);
  const std::string path = dir + "/seed.pt";
  train::save_checkpoint(path, *model, nullptr, {{"kind", "classifier"}, {"progress", {{"step", 1}, {"epoch", 0}}}});
  std::ifstream in(path, std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  const auto file = train::read_checkpoint_file(path);
  return {bytes, "R" + file.meta.dump() + "\x1e" + file.archive};
}

}  // namespace

const std::vector<FuzzTarget>& fuzz_targets() {
  static const std::vector<FuzzTarget> targets = {
      {"chip-config", chip_config, {}, true},
      {"train-config", train_config, {}, false},  // its errors name the field ("training config: ...")
      {"weights-file", weights_file, {}, true},
      {"cifar10", cifar10, {}, true},
      {"fashion-mnist", fashion_mnist, {}, true},
      {"text", text, {}, true},
      {"checkpoint", checkpoint, checkpoint_seeds, true},
  };
  return targets;
}

}  // namespace cimtrain::fuzz
