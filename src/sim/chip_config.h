// The whole chip's configuration: one struct per non-ideality, the noise level, presets and JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/errors.h"
#include "sim/adc.h"
#include "sim/dac.h"
#include "sim/device_nonlinearity.h"
#include "sim/drift.h"
#include "sim/ir_drop.h"
#include "sim/mapping.h"
#include "sim/programming_noise.h"
#include "sim/read_noise.h"
#include "sim/thermal.h"

namespace cimtrain::sim {

struct ChipConfig {
  std::string preset = "rram";  // the preset this configuration started from (informational)
  double level = 1.0;           // noise level L: multiplies the std of programming and read noise, tile
                                // temperature spread and drift-exponent spread (deterministic effects stay)
  MappingConfig mapping;
  DacConfig dac;
  AdcConfig adc;
  DeviceNonlinearityConfig device_nonlinearity;
  ProgrammingNoiseConfig programming_noise;
  ReadNoiseConfig read_noise;
  ThermalConfig thermal;
  DriftConfig drift;
  IrDropConfig ir_drop;

  void validate() const;
};

void to_json(nlohmann::json& j, const ChipConfig& c);
// Starts from the preset named in j["preset"] (default "rram"), overrides the fields given; rejects unknown
// sections and fields, wrong types and invalid values with a message naming them.
ChipConfig chip_config_from_json(const nlohmann::json& j);
// The same from a JSON file; a missing file or invalid JSON is a ConfigError naming the file.
ChipConfig chip_config_from_file(const std::string& path);

// Every non-ideality off and the converters exact: the chip computes the integer product.
ChipConfig ideal_config(ChipConfig base);

// Names of the non-idealities a config can switch on one at a time, in report order.
const std::vector<std::string>& nonideality_names();
// The names of nonideality_names() that `config` switches on, in the same order.
std::vector<std::string> enabled_nonidealities(const ChipConfig& config);
// `base` with `name` switched off (the rest as configured).
ChipConfig without_nonideality(const ChipConfig& base, const std::string& name);
// The ideal chip with only `name` switched on, as `base` configures it.
ChipConfig only_nonideality(const ChipConfig& base, const std::string& name);

}  // namespace cimtrain::sim
