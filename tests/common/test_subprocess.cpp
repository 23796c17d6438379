// Child processes: a failing child's exit status, and a child killed by a signal named as such (not "-1").
#include <gtest/gtest.h>

#include <stdexcept>

#include "common/subprocess.h"
#include "test_support.h"

namespace {

using cimtrain::common::run_and_capture;

TEST(Subprocess, TheOutputOfAChildThatSucceeds) {
  EXPECT_EQ(run_and_capture({"/bin/sh", "-c", "echo hello"}), "hello\n");
}

TEST(Subprocess, AFailureSaysHowTheChildEnded) {
  auto message = cimtrain::testing_support::message_of<std::runtime_error>([] {
    run_and_capture({"/bin/sh", "-c", "exit 3"});
  });
  EXPECT_NE(message.find("command failed (exit status 3)"), std::string::npos) << message;
  message = cimtrain::testing_support::message_of<std::runtime_error>([] {
    run_and_capture({"/bin/sh", "-c", "kill -9 $$"});
  });
  EXPECT_NE(message.find("command killed by signal 9 (Killed)"), std::string::npos) << message;
  message =
      cimtrain::testing_support::message_of<std::runtime_error>([] { run_and_capture({"/nonexistent/program"}); });
  EXPECT_NE(message.find("could not be started"), std::string::npos) << message;
}

}  // namespace
