// FNV-1a over 64 bits (see checksum.h).
#include "common/checksum.h"

#include <fmt/core.h>

namespace cimtrain::common {

uint64_t checksum64(std::string_view bytes, uint64_t seed) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t h = seed;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= kPrime;
  }
  return h;
}

std::string checksum_hex(uint64_t checksum) { return fmt::format("{:016x}", checksum); }

}  // namespace cimtrain::common
