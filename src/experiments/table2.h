// `cimtrain experiment table2`: the paper's Table II. For each model, a clean (float-trained) baseline and each
// noise-aware method are trained (cached), then every checkpoint is evaluated on the same Monte-Carlo chip
// instances at each level (`cimtrain eval` in a child process, cached); the table gives value and delta against
// the baseline per level, beside the paper's numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cimtrain::experiments {

struct Table2Options {
  std::vector<std::string> models = {"vgg8", "vgg11", "resnet20", "resnet18", "gpt", "bert"};
  std::vector<std::string> methods = {"ste"};  // besides the clean baseline
  std::vector<double> levels = {1, 2, 3};
  std::string train_level = "2";  // a level, or "matched": one model per evaluation level
  int instances = 5;
  // The budget.
  int64_t epochs = 0;            // 0: the model's usual (vision 10, gpt/bert 5)
  int64_t fine_tune = 0;         // > 0: methods fine-tune the clean model this many epochs (the baseline too, clean)
  double fine_tune_lr = 0.2;     // fine-tuning learning rate, as a fraction of the training one
  int64_t subset = 0;            // > 0: the first N training images (gpt/bert: characters)
  int64_t eval_limit = 0;        // > 0: the first N test images (gpt/bert: validation windows)
  int64_t calibration = -1;      // eval --calibration
  int64_t batch = 0;             // 0: the model's usual
  double lr = 0;                 // 0: the model's usual
  std::string optimizer;         // "": the model's usual
  double weight_decay = -1;      // < 0: the model's usual
  std::string data = "cifar10";  // the vision models' data set
  std::string preset = "rram";
  uint64_t seed = 0;
  std::string out = "results/table2";
};

// Runs the experiment (cached, resumable) and writes its report into o.out.
void run_table2(const Table2Options& o);

}  // namespace cimtrain::experiments
