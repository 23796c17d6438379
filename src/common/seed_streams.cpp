// Seeds derived from a run's seed and a named stream (see seed_streams.h).
#include "common/seed_streams.h"

#include <cstring>

namespace cimtrain::common {

namespace {

uint64_t mix(const uint64_t* begin, const uint64_t* end) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (const uint64_t* v = begin; v != end; ++v) {  // splitmix64 steps
    h ^= *v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    h ^= h >> 31;
  }
  return h;
}

}  // namespace

uint64_t mix_seed(std::initializer_list<uint64_t> values) { return mix(values.begin(), values.end()); }

uint64_t double_bits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

const std::vector<SeedStream>& seed_streams() {
  static const std::vector<SeedStream> all = {SeedStream::kInstanceProgramming, SeedStream::kInstanceReadNoise,
                                              SeedStream::kCalibrationWindows,  SeedStream::kTextSampling,
                                              SeedStream::kNeftInstance,        SeedStream::kTrainingChipNoise,
                                              SeedStream::kTrainingWindows,     SeedStream::kAlignmentSample};
  return all;
}

const char* to_string(SeedStream stream) {
  switch (stream) {
    case SeedStream::kInstanceProgramming:
      return "instance programming";
    case SeedStream::kInstanceReadNoise:
      return "instance read noise";
    case SeedStream::kCalibrationWindows:
      return "calibration windows";
    case SeedStream::kTextSampling:
      return "text sampling";
    case SeedStream::kNeftInstance:
      return "neft instance";
    case SeedStream::kTrainingChipNoise:
      return "training chip noise";
    case SeedStream::kTrainingWindows:
      return "training windows";
    case SeedStream::kAlignmentSample:
      return "alignment sample";
  }
  return "?";
}

uint64_t stream_seed(SeedStream stream, std::initializer_list<uint64_t> values) {
  std::vector<uint64_t> all(values);
  all.push_back(static_cast<uint64_t>(stream));
  return mix(all.data(), all.data() + all.size());
}

}  // namespace cimtrain::common
