// The progress record of a checkpoint: written and read back field for field; a record from before the wall time
// was kept reads with the steps' time as its wall time, counted from its step; a record missing a field is refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "train/training_progress.h"

namespace {

using cimtrain::train::Progress;

TEST(TrainingProgress, TheRecordRoundTripsAndAnOlderOneCountsWallTimeFromItsStep) {
  Progress p;
  p.epoch = 3;
  p.batch = 7;
  p.step = 1177;
  p.epoch_loss_sum = 2.5;
  p.epoch_correct = 40;
  p.epoch_seen = 64;
  p.seconds = 120.5;
  p.wall_seconds = 151.25;
  const nlohmann::json j = p;
  const auto back = j.get<Progress>();
  EXPECT_EQ(back.step, 1177);
  EXPECT_EQ(back.wall_seconds, 151.25);
  EXPECT_EQ(back.wall_since_step, 0);

  auto older = j;
  older.erase("wall_seconds");
  older.erase("wall_since_step");
  const auto read = older.get<Progress>();
  EXPECT_EQ(read.wall_seconds, 120.5);  // what is known: the steps' time
  EXPECT_EQ(read.wall_since_step, 1177);

  auto damaged = j;
  damaged.erase("seconds");
  EXPECT_THROW(damaged.get<Progress>(), nlohmann::json::exception);
}

}  // namespace
