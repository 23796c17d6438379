// GoogleTest entry point: uses all cores for LibTorch, as the program does.
#include <gtest/gtest.h>

#include "sim/threads.h"

int main(int argc, char** argv) {
  cimtrain::sim::ensure_passive_thread_waiting(argv);
  testing::InitGoogleTest(&argc, argv);
  cimtrain::sim::set_torch_threads();
  return RUN_ALL_TESTS();
}
