// One writer per run folder: a second lock on a held folder is refused at once with the holder's pid, the
// folder is free again once the holder is gone, and a folder that cannot be created is an error naming it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/folder_lock.h"
#include "test_support.h"

using cimtrain::common::FolderLock;

namespace {

TEST(FolderLock, ASecondWriterIsRefusedUntilTheFirstIsGone) {
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_folder_lock") + "/run";
  std::optional<FolderLock> first(std::in_place, dir);
  EXPECT_TRUE(std::filesystem::exists(dir + "/.lock"));
  const auto message = cimtrain::testing_support::message_of<std::runtime_error>([&] { FolderLock second(dir); });
  EXPECT_NE(message.find("is in use by another cimtrain process (pid " + std::to_string(getpid()) + ", started 20"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(dir), std::string::npos) << message;
  first.reset();
  EXPECT_NO_THROW(FolderLock again(dir));
}

TEST(FolderLock, AFolderThatCannotBeCreatedIsNamed) {
  const auto message =
      cimtrain::testing_support::message_of<std::runtime_error>([] { FolderLock lock("/proc/cimtrain_no/run"); });
  EXPECT_NE(message.find("cannot create the folder '/proc/cimtrain_no/run'"), std::string::npos) << message;
}

}  // namespace
