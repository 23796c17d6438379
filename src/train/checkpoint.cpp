// Atomic, verified checkpoints (see checkpoint.h; the file container: checkpoint_file.h).
#include "train/checkpoint.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <fmt/core.h>

#include <sstream>
#include <stdexcept>

#include "common/atomic_file.h"
#include "train/checkpoint_file.h"

namespace cimtrain::train {

namespace {

std::runtime_error checkpoint_error(const std::string& path, const std::string& what) {
  return std::runtime_error("checkpoint '" + path + "': " + what);
}

// The record of a format-1 file, kept inside its archive.
nlohmann::json meta_inside(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue value;
  if (!archive.try_read("cimtrain_meta", value) || !value.isString())
    throw checkpoint_error(path, "no cimtrain record inside (a checkpoint written by another program?)");
  try {
    return nlohmann::json::parse(value.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw checkpoint_error(path, std::string("its record is not valid JSON: ") + e.what());
  }
}

// The record's fields this layer and its readers use must have their types (a sealed file can still carry a
// foreign or hand-made record): an object with an integer format version, and where present a string kind, an
// object config naming its model, an object progress of integers and an integer tensor count.
void check_record(const nlohmann::json& meta, const std::string& path) {
  const auto malformed = [&](const std::string& what) {
    return checkpoint_error(path, "its record is malformed: " + what + " (a checkpoint written by another program?)");
  };
  if (!meta.is_object()) throw malformed("expected a JSON object, found " + std::string(meta.type_name()));
  if (!meta.contains("format_version") || !meta["format_version"].is_number_integer())
    throw malformed("no integer format_version");
  if (meta.contains("kind") && !meta["kind"].is_string()) throw malformed("'kind' is not a string");
  for (const char* count : {"tensor_count", "ranks"})
    if (meta.contains(count) && !meta[count].is_number_unsigned())
      throw malformed("'" + std::string(count) + "' is not a count");
  if (meta.contains("config") &&
      (!meta["config"].is_object() || (meta["config"].contains("model") && !meta["config"]["model"].is_string())))
    throw malformed("'config' is not a run's config");
  if (meta.contains("progress")) {
    if (!meta["progress"].is_object()) throw malformed("'progress' is not an object");
    for (const auto& item : meta["progress"].items())
      if (!item.value().is_number() && !item.value().is_boolean())
        throw malformed("progress '" + item.key() + "' is not a number");
  }
}

void check_version(const nlohmann::json& meta, int file_version, const std::string& path) {
  check_record(meta, path);
  const int version = meta["format_version"].get<int>();
  if (version != file_version)
    throw checkpoint_error(path, fmt::format("its record says format version {}, its file format {}", version,
                                             file_version));
}

torch::serialize::InputArchive load_archive(const CheckpointFile& file, const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.archive.data(), file.archive.size());
  } catch (const std::exception& e) {  // c10::Error, and the TorchScript reader's own errors
    std::string what = e.what();
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) what = c10->what_without_backtrace();
    throw checkpoint_error(path, (file.version == 1 ? "is damaged (format 1 has no checksum): "
                                                    : "its tensors are unreadable: ") +
                                     what.substr(0, 300));
  }
  return archive;
}

// A checkpoint opened: its record and its tensors' archive, verified.
struct OpenCheckpoint {
  nlohmann::json meta;
  torch::serialize::InputArchive archive;
};

OpenCheckpoint open_checkpoint(const std::string& path) {
  const auto file = read_checkpoint_file(path);
  OpenCheckpoint c{file.meta, load_archive(file, path)};
  if (file.version == 1) c.meta = meta_inside(c.archive, path);
  check_version(c.meta, file.version, path);
  return c;
}

std::string model_name(const nlohmann::json& meta) {
  return meta.value("config", nlohmann::json::object()).value("model", std::string("?"));
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
  // Serialised in memory first (LibTorch's file writer aborts the process when a write fails), then written
  // with the checked atomic writer.
  std::ostringstream bytes;
  archive.save_to(bytes);
  common::write_file(path, encode_checkpoint_file(meta, bytes.str()));
}

nlohmann::json read_checkpoint_meta(const std::string& path) {
  const auto file = read_checkpoint_file(path);
  if (file.version == 2) {
    check_version(file.meta, 2, path);
    return file.meta;
  }
  auto archive = load_archive(file, path);
  auto meta = meta_inside(archive, path);
  check_version(meta, 1, path);
  return meta;
}

std::string checkpoint_checksum(const std::string& path) { return read_checkpoint_file(path).checksum; }

nlohmann::json load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  auto [meta, archive] = open_checkpoint(path);
  torch::serialize::InputArchive model_archive;
  if (!archive.try_read("model", model_archive)) throw checkpoint_error(path, "holds no model");
  // Module::load swaps in stored tensors whatever their shape and ignores extra ones: check both ways first.
  const auto misfit = first_misfit(model_archive, model);
  if (!misfit.empty())
    throw checkpoint_error(
        path, "does not fit this model: " + misfit + " (it holds a " + model_name(meta) + ")");
  const auto expected = model.named_parameters(true).size() + model.named_buffers(true).size();
  const auto stored_count = meta.value("tensor_count", static_cast<int64_t>(expected));
  if (stored_count != static_cast<int64_t>(expected))
    throw checkpoint_error(path, "does not fit this model: it holds " + std::to_string(stored_count) +
                                     " parameters and buffers, the model has " + std::to_string(expected) + " (a " +
                                     model_name(meta) + "?)");
  try {
    model.load(model_archive);
  } catch (const c10::Error& e) {
    throw checkpoint_error(path, "does not fit this model (" + model_name(meta) +
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
  auto archive = open_checkpoint(path).archive;
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
