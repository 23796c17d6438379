// A training run's progress record (see training_progress.h).
#include "train/training_progress.h"

namespace cimtrain::train {

void to_json(nlohmann::json& j, const Progress& p) {
  j = {{"epoch", p.epoch},
       {"batch", p.batch},
       {"step", p.step},
       {"epoch_loss_sum", p.epoch_loss_sum},
       {"epoch_correct", p.epoch_correct},
       {"epoch_seen", p.epoch_seen},
       {"seconds", p.seconds},
       {"wall_seconds", p.wall_seconds},
       {"wall_since_step", p.wall_since_step}};
}

void from_json(const nlohmann::json& j, Progress& p) {
  j.at("epoch").get_to(p.epoch);
  j.at("batch").get_to(p.batch);
  j.at("step").get_to(p.step);
  j.at("epoch_loss_sum").get_to(p.epoch_loss_sum);
  j.at("epoch_correct").get_to(p.epoch_correct);
  j.at("epoch_seen").get_to(p.epoch_seen);
  j.at("seconds").get_to(p.seconds);
  if (j.contains("wall_seconds")) {
    j.at("wall_seconds").get_to(p.wall_seconds);
    j.at("wall_since_step").get_to(p.wall_since_step);
  } else {  // a checkpoint from before the wall time was kept: its steps' time, and wall time from here on
    p.wall_seconds = p.seconds;
    p.wall_since_step = p.step;
  }
}

}  // namespace cimtrain::train
