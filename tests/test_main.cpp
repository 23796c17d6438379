// GoogleTest entry point: uses all cores for LibTorch, as the program does.
#include <gtest/gtest.h>

#include "common/threads.h"

int main(int argc, char** argv) {
  cimtrain::common::ensure_passive_thread_waiting(argv);
  testing::InitGoogleTest(&argc, argv);
  cimtrain::common::set_torch_threads();
  return RUN_ALL_TESTS();
}
