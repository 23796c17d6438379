// The task of a run, and the loss and hits every task scores (see training_task.h).
#include "train/training_task.h"

namespace cimtrain::train {

std::unique_ptr<TrainingTask> make_training_task(const TrainConfig& config) {
  return is_language_model_run(config) ? make_text_task(config) : make_image_task(config);
}

at::Tensor task_loss(const at::Tensor& logits, const at::Tensor& target) {
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), target.reshape({-1}), {}, at::Reduction::Mean,
                                -100);
}

std::pair<int64_t, int64_t> task_correct(const at::Tensor& logits, const at::Tensor& target) {
  const auto flat = target.reshape({-1});
  const auto scored = flat.ne(-100);
  const auto hits = logits.reshape({-1, logits.size(-1)}).argmax(1).eq(flat).logical_and(scored);
  return {hits.sum().item<int64_t>(), scored.sum().item<int64_t>()};
}

}  // namespace cimtrain::train
