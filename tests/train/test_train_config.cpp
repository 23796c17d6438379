// The training config at its edges: JSON written before the choices became enums and the "not set" values
// optional still reads the same run; names are written back as names; unknown names are refused with the
// valid ones; one-word recipes (MODE+METHOD) parse.
#include <gtest/gtest.h>

#include <string>

#include "common/errors.h"
#include "train/train_config.h"

using namespace cimtrain;

namespace {

// A config.json as the code before this change wrote it (a small-cnn fine-tuning with the STE).
const char* kLegacyConfig = R"({"batch": 128, "beta": -1.0, "channels_last": false, "chip_config": "", "context": 128,
  "data": "fashion-mnist", "data_dir": "", "digital": [], "dim": 128, "epochs": 1, "eval_limit": 500,
  "gaussian_sigma": 0.0, "grad_clip": 0.0, "heads": 4, "init": "runs/sc-clean/checkpoint.pt", "irs_sigma": -1.0,
  "layers": 4, "level": 2.0, "lr": 0.1, "method": "plain", "mode": "ste", "model": "small-cnn", "neft_device": "rram1",
  "neft_sigma": 0.1, "optimizer": "sgd", "preset": "rram", "schedule": "cosine", "seed": 0, "steps": 0,
  "subset": 1000, "validate_every": 0, "weight_decay": 0.0005})";

std::string error_of(const nlohmann::json& j) {
  try {
    train::train_config_from_json(j);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(TrainConfig, ALegacyConfigReadsAsTheSameRun) {
  const auto c = train::train_config_from_json(nlohmann::json::parse(kLegacyConfig));
  EXPECT_EQ(c.mode, nn::GradientMode::kSte);
  EXPECT_EQ(c.method, train::TrainingMethod::kPlain);
  EXPECT_EQ(c.optimizer, train::OptimizerKind::kSgd);
  EXPECT_EQ(c.schedule, train::LrSchedule::kCosine);
  EXPECT_FALSE(c.gaussian_sigma) << "0 meant: measured from the chip";
  EXPECT_FALSE(c.irs_sigma) << "-1 meant: NeFT's sigma";
  EXPECT_FALSE(c.beta) << "-1 meant: the model's default";
  EXPECT_EQ(c.subset, 1000);
  EXPECT_NO_THROW(c.validate());
}

TEST(TrainConfig, WritesNamesAndNullForNotSetAndReadsItsOwnJsonBack) {
  train::TrainConfig c;
  c.mode = nn::GradientMode::kSteDetach;
  c.method = train::TrainingMethod::kNeftOvf;
  c.optimizer = train::OptimizerKind::kAdam;
  c.schedule = train::LrSchedule::kStep;
  c.beta = 0.25;
  const nlohmann::json j = c;
  EXPECT_EQ(j["mode"], "ste-detach");
  EXPECT_EQ(j["method"], "neft-ovf");
  EXPECT_EQ(j["optimizer"], "adam");
  EXPECT_EQ(j["schedule"], "step");
  EXPECT_TRUE(j["gaussian_sigma"].is_null());
  EXPECT_EQ(j["beta"], 0.25);
  const auto back = train::train_config_from_json(j);
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(*back.beta, 0.25);
}

TEST(TrainConfig, UnknownNamesAreRefusedWithTheValidOnes) {
  auto j = nlohmann::json::parse(kLegacyConfig);
  j["mode"] = "stee";
  EXPECT_NE(error_of(j).find("mode must be one of clean, gaussian, full, ste, ste-nograd, ste-detach, neft; found "
                             "'stee'"),
            std::string::npos)
      << error_of(j);
  j = nlohmann::json::parse(kLegacyConfig);
  j["optimizer"] = "rmsprop";
  EXPECT_NE(error_of(j).find("optimizer must be one of sgd, adam; found 'rmsprop'"), std::string::npos);
  j = nlohmann::json::parse(kLegacyConfig);
  j["schedule"] = "linear";
  EXPECT_NE(error_of(j).find("schedule must be one of cosine, step, none"), std::string::npos);
  j = nlohmann::json::parse(kLegacyConfig);
  j["method"] = 2;
  EXPECT_NE(error_of(j).find("method must be a name"), std::string::npos);
  EXPECT_THROW(train::train_config_from_json(nlohmann::json::array()), common::ConfigError);
}

// A number the config cannot hold as written is refused, not rounded or wrapped (issue 19 cases 9 and 10).
TEST(TrainConfig, NumbersMustFitTheirFields) {
  auto j = nlohmann::json::parse(kLegacyConfig);
  j["epochs"] = 2.5;
  EXPECT_NE(error_of(j).find("'epochs' must be a whole number that fits the field, found 2.5"), std::string::npos)
      << error_of(j);
  j = nlohmann::json::parse(kLegacyConfig);
  j["seed"] = -1;
  EXPECT_NE(error_of(j).find("'seed' must be a whole number that fits the field, found -1"), std::string::npos)
      << error_of(j);
  j = nlohmann::json::parse(kLegacyConfig);
  j["epochs"] = 3.0;  // a whole number written with a point is that number
  EXPECT_EQ(train::train_config_from_json(j).epochs, 3);
}

TEST(TrainConfig, OneWordRecipesParse) {
  const auto ste = train::parse_mode_and_method("ste");
  EXPECT_EQ(ste.mode, nn::GradientMode::kSte);
  EXPECT_EQ(ste.method, train::TrainingMethod::kPlain);
  const auto ovf = train::parse_mode_and_method("neft-ovf");
  EXPECT_EQ(ovf.mode, nn::GradientMode::kNeft);
  EXPECT_EQ(ovf.method, train::TrainingMethod::kNeftOvf);
  const auto irs = train::parse_mode_and_method("ste+neft-irs");
  EXPECT_EQ(irs.mode, nn::GradientMode::kSte);
  EXPECT_EQ(irs.method, train::TrainingMethod::kNeftIrs);
  EXPECT_THROW(train::parse_mode_and_method("ste+magic"), common::ConfigError);
  EXPECT_THROW(train::parse_mode_and_method("fast"), common::ConfigError);
}

TEST(TrainConfig, OptionalValuesAreCheckedWhenSet) {
  train::TrainConfig c;
  c.beta = -0.5;
  EXPECT_THROW(c.validate(), common::ConfigError);
  c.beta.reset();
  c.irs_sigma = 12;
  EXPECT_THROW(c.validate(), common::ConfigError);
  c.irs_sigma = 0.05;
  c.gaussian_sigma = 0.0;  // "measured" is spelled unset: a set sigma is > 0
  EXPECT_THROW(c.validate(), common::ConfigError);
  c.gaussian_sigma = 0.03;
  EXPECT_NO_THROW(c.validate());
  const auto back = train::train_config_from_json(nlohmann::json(c));
  EXPECT_EQ(*back.gaussian_sigma, 0.03);
}

}  // namespace
