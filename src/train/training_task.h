// What the training loop needs from a kind of task: its model on the chip, its batches (seeded by the step,
// so a resumed run sees the same ones), its validation and its checkpoint record. Two tasks: image
// classification (image_task.cpp) and character-level language modelling (text_task.cpp). Both score logits
// [..., classes] against targets [...] with -100 marking positions that do not count (BERT's unmasked ones).
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/image_dataset.h"
#include "data/text_corpus.h"
#include "nn/analog_context.h"
#include "nn/convert.h"
#include "train/train_config.h"

namespace cimtrain::train {

struct TaskBatch {
  at::Tensor input, target;
};

// One validation pass: the values of the task's epochs.csv columns (validation_columns()), and a log line.
struct Validation {
  std::vector<double> values;
  std::string summary;     // "test accuracy 81.20% (float)"
  double loss = 0;         // mean cross-entropy (validation.csv)
  double accuracy = -1;    // images: float test accuracy
  double perplexity = -1;  // text: float validation perplexity
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;
  virtual torch::nn::Module& model() = 0;
  virtual nn::AnalogContext& context() = 0;
  virtual const nn::ConversionReport& layers() const = 0;
  virtual std::string description() const = 0;  // data and its size, for the log
  virtual int64_t steps_per_epoch() const = 0;
  // Positions the batches at `first_batch` of `epoch`; next() then gives the batch of optimiser step `step`
  // (false at the end of the epoch).
  virtual void start_epoch(int64_t epoch, int64_t first_batch) = 0;
  virtual bool next(int64_t step, TaskBatch& batch) = 0;
  virtual at::Tensor forward(const at::Tensor& input) = 0;
  // The logits the training loss scores: forward(), or NeFT's feedback logits (train/neft_method.h).
  virtual at::Tensor training_forward(const at::Tensor& input) { return forward(input); }
  // Modules trained alongside the model but not part of it (NeFT's IRS heads), or null. The trainer optimises
  // them and keeps them in the checkpoint while the run is unfinished (resume); the finished one drops them.
  virtual torch::nn::Module* auxiliary() { return nullptr; }
  virtual std::string method_summary() const { return {}; }  // "" or e.g. "neft-irs, beta 0.1", for the log
  virtual std::string validation_columns() const = 0;        // epochs.csv columns after train_accuracy
  virtual Validation validate() = 0;                         // eval mode, float, no autograd
  virtual nlohmann::json meta() const = 0;                   // checkpoint record: "kind", shapes, vocabulary, layers
};

// The task of config.model (a language model: text; otherwise images). Loads the data, seeds torch's
// global generator with config.seed and builds the model on the chip.
std::unique_ptr<TrainingTask> make_image_task(const TrainConfig& config);
std::unique_ptr<TrainingTask> make_text_task(const TrainConfig& config);
// The same tasks on data given by the caller (the step benchmark's synthetic batches, tests).
std::unique_ptr<TrainingTask> make_image_task(const TrainConfig& config, data::ImageDataset train_set,
                                              data::ImageDataset test_set);
std::unique_ptr<TrainingTask> make_text_task(const TrainConfig& config, data::TextCorpus corpus);
std::unique_ptr<TrainingTask> make_training_task(const TrainConfig& config);

// Mean cross-entropy over the scored targets (target != -100) of logits [..., C] and targets [...].
at::Tensor task_loss(const at::Tensor& logits, const at::Tensor& target);
// Top-1 hits among the scored targets, and how many were scored.
std::pair<int64_t, int64_t> task_correct(const at::Tensor& logits, const at::Tensor& target);

}  // namespace cimtrain::train
