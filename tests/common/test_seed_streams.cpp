// Named seed streams: the mix is deterministic and sensitive to every value and their order, no two streams
// share a tag, and a stream's seed is the mix of its values with its tag last (the numbers every result so far
// was drawn with).
#include <gtest/gtest.h>

#include <set>

#include "common/seed_streams.h"

using namespace cimtrain::common;

namespace {

TEST(SeedStreams, MixSeedIsDeterministicAndSensitiveToEveryValueAndOrder) {
  EXPECT_EQ(mix_seed({1, 2, 3}), mix_seed({1, 2, 3}));
  EXPECT_NE(mix_seed({1, 2, 3}), mix_seed({1, 2, 4}));
  EXPECT_NE(mix_seed({1, 2, 3}), mix_seed({3, 2, 1}));
  EXPECT_NE(mix_seed({0, 0}), mix_seed({0}));
}

TEST(SeedStreams, NoTwoStreamsShareATagOrAName) {
  std::set<uint64_t> tags;
  std::set<std::string> names;
  for (const auto s : seed_streams()) {
    EXPECT_TRUE(tags.insert(static_cast<uint64_t>(s)).second) << "tag " << static_cast<uint64_t>(s) << " twice";
    EXPECT_TRUE(names.insert(to_string(s)).second) << to_string(s);
    EXPECT_NE(std::string(to_string(s)), "?");
  }
  EXPECT_EQ(tags.size(), 8u);
}

TEST(SeedStreams, AStreamSeedIsTheMixWithItsTagLast) {
  for (const auto s : seed_streams()) {
    const uint64_t tag = static_cast<uint64_t>(s);
    EXPECT_EQ(stream_seed(s, {42, 7, 3}), mix_seed({42, 7, 3, tag}));
    EXPECT_EQ(stream_seed(s, {0}), mix_seed({0, tag}));
  }
  // The tags the results so far were drawn with (chip instances, read noise, training noise, text windows).
  EXPECT_EQ(static_cast<uint64_t>(SeedStream::kInstanceProgramming), 1u);
  EXPECT_EQ(static_cast<uint64_t>(SeedStream::kInstanceReadNoise), 2u);
  EXPECT_EQ(static_cast<uint64_t>(SeedStream::kTrainingChipNoise), 7u);
  EXPECT_EQ(static_cast<uint64_t>(SeedStream::kTrainingWindows), 11u);
  EXPECT_NE(stream_seed(SeedStream::kTrainingWindows, {0, 5}), stream_seed(SeedStream::kAlignmentSample, {0, 5}));
}

TEST(SeedStreams, DoubleBitsTellsLevelsApart) {
  EXPECT_NE(double_bits(1.0), double_bits(2.0));
  EXPECT_EQ(double_bits(0.5), double_bits(0.5));
}

}  // namespace
