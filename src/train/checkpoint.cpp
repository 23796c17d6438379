// Atomic, validated checkpoints (see checkpoint.h).
#include "train/checkpoint.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace cimtrain::train {

namespace {

std::runtime_error checkpoint_error(const std::string& path, const std::string& what) {
  return std::runtime_error("checkpoint '" + path + "': " + what);
}

torch::serialize::InputArchive open_archive(const std::string& path) {
  if (!std::filesystem::exists(path)) throw checkpoint_error(path, "file not found");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw checkpoint_error(path, "not a readable cimtrain checkpoint (truncated or corrupt?): " +
                                     std::string(e.what_without_backtrace()).substr(0, 300));
  }
  return archive;
}

nlohmann::json meta_of(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue value;
  if (!archive.try_read("cimtrain_meta", value) || !value.isString())
    throw checkpoint_error(path, "no cimtrain record inside (a checkpoint written by another program?)");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(value.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw checkpoint_error(path, std::string("its record is not valid JSON: ") + e.what());
  }
  const int version = meta.value("format_version", -1);
  if (version != kCheckpointFormatVersion)
    throw checkpoint_error(
        path, "format version " + std::to_string(version) + ", expected " + std::to_string(kCheckpointFormatVersion));
  return meta;
}

// Module::save nests one archive per submodule: "layer1_0.conv1.weight" is tensor "weight" of archive
// "conv1" inside archive "layer1_0".
bool read_nested(torch::serialize::InputArchive& archive, const std::string& key, at::Tensor& out, bool is_buffer) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) return archive.try_read(key, out, is_buffer);
  torch::serialize::InputArchive sub;
  if (!archive.try_read(key.substr(0, dot), sub)) return false;
  return read_nested(sub, key.substr(dot + 1), out, is_buffer);
}

// The first parameter or buffer of `module` that `archive` lacks or holds in another shape, described; "" when
// every one fits.
std::string first_misfit(torch::serialize::InputArchive& archive, const torch::nn::Module& module) {
  for (const auto& [kind, tensors] :
       {std::pair{"parameter", module.named_parameters(true)}, std::pair{"buffer", module.named_buffers(true)}}) {
    for (const auto& item : tensors) {
      at::Tensor stored;
      if (!read_nested(archive, item.key(), stored, kind == std::string("buffer")))
        return "it has no " + std::string(kind) + " '" + item.key() + "'";
      if (stored.sizes() != item.value().sizes()) {
        std::ostringstream s;
        s << kind << " '" << item.key() << "' has shape " << stored.sizes() << " in the checkpoint, "
          << item.value().sizes() << " in the model";
        return s.str();
      }
    }
  }
  return {};
}

}  // namespace

void save_checkpoint(const std::string& path, const torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                     nlohmann::json meta, const torch::nn::Module* auxiliary) {
  meta["format_version"] = kCheckpointFormatVersion;
  meta["tensor_count"] = model.named_parameters(true).size() + model.named_buffers(true).size();
  torch::serialize::OutputArchive archive;
  archive.write("cimtrain_meta", c10::IValue(meta.dump()));
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  if (auxiliary) {
    torch::serialize::OutputArchive auxiliary_archive;
    auxiliary->save(auxiliary_archive);
    archive.write("auxiliary", auxiliary_archive);
  }
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot move checkpoint '" + tmp + "' to '" + path + "': " + ec.message());
}

nlohmann::json read_checkpoint_meta(const std::string& path) {
  auto archive = open_archive(path);
  return meta_of(archive, path);
}

nlohmann::json load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  auto archive = open_archive(path);
  auto meta = meta_of(archive, path);
  torch::serialize::InputArchive model_archive;
  if (!archive.try_read("model", model_archive)) throw checkpoint_error(path, "holds no model");
  // Module::load swaps in stored tensors whatever their shape and ignores extra ones: check both ways first.
  const auto misfit = first_misfit(model_archive, model);
  if (!misfit.empty())
    throw checkpoint_error(
        path, "does not fit this model: " + misfit + " (it holds a " + meta.value("model", std::string("?")) + ")");
  const auto expected = model.named_parameters(true).size() + model.named_buffers(true).size();
  const auto stored_count = meta.value("tensor_count", static_cast<int64_t>(expected));
  if (stored_count != static_cast<int64_t>(expected))
    throw checkpoint_error(path, "does not fit this model: it holds " + std::to_string(stored_count) +
                                     " parameters and buffers, the model has " + std::to_string(expected) + " (a " +
                                     meta.value("model", std::string("?")) + "?)");
  try {
    model.load(model_archive);
  } catch (const c10::Error& e) {
    throw checkpoint_error(path, "does not fit this model (" + meta.value("model", std::string("?")) +
                                     "): " + std::string(e.what_without_backtrace()).substr(0, 300));
  }
  if (optimizer) {
    torch::serialize::InputArchive optimizer_archive;
    if (archive.try_read("optimizer", optimizer_archive)) {
      try {
        optimizer->load(optimizer_archive);
      } catch (const c10::Error& e) {
        throw checkpoint_error(
            path, "optimiser state does not fit: " + std::string(e.what_without_backtrace()).substr(0, 300));
      }
    }
  }
  return meta;
}

bool load_auxiliary(const std::string& path, torch::nn::Module& auxiliary) {
  auto archive = open_archive(path);
  meta_of(archive, path);
  torch::serialize::InputArchive auxiliary_archive;
  if (!archive.try_read("auxiliary", auxiliary_archive)) return false;
  const auto misfit = first_misfit(auxiliary_archive, auxiliary);
  if (!misfit.empty()) throw checkpoint_error(path, "its auxiliary modules (IRS heads) do not fit: " + misfit);
  try {
    auxiliary.load(auxiliary_archive);
  } catch (const c10::Error& e) {
    throw checkpoint_error(path, "its auxiliary modules (IRS heads) do not fit: " +
                                     std::string(e.what_without_backtrace()).substr(0, 300));
  }
  return true;
}

}  // namespace cimtrain::train
