// Named seed streams: every random draw of the project that is derived from a run's seed comes from its own
// stream, so that two purposes never share random numbers. A stream's seed is a deterministic 64-bit mix
// (splitmix64 steps) of the run's seed, the values that index the draw (step, level, instance) and the
// stream's tag, the tag last. The tags are fixed: changing one changes every result drawn from it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace cimtrain::common {

enum class SeedStream : uint64_t {
  kInstanceProgramming = 1,  // eval: programming chip instance k of level L (seed, level bits, k)
  kInstanceReadNoise = 2,    // eval: read noise of chip instance k of level L (seed, level bits, k)
  kCalibrationWindows = 3,   // eval / generate: the text windows a chip instance is calibrated on (seed)
  kTextSampling = 4,         // generate: sampling the characters (seed)
  kNeftInstance = 5,         // eval --noise neft: the weight-noise draw k at sigma (seed, sigma bits, k)
  kTrainingChipNoise = 7,    // train and bench: the chip noise of optimiser step s (seed, s)
  kTrainingWindows = 11,     // text training: the windows (and BERT's masks) of optimiser step s (seed, s)
  kAlignmentSample = 12,     // experiment alignment: sample k at level L (seed, level bits, k)
};

// Every stream, in tag order (tests check that no two tags are alike).
const std::vector<SeedStream>& seed_streams();
const char* to_string(SeedStream stream);

// The seed of `stream` for these index values: mix_seed(values..., tag).
uint64_t stream_seed(SeedStream stream, std::initializer_list<uint64_t> values);

// Deterministic 64-bit mix of several values (splitmix64 steps).
uint64_t mix_seed(std::initializer_list<uint64_t> values);
// The bits of a double, for a seed (a level or sigma as an index value).
uint64_t double_bits(double value);

}  // namespace cimtrain::common
