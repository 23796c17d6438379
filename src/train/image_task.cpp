// The image-classification training task (see training_task.h): CIFAR-10 or Fashion-MNIST through the
// shuffled, augmented batch loader; float test accuracy per epoch.
#include <fmt/core.h>
#include <torch/utils.h>

#include "data/dataset_registry.h"
#include "models/irs_heads.h"
#include "train/metrics.h"
#include "train/model_setup.h"
#include "train/neft_method.h"
#include "train/training_task.h"

namespace cimtrain::train {

namespace {

class ImageTask : public TrainingTask {
 public:
  ImageTask(const TrainConfig& config, data::ImageDataset train_set, data::ImageDataset test_set)
      : config_(config),
        train_set_(std::move(train_set)),
        test_set_(std::move(test_set)),
        train_loader_(train_set_, train_options(config, train_set_)),
        test_loader_(test_set_, test_options(config)) {
    torch::manual_seed(config.seed);  // parameter initialisation
    am_ = build_model(config, train_set_.images.size(1), train_set_.num_classes);
    beta_ = config.beta.value_or(default_beta(config.method, config.model, config.data));
    if (config.method == TrainingMethod::kNeftIrs)
      heads_ =
          make_irs_heads(*am_.model, train_set_.num_classes, am_.context, config.irs_sigma.value_or(config.neft_sigma));
  }

  torch::nn::Module& model() override { return *am_.model; }
  nn::AnalogContext& context() override { return *am_.context; }
  const nn::ConversionReport& layers() const override { return am_.layers; }
  std::string description() const override {
    return fmt::format("{} ({} images, {} steps/epoch)", config_.data, train_set_.size(), steps_per_epoch());
  }
  int64_t steps_per_epoch() const override { return train_loader_.batches_per_epoch(); }
  void start_epoch(int64_t epoch, int64_t first_batch) override { train_loader_.start_epoch(epoch, first_batch); }
  bool next(int64_t, TaskBatch& batch) override {
    data::Batch b;
    if (!train_loader_.next(b)) return false;
    batch.input = to_model_layout(config_, b.images);
    batch.target = b.labels;
    return true;
  }
  at::Tensor forward(const at::Tensor& input) override { return am_.model->forward(input); }
  at::Tensor training_forward(const at::Tensor& input) override {
    // OVF: the same weights at raised noise in every analog layer (they share the context); nothing detached.
    if (config_.method == TrainingMethod::kNeftOvf)
      return ovf_logits([&] { return am_.model->forward(input); }, *am_.context, config_.neft_sigma, beta_);
    if (config_.method == TrainingMethod::kNeftIrs) return irs_logits(*am_.model, heads_, input, beta_);
    return forward(input);
  }
  torch::nn::Module* auxiliary() override { return heads_ ? heads_.get() : nullptr; }
  std::string method_summary() const override {
    if (config_.method == TrainingMethod::kPlain) return {};
    auto s = fmt::format("{}, beta {:g}", config_.method, beta_);
    if (heads_) s += fmt::format(", {} IRS heads", heads_->size());
    return s;
  }
  std::string validation_columns() const override { return "test_accuracy"; }
  Validation validate() override {
    Validation v;
    v.accuracy = accuracy(*am_.model, test_loader_, &v.loss);
    v.values = {v.accuracy};
    v.summary = fmt::format("test accuracy {:.2f}% (float)", 100 * v.accuracy);
    return v;
  }
  nlohmann::json meta() const override {
    return {{"kind", "classifier"},
            {"in_channels", train_set_.images.size(1)},
            {"num_classes", train_set_.num_classes},
            {"class_names", train_set_.class_names},
            {"analog_layers", am_.layers.analog},
            {"digital_layers", am_.layers.digital}};
  }

 private:
  static data::BatchLoaderOptions train_options(const TrainConfig& config, const data::ImageDataset& set) {
    data::BatchLoaderOptions o;
    o.batch_size = config.batch;
    o.shuffle = true;
    o.augment = config.data == "cifar10";  // pad-4 crop + flip (Fashion-MNIST: none)
    o.norm = data::default_normalization(config.data);
    o.seed = config.seed;
    o.drop_last = set.size() > config.batch;
    return o;
  }
  static data::BatchLoaderOptions test_options(const TrainConfig& config) {
    data::BatchLoaderOptions o;
    o.batch_size = 256;
    o.shuffle = false;
    o.norm = data::default_normalization(config.data);
    return o;
  }

  TrainConfig config_;
  double beta_ = 0;
  models::IrsHeads heads_{nullptr};
  data::ImageDataset train_set_, test_set_;
  data::BatchLoader train_loader_, test_loader_;
  AnalogModel am_;
};

}  // namespace

std::unique_ptr<TrainingTask> make_image_task(const TrainConfig& config, data::ImageDataset train_set,
                                              data::ImageDataset test_set) {
  return std::make_unique<ImageTask>(config, std::move(train_set), std::move(test_set));
}

std::unique_ptr<TrainingTask> make_image_task(const TrainConfig& config) {
  auto train_set = data::load_image_dataset(config.data, config.data_dir, true, config.subset > 0 ? config.subset : -1);
  auto test_set =
      data::load_image_dataset(config.data, config.data_dir, false, config.eval_limit > 0 ? config.eval_limit : -1);
  return make_image_task(config, std::move(train_set), std::move(test_set));
}

}  // namespace cimtrain::train
