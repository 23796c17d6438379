// Loading a trained language model (GPT or BERT) from its checkpoint for evaluation or generation: the run's
// config, the vocabulary saved with it, and the model rebuilt on the chip with its weights.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/text_corpus.h"
#include "data/vocabulary.h"
#include "train/model_setup.h"
#include "train/train_config.h"

namespace cimtrain::train {

struct LoadedLanguageModel {
  std::string path;
  TrainConfig config;  // as trained, with the preset / chip config replaced when asked
  data::Vocabulary vocab;
  AnalogLanguageModel am;
};

// Throws std::runtime_error naming the file for a checkpoint that is not a language model's (or is corrupt).
// `preset` / `chip_config` (non-empty) replace the chip the model was trained on.
LoadedLanguageModel load_language_model(const std::string& path, const std::string& preset = "",
                                        const std::string& chip_config = "");

// The corpus the model was trained on (its --data; `data_dir`, when non-empty, replaces the run's), checked to
// have the model's vocabulary (throws DataError naming the difference).
data::TextCorpus load_model_corpus(const LoadedLanguageModel& lm, const std::string& data_dir = "");

}  // namespace cimtrain::train
