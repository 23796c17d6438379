// Tests for checkpoints: an exact round trip of parameters, buffers, optimiser state and record; atomic
// writes; and clear errors, naming the file, for missing, truncated, corrupt, foreign and misfit files.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/model_registry.h"
#include "test_support.h"
#include "train/checkpoint.h"

namespace cimtrain::train {
namespace {

namespace fs = std::filesystem;

// A fresh, empty folder under the test temp dir.
std::string fresh_dir(const std::string& name) {
  return testing_support::fresh_dir("cimtrain_checkpoint_" + name, true);
}

torch::optim::SGD make_sgd(torch::nn::Module& model) {
  return torch::optim::SGD(model.parameters(), torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
}

// One optimiser step on a fixed batch in training mode (which also moves the BatchNorm running statistics).
void take_step(models::Classifier& model, torch::optim::Optimizer& opt, const at::Tensor& images,
               const at::Tensor& labels) {
  model.train();
  opt.zero_grad();
  at::cross_entropy_loss(model.forward(images), labels).backward();
  opt.step();
}

struct Batch {
  at::Tensor images, labels;
};

Batch fixed_batch() {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  return {at::randn({4, 1, 28, 28}, gen), at::randint(0, 10, {4}, gen, at::kLong)};
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error thrown";
  return "";
}

// Saves a small-cnn after one SGD step into `path`; returns the model.
std::shared_ptr<models::Classifier> save_trained(const std::string& path,
                                                 nlohmann::json meta = {{"kind", "classifier"}}) {
  torch::manual_seed(1);
  auto model = models::make_model("small-cnn", 1, 10);
  auto opt = make_sgd(*model);
  const auto b = fixed_batch();
  take_step(*model, opt, b.images, b.labels);
  save_checkpoint(path, *model, &opt, meta);
  return model;
}

TEST(Checkpoint, RoundTripRestoresParametersBuffersRecordAndMomentum) {
  const std::string path = fresh_dir("roundtrip") + "/model.pt";
  const auto b = fixed_batch();
  torch::manual_seed(1);
  auto a = models::make_model("small-cnn", 1, 10);
  auto opt_a = make_sgd(*a);
  take_step(*a, opt_a, b.images, b.labels);
  const nlohmann::json meta = {{"kind", "classifier"}, {"note", "round trip"}, {"progress", {{"step", 1}}}};
  save_checkpoint(path, *a, &opt_a, meta);

  torch::manual_seed(2);  // a different initialisation: every value must come from the file
  auto b_model = models::make_model("small-cnn", 1, 10);
  auto opt_b = make_sgd(*b_model);
  const auto loaded = load_checkpoint(path, *b_model, &opt_b);
  EXPECT_EQ(loaded["kind"], "classifier");
  EXPECT_EQ(loaded["note"], "round trip");
  EXPECT_EQ(loaded["progress"]["step"], 1);
  EXPECT_EQ(loaded["format_version"], kCheckpointFormatVersion);
  EXPECT_EQ(read_checkpoint_meta(path), loaded);

  const auto pa = a->named_parameters(), pb = b_model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) EXPECT_TRUE(at::equal(item.value(), pb[item.key()])) << item.key();
  const auto ba = a->named_buffers(), bb = b_model->named_buffers();
  ASSERT_EQ(ba.size(), bb.size());
  ASSERT_GE(ba.size(), 6u);  // two BatchNorms: running mean, running var, batch count
  bool running_stats_moved = false;
  for (const auto& item : ba) {
    EXPECT_TRUE(at::equal(item.value(), bb[item.key()])) << item.key();
    if (item.key() == "bn1.running_mean") running_stats_moved = item.value().abs().sum().item<double>() > 0;
  }
  EXPECT_TRUE(running_stats_moved) << "the step should have moved the BatchNorm statistics";

  // The momentum buffers: one more identical step from both must give identical parameters (a fresh
  // optimiser, without the saved momentum, gives different ones: checked below so the test can fail).
  take_step(*a, opt_a, b.images, b.labels);
  take_step(*b_model, opt_b, b.images, b.labels);
  for (const auto& item : a->named_parameters())
    EXPECT_TRUE(at::equal(item.value(), b_model->named_parameters()[item.key()])) << item.key();

  torch::manual_seed(2);
  auto c = models::make_model("small-cnn", 1, 10);
  auto opt_c = make_sgd(*c);
  load_checkpoint(path, *c, nullptr);  // weights only: momentum starts from zero
  take_step(*c, opt_c, b.images, b.labels);
  EXPECT_FALSE(at::allclose(c->named_parameters()["fc1.weight"], a->named_parameters()["fc1.weight"]))
      << "without the optimiser state the next step should differ";
}

TEST(Checkpoint, SaveIsAtomicAndReplacesTheOldFile) {
  const std::string dir = fresh_dir("atomic");
  const std::string path = dir + "/checkpoint.pt";
  save_trained(path, {{"kind", "classifier"}, {"n", 1}});
  save_trained(path, {{"kind", "classifier"}, {"n", 2}});
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"checkpoint.pt"});
  EXPECT_EQ(read_checkpoint_meta(path)["n"], 2);
}

TEST(Checkpoint, MissingTruncatedGarbageAndForeignFilesAreRejectedByName) {
  const std::string dir = fresh_dir("bad");
  const std::string good = dir + "/good.pt";
  save_trained(good);
  torch::manual_seed(3);
  auto model = models::make_model("small-cnn", 1, 10);

  const std::string missing = dir + "/missing.pt";
  for (const auto& msg :
       {message_of([&] { read_checkpoint_meta(missing); }), message_of([&] { load_checkpoint(missing, *model); })}) {
    EXPECT_NE(msg.find(missing), std::string::npos) << msg;
    EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
  }

  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 1000u);
  const std::string truncated = dir + "/truncated.pt";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  for (const auto& msg :
       {message_of([&] { read_checkpoint_meta(truncated); }), message_of([&] { load_checkpoint(truncated, *model); })})
    EXPECT_NE(msg.find(truncated), std::string::npos) << msg;

  const std::string garbage = dir + "/garbage.pt";
  std::ofstream(garbage, std::ios::binary) << "this is not a checkpoint\n" << std::string(4096, '\x7f');
  for (const auto& msg :
       {message_of([&] { read_checkpoint_meta(garbage); }), message_of([&] { load_checkpoint(garbage, *model); })})
    EXPECT_NE(msg.find(garbage), std::string::npos) << msg;

  // A valid LibTorch archive that another program wrote: no cimtrain record.
  const std::string foreign = dir + "/foreign.pt";
  {
    torch::serialize::OutputArchive archive;
    model->save(archive);
    archive.save_to(foreign);
  }
  for (const auto& msg :
       {message_of([&] { read_checkpoint_meta(foreign); }), message_of([&] { load_checkpoint(foreign, *model); })}) {
    EXPECT_NE(msg.find(foreign), std::string::npos) << msg;
    EXPECT_NE(msg.find("no cimtrain record"), std::string::npos) << msg;
  }

  // A cimtrain record of an unknown format version.
  const std::string future = dir + "/future.pt";
  {
    torch::serialize::OutputArchive archive;
    archive.write("cimtrain_meta", c10::IValue(nlohmann::json{{"kind", "classifier"}, {"format_version", 99}}.dump()));
    archive.save_to(future);
  }
  const std::string msg = message_of([&] { read_checkpoint_meta(future); });
  EXPECT_NE(msg.find(future), std::string::npos) << msg;
  EXPECT_NE(msg.find("99"), std::string::npos) << msg;

  // The good file still loads after all that.
  EXPECT_NO_THROW(load_checkpoint(good, *model));
}

TEST(Checkpoint, LoadingIntoAnotherArchitectureFails) {
  const std::string path = fresh_dir("arch") + "/small.pt";
  save_trained(path, {{"kind", "classifier"}, {"model", "small-cnn"}});
  auto vgg = models::make_model("vgg8", 1, 10);
  const std::string msg = message_of([&] { load_checkpoint(path, *vgg); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not fit"), std::string::npos) << msg;
}

// DISABLED: documents a bug in src/train/checkpoint.cpp (load_checkpoint relies on Module::load, which
// replaces each tensor with the stored one whatever its shape and ignores stored tensors the model lacks):
// a checkpoint of another shape or of a model whose layer names are a superset loads silently. Enable once
// load_checkpoint compares names and shapes.
TEST(Checkpoint, LoadingTensorsOfAnotherShapeFails) {
  const std::string dir = fresh_dir("shape");
  const std::string path = dir + "/small.pt";
  save_trained(path, {{"kind", "classifier"}, {"model", "small-cnn"}});
  // Same architecture, another class count: fc2.weight is [10, 128] in the file, [11, 128] in the model.
  auto eleven = models::make_model("small-cnn", 1, 11);
  const std::string shape_msg = message_of([&] { load_checkpoint(path, *eleven); });
  EXPECT_NE(shape_msg.find(path), std::string::npos) << shape_msg;
  EXPECT_EQ(eleven->named_parameters()["fc2.weight"].size(0), 11) << "the model's shape was replaced";

  // A vgg8 checkpoint holds every name small-cnn has (conv1, bn1, conv2, bn2, fc1, fc2) with other shapes.
  const std::string vgg_path = dir + "/vgg8.pt";
  auto vgg = models::make_model("vgg8", 1, 10);
  save_checkpoint(vgg_path, *vgg, nullptr, {{"kind", "classifier"}, {"model", "vgg8"}});
  auto small = models::make_model("small-cnn", 1, 10);
  const std::string vgg_msg = message_of([&] { load_checkpoint(vgg_path, *small); });
  EXPECT_NE(vgg_msg.find(vgg_path), std::string::npos) << vgg_msg;
  EXPECT_EQ(small->named_parameters()["conv1.weight"].size(0), 32) << "the model's shape was replaced";
}

}  // namespace
}  // namespace cimtrain::train
