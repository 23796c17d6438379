// Checkpoint integrity and identity (issue 19): every damaged byte of a checkpoint is refused on load with the
// file's name (never a silent load of other numbers), the checksum names the content, a file of the previous
// format (1, before the checksum) still loads, and a run folder's checkpoint must be of the run its
// config.json describes (resume and the experiment cache refuse a swapped one).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "common/atomic_file.h"
#include "common/checksum.h"
#include "experiments/run_cache.h"
#include "models/model_registry.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/checkpoint_file.h"
#include "train/run_files.h"
#include "train/trainer.h"

namespace cimtrain::train {
namespace {

namespace fs = std::filesystem;

std::string message_of(const std::function<void()>& f) { return testing_support::message_of<std::runtime_error>(f); }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A small-cnn (random weights, seed 5) and its checkpoint with an SGD state, the record of `config`.
std::shared_ptr<models::Classifier> saved_model(const std::string& path, const TrainConfig& config = {}) {
  torch::manual_seed(5);
  auto model = models::make_model("small-cnn", 1, 10);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  save_checkpoint(path, *model, &opt,
                  {{"kind", "classifier"}, {"config", config}, {"progress", {{"step", 3}, {"epoch", 0}}}});
  return model;
}

TEST(CheckpointIntegrity, EveryDamagedRegionIsRefusedByNameNeverLoadedSilently) {
  const auto dir = testing_support::fresh_dir("cimtrain_checkpoint_damage");
  const std::string good = dir + "/good.pt", bad = dir + "/bad.pt";
  saved_model(good);
  const auto bytes = read_bytes(good);
  ASSERT_GT(bytes.size(), 10000u);
  // Every byte of the header, 300 positions spread over the record and the tensors, every byte of the trailer.
  std::vector<size_t> positions;
  for (size_t i = 0; i < 32; ++i) positions.push_back(i);
  for (size_t k = 0; k < 300; ++k) positions.push_back(32 + k * (bytes.size() - 40) / 300);
  for (size_t i = bytes.size() - 8; i < bytes.size(); ++i) positions.push_back(i);
  auto model = models::make_model("small-cnn", 1, 10);
  for (size_t n = 0; n < positions.size(); ++n) {
    auto damaged = bytes;
    damaged[positions[n]] = static_cast<char>(damaged[positions[n]] ^ (1 << (n % 8)));  // one bit flipped
    write_bytes(bad, damaged);
    const auto msg = message_of([&] { read_checkpoint_meta(bad); });
    EXPECT_NE(msg.find("checkpoint '" + bad + "'"), std::string::npos) << "byte " << positions[n] << ": " << msg;
    if (n % 10 == 0) {  // the tensors' loader verifies the same way
      const auto load_msg = message_of([&] { load_checkpoint(bad, *model); });
      EXPECT_NE(load_msg.find(bad), std::string::npos) << "byte " << positions[n] << ": " << load_msg;
    }
  }
  // A flip in the tensors is named as what it is.
  auto damaged = bytes;
  damaged[bytes.size() / 2] ^= 0x10;
  write_bytes(bad, damaged);
  EXPECT_NE(message_of([&] { read_checkpoint_meta(bad); }).find("is damaged: checksum mismatch"), std::string::npos);
  write_bytes(bad, bytes.substr(0, bytes.size() - 100));
  EXPECT_NE(message_of([&] { read_checkpoint_meta(bad); }).find("is damaged"), std::string::npos);
  EXPECT_NO_THROW(load_checkpoint(good, *model));
}

TEST(CheckpointIntegrity, TheChecksumNamesTheContent) {
  const auto dir = testing_support::fresh_dir("cimtrain_checkpoint_checksum");
  saved_model(dir + "/a.pt");
  const auto bytes = read_bytes(dir + "/a.pt");
  const auto sum = checkpoint_checksum(dir + "/a.pt");
  EXPECT_EQ(sum, common::checksum_hex(common::checksum64(std::string_view(bytes.data(), bytes.size() - 8))));
  TrainConfig other;
  other.lr = 0.5;
  saved_model(dir + "/b.pt", other);  // the same tensors, another record
  EXPECT_NE(checkpoint_checksum(dir + "/b.pt"), sum);
  // checksum64 itself: FNV-1a's published 64-bit values.
  EXPECT_EQ(common::checksum64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(common::checksum64("a"), 0xaf63dc4c8601ec8cULL);
}

// A file sealed with a valid checksum around a record of the wrong shape (found by fuzz_checkpoint: a record that
// is a JSON string) is refused by name, not with the JSON library's type error.
TEST(CheckpointIntegrity, ASealedFileWithAMalformedRecordIsRefused) {
  const auto dir = testing_support::fresh_dir("cimtrain_checkpoint_record");
  saved_model(dir + "/good.pt");
  const auto archive = read_checkpoint_file(dir + "/good.pt").archive;
  const std::string bad = dir + "/bad.pt";
  for (const char* record : {R"("")", R"([1, 2])", R"({"format_version": "2"})",
                             R"({"format_version": 2, "config": "small-cnn"})",
                             R"({"format_version": 2, "progress": {"step": "three"}})",
                             R"({"format_version": 2, "tensor_count": -4})"}) {
    write_bytes(bad, encode_checkpoint_file(nlohmann::json::parse(record), archive));
    const auto msg = message_of([&] { read_checkpoint_meta(bad); });
    EXPECT_NE(msg.find("checkpoint '" + bad + "': its record is malformed"), std::string::npos) << record << ": " << msg;
  }
}

// A checkpoint as format 1 wrote it: a bare LibTorch archive holding the record and the tensors.
TEST(CheckpointIntegrity, AFileOfThePreviousFormatStillLoads) {
  const auto dir = testing_support::fresh_dir("cimtrain_checkpoint_v1");
  const std::string path = dir + "/v1.pt";
  torch::manual_seed(7);
  auto model = models::make_model("small-cnn", 1, 10);
  {
    torch::serialize::OutputArchive archive, model_archive;
    const nlohmann::json meta = {{"kind", "classifier"},
                                 {"format_version", 1},
                                 {"tensor_count", model->named_parameters(true).size() + model->named_buffers(true).size()},
                                 {"n", 42}};
    archive.write("cimtrain_meta", c10::IValue(meta.dump()));
    model->save(model_archive);
    archive.write("model", model_archive);
    archive.save_to(path);
  }
  EXPECT_EQ(read_checkpoint_meta(path)["n"], 42);
  auto loaded = models::make_model("small-cnn", 1, 10);
  load_checkpoint(path, *loaded);
  for (const auto& p : model->named_parameters(true))
    EXPECT_TRUE(at::equal(p.value(), loaded->named_parameters(true)[p.key()])) << p.key();
  EXPECT_EQ(checkpoint_checksum(path), common::checksum_hex(common::checksum64(read_bytes(path))));
}

TEST(CheckpointIntegrity, ARunFoldersCheckpointMustBeOfItsConfig) {
  TrainConfig a;
  a.model = "small-cnn";
  a.data = "fashion-mnist";
  auto b = a;
  b.epochs = a.epochs + 5;  // a resume may extend the budget
  const nlohmann::json meta = {{"config", a}};
  EXPECT_NO_THROW(check_checkpoint_identity(meta, b, "ck.pt", "config.json"));
  b.lr = a.lr * 2;
  b.model = "vgg8";
  const auto msg = message_of([&] { check_checkpoint_identity(meta, b, "ck.pt", "config.json"); });
  EXPECT_NE(msg.find("checkpoint 'ck.pt' is not of the run 'config.json' describes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model: \"vgg8\" -> \"small-cnn\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("lr:"), std::string::npos) << msg;

  // A checkpoint copied into another run's folder: resume and the experiment cache refuse it, before any work.
  const auto dir = testing_support::fresh_dir("cimtrain_checkpoint_swapped");
  const TrainPaths paths(dir);
  saved_model(paths.checkpoint, a);
  common::write_file(paths.config, nlohmann::json(b).dump(2));
  const auto resume_msg = message_of([&] { resume(dir, 0, 0, nullptr, true); });
  EXPECT_NE(resume_msg.find("is not of the run"), std::string::npos) << resume_msg;
  const auto cache_msg = message_of([&] { experiments::ensure_trained(b, dir); });
  EXPECT_NE(cache_msg.find("is not of the run"), std::string::npos) << cache_msg;
  EXPECT_EQ(read_bytes(paths.config), nlohmann::json(b).dump(2)) << "the folder was changed";
}

}  // namespace
}  // namespace cimtrain::train
