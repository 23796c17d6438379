// A 64-bit checksum of bytes (FNV-1a): detects damaged files (a changed byte changes it, with probability
// 1 - 2^-64 for random damage) and names a file's content in caches. Not a cryptographic hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cimtrain::common {

uint64_t checksum64(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL);

// The checksum as 16 lower-case hex digits.
std::string checksum_hex(uint64_t checksum);

}  // namespace cimtrain::common
