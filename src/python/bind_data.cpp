// Data and checkpoints for Python: the image data sets read by the library's loaders (from $CIMTRAIN_DATA, with
// its error messages) and normalised exactly as the program normalises them, and a checkpoint's record and
// tensors (validated as `cimtrain eval` validates them). Also the C++ model of a checkpoint run on one batch,
// the reference the package's tests compare a Python copy of the model with.
#include <pybind11/stl.h>

#include <torch/nn/functional/loss.h>

#include "data/dataset_registry.h"
#include "data/normalization.h"
#include "common/choice.h"
#include "eval/monte_carlo.h"
#include "python/bindings.h"
#include "train/checkpoint.h"
#include "train/model_setup.h"
#include "train/train_config.h"

namespace cimtrain::python {
namespace {

py::dict image_dataset(const std::string& name, bool train, int64_t limit, const std::string& dir) {
  data::ImageDataset set;
  data::Normalization norm;
  {
    py::gil_scoped_release no_gil;
    set = data::load_image_dataset(name, dir, train, limit);
    norm = data::default_normalization(name);
  }
  py::dict d;
  d["name"] = set.name;
  d["images_u8"] = set.images;
  d["images"] = data::normalize(set.images, norm);
  d["labels"] = set.labels;
  d["num_classes"] = set.num_classes;
  d["class_names"] = set.class_names;
  d["mean"] = norm.mean;
  d["std"] = norm.stddev;
  return d;
}

// The C++ model of a classifier checkpoint, built as `cimtrain eval` builds it, with the checkpoint loaded.
train::AnalogModel checkpoint_model(const std::string& path, nlohmann::json* meta_out = nullptr) {
  const auto meta = train::read_checkpoint_meta(path);
  const auto config = train::train_config_from_json(meta.at("config"));
  auto am = train::build_model(config, meta.at("in_channels").get<int64_t>(), meta.at("num_classes").get<int64_t>());
  train::load_checkpoint(path, *am.model);
  if (meta_out) *meta_out = meta;
  return am;
}

py::dict named_tensors(const torch::OrderedDict<std::string, at::Tensor>& tensors) {
  py::dict d;
  for (const auto& item : tensors) d[py::str(item.key())] = item.value().detach().clone();
  return d;
}

// One training forward and backward of the checkpoint's C++ model in `mode` (context reseeded with `seed`; the
// gaussian and neft modes' noise as given), then instance `instance` of `level` programmed as eval does (no
// calibration) and read in eval mode.
py::dict reference_outputs(const std::string& path, const at::Tensor& x, const at::Tensor& y, const std::string& mode,
                           double level, uint64_t seed, int instance, double gaussian_sigma, double neft_sigma,
                           double neft_s) {
  auto am = checkpoint_model(path);
  at::Tensor train_logits, eval_logits;
  {
    py::gil_scoped_release no_gil;
    am.context->set_mode(common::parse_choice<nn::GradientMode>(mode));
    am.context->set_gaussian_sigma(gaussian_sigma);
    am.context->set_neft(neft_sigma, neft_s);
    am.context->set_level(level);
    am.context->reseed(seed);
    am.model->train();
    train_logits = am.model->forward(x);
    at::cross_entropy_loss(train_logits, y).backward();
    am.model->eval();
    eval::program_instance(*am.model, *am.context, seed, level, instance);
    torch::NoGradGuard no_grad;
    eval_logits = am.model->forward(x);
  }
  torch::OrderedDict<std::string, at::Tensor> grads;
  for (const auto& p : am.model->named_parameters())
    if (p.value().grad().defined()) grads.insert(p.key(), p.value().grad());
  py::dict d;
  d["train_logits"] = train_logits.detach();
  d["eval_logits"] = eval_logits;
  d["grads"] = named_tensors(grads);
  d["buffers"] = named_tensors(am.model->named_buffers());
  return d;
}

}  // namespace

void bind_data(py::module_& m) {
  m.def("image_dataset_names", &data::image_dataset_names);
  m.def("image_dataset", &image_dataset, py::arg("name"), py::arg("train"), py::arg("limit"), py::arg("dir"));
  m.def(
      "checkpoint_meta", [](const std::string& path) { return train::read_checkpoint_meta(path).dump(); },
      "a checkpoint's JSON record as text (its run config, sizes, progress)");
  m.def(
      "checkpoint_tensors",
      [](const std::string& path) {
        auto am = checkpoint_model(path);
        py::dict d = named_tensors(am.model->named_parameters());
        for (const auto& item : named_tensors(am.model->named_buffers())) d[item.first] = item.second;
        return d;
      },
      "a classifier checkpoint's parameters and buffers by name (the C++ model's names)");
  m.def("_reference_outputs", &reference_outputs, py::arg("path"), py::arg("x"), py::arg("y"), py::arg("mode"),
        py::arg("level"), py::arg("seed"), py::arg("instance"), py::arg("gaussian_sigma"), py::arg("neft_sigma"),
        py::arg("neft_s"));
}

}  // namespace cimtrain::python
