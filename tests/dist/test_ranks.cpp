// The ranks of a distributed run: the environment read strictly, and two ranks on 127.0.0.1 in one process
// (threads) summing, broadcasting and meeting at a barrier through c10d's Gloo process group.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

#include "common/errors.h"
#include "dist/rank_launcher.h"
#include "dist/ranks.h"

namespace {

using cimtrain::dist::rank_environment;
using cimtrain::dist::RankEnvironment;

RankEnvironment from(const std::map<std::string, std::string>& vars) {
  return rank_environment([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(RankEnvironment, ASingleRankWithoutTheVariablesAndTheNamesPyTorchUses) {
  const auto single = from({});
  EXPECT_EQ(single.rank, 0);
  EXPECT_EQ(single.world_size, 1);
  const auto e = from({{"RANK", "1"},
                       {"WORLD_SIZE", "2"},
                       {"MASTER_ADDR", "10.0.0.5"},
                       {"MASTER_PORT", "29501"},
                       {"GLOO_SOCKET_IFNAME", "eth1"}});
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world_size, 2);
  EXPECT_EQ(e.master_addr, "10.0.0.5");
  EXPECT_EQ(e.master_port, 29501);
  EXPECT_EQ(e.socket_ifname, "eth1");
  EXPECT_EQ(from({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"CIMTRAIN_STORE_FILE", "/shared/store"}}).store_file,
            "/shared/store");
}

TEST(RankEnvironment, MalformedOrInconsistentValuesAreRefusedByName) {
  using cimtrain::common::ConfigError;
  EXPECT_THROW(from({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), ConfigError);
  EXPECT_THROW(from({{"WORLD_SIZE", "2"}}), ConfigError);
  EXPECT_THROW(from({{"RANK", "0"}, {"WORLD_SIZE", "two"}}), ConfigError);
  EXPECT_THROW(from({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}), ConfigError);
  try {
    from({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "x"}});
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("MASTER_PORT must be a whole number in [1, 65535], found 'x'"),
              std::string::npos);
  }
}

TEST(Ranks, TwoRanksOnTheLoopbackSumBroadcastAndMeet) {
  const int port = cimtrain::dist::free_local_port();
  at::Tensor sums[2], broadcasts[2];
  std::string errors[2];
  const auto rank_main = [&](int r) {
    try {
      RankEnvironment e;
      e.rank = r;
      e.world_size = 2;
      e.master_addr = "127.0.0.1";
      e.master_port = port;
      e.timeout_s = 60;
      cimtrain::dist::Ranks ranks(e);
      EXPECT_EQ(ranks.writes_outputs(), r == 0);
      sums[r] = at::full({3}, r == 0 ? 1.5 : 10.0, at::kDouble);
      ranks.sum(sums[r]);
      broadcasts[r] = at::full({2}, static_cast<double>(r + 7), at::kFloat);
      ranks.broadcast(broadcasts[r], 1);
      ranks.barrier();
    } catch (const std::exception& e) {
      errors[r] = e.what();
    }
  };
  std::thread other(rank_main, 1);
  rank_main(0);
  other.join();
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(errors[r].empty()) << "rank " << r << ": " << errors[r];
    EXPECT_TRUE(at::equal(sums[r], at::full({3}, 11.5, at::kDouble))) << sums[r];
    EXPECT_TRUE(at::equal(broadcasts[r], at::full({2}, 8.0, at::kFloat))) << broadcasts[r];
  }
}

}  // namespace
