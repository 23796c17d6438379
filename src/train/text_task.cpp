// The character-level language-modelling training task (see training_task.h): random windows of the
// training text (GPT: the next characters as targets; BERT: 15% of positions masked), drawn from a generator
// seeded by the step, so a resumed run sees the same windows; validation perplexity per epoch.
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/utils.h>

#include <cmath>

#include "common/seed_streams.h"
#include "data/data_error.h"
#include "data/text_corpus.h"
#include "train/metrics.h"
#include "train/model_setup.h"
#include "train/training_task.h"

namespace cimtrain::train {

namespace {

class TextTask : public TrainingTask {
 public:
  TextTask(const TrainConfig& config, data::TextCorpus corpus) : config_(config), corpus_(std::move(corpus)) {
    train_ =
        config.subset > 0 ? corpus_.train.narrow(0, 0, std::min(config.subset, corpus_.train.numel())) : corpus_.train;
    for (const auto& [part, tokens] : {std::pair{"training", train_}, std::pair{"validation", corpus_.validation}})
      if (tokens.numel() <= config.context)
        throw data::DataError(fmt::format("{}: the {} text has {} characters; a window of --context {} needs {}",
                                          corpus_.path, part, tokens.numel(), config.context, config.context + 1));
    torch::manual_seed(config.seed);  // parameter initialisation
    am_ = build_language_model(config, corpus_.vocab.size());
  }

  torch::nn::Module& model() override { return *am_.model; }
  nn::AnalogContext& context() override { return *am_.context; }
  const nn::ConversionReport& layers() const override { return am_.layers; }
  std::string description() const override {
    return fmt::format("{} ({} training characters, vocabulary {}, {} steps/epoch)", corpus_.path, train_.numel(),
                       corpus_.vocab.size(), steps_per_epoch());
  }
  // An epoch: as many windows as the training text holds characters.
  int64_t steps_per_epoch() const override {
    return std::max<int64_t>(1, train_.numel() / (config_.batch * config_.context));
  }
  void start_epoch(int64_t, int64_t first_batch) override { batch_in_epoch_ = first_batch; }
  bool next(int64_t step, TaskBatch& batch) override {
    if (batch_in_epoch_ >= steps_per_epoch()) return false;
    ++batch_in_epoch_;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(
        common::stream_seed(common::SeedStream::kTrainingWindows, {config_.seed, uint64_t(step)}));
    const auto w = data::random_windows(train_, config_.batch, config_.context, gen);
    if (am_.model->causal()) {
      batch = {w.input, w.target};
    } else {
      const auto m = data::mask_characters(w.input, corpus_.vocab.size(), am_.model->mask_id(), gen);
      batch = {m.input, m.target};
    }
    return true;
  }
  at::Tensor forward(const at::Tensor& input) override { return am_.model->forward(input); }
  std::string validation_columns() const override { return "validation_loss,validation_perplexity"; }
  Validation validate() override {
    PerplexityOptions o;
    o.batch = config_.batch;
    o.max_windows = config_.eval_limit;
    o.mask_seed = config_.seed;
    Validation v;
    const double loss = mean_cross_entropy(*am_.model, corpus_.validation, o);
    v.loss = loss;
    v.perplexity = std::exp(loss);
    v.values = {loss, v.perplexity};
    v.summary = fmt::format("validation loss {:.4f}, perplexity {:.3f} (float)", loss, v.perplexity);
    return v;
  }
  nlohmann::json meta() const override {
    const auto& o = am_.model->options();
    return {{"kind", "language_model"},
            {"vocabulary", corpus_.vocab.to_json()},
            {"text", corpus_.path},
            {"transformer",
             {{"vocab_size", o.vocab_size},
              {"context", o.context},
              {"layers", o.layers},
              {"heads", o.heads},
              {"dim", o.dim},
              {"causal", o.causal}}},
            {"analog_layers", am_.layers.analog},
            {"digital_layers", am_.layers.digital}};
  }

 private:
  TrainConfig config_;
  data::TextCorpus corpus_;
  at::Tensor train_;
  AnalogLanguageModel am_;
  int64_t batch_in_epoch_ = 0;
};

}  // namespace

std::unique_ptr<TrainingTask> make_text_task(const TrainConfig& config, data::TextCorpus corpus) {
  return std::make_unique<TextTask>(config, std::move(corpus));
}

std::unique_ptr<TrainingTask> make_text_task(const TrainConfig& config) {
  return make_text_task(config, data::load_text_corpus(data::text_path_for(config.data, config.data_dir)));
}

}  // namespace cimtrain::train
