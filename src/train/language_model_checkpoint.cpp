// Language-model checkpoints for evaluation and generation (see language_model_checkpoint.h).
#include "train/language_model_checkpoint.h"

#include <fmt/core.h>

#include <stdexcept>

#include "data/data_error.h"
#include "train/checkpoint.h"

namespace cimtrain::train {

LoadedLanguageModel load_language_model(const std::string& path, const std::string& preset,
                                        const std::string& chip_config) {
  const auto meta = read_checkpoint_meta(path);
  const auto kind = meta.value("kind", std::string("?"));
  if (kind != "language_model")
    throw std::runtime_error("checkpoint '" + path + "' holds a " + kind + ", not a language model (gpt or bert)");
  LoadedLanguageModel lm;
  lm.path = path;
  try {
    lm.config = train_config_from_json(meta.at("config"));
    lm.vocab = data::Vocabulary::from_json(meta.at("vocabulary"));
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + path + "': its record is unreadable: " + e.what());
  }
  if (!preset.empty()) {
    lm.config.preset = preset;
    lm.config.chip_config.clear();
  }
  if (!chip_config.empty()) lm.config.chip_config = chip_config;
  lm.am = build_language_model(lm.config, lm.vocab.size());
  load_checkpoint(path, *lm.am.model);
  return lm;
}

data::TextCorpus load_model_corpus(const LoadedLanguageModel& lm, const std::string& data_dir) {
  auto corpus =
      data::load_text_corpus(data::text_path_for(lm.config.data, data_dir.empty() ? lm.config.data_dir : data_dir));
  if (corpus.vocab.chars() != lm.vocab.chars())
    throw data::DataError(
        fmt::format("{}: its vocabulary ({} characters) is not the one the model {} was trained on "
                    "({} characters)",
                    corpus.path, corpus.vocab.size(), lm.path, lm.vocab.size()));
  return corpus;
}

}  // namespace cimtrain::train
