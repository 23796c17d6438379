// Named chip presets ("rram" after NeuRRAM, "rram-harsh", "pcm" after aihwkit) with the source of every number.
#pragma once

#include <string>
#include <vector>

namespace cimtrain::sim {

struct ChipConfig;

const std::vector<std::string>& preset_names();
// Throws ConfigError listing the known presets for an unknown name.
ChipConfig preset_config(const std::string& name);

}  // namespace cimtrain::sim
