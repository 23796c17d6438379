#!/bin/bash
# The C++ test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (CMake option CIMTRAIN_SANITIZE)
# in its own build folder, then run: every report stops the test that caused it. Usage:
#   scripts/sanitize.sh [BUILD_DIR]        (default build-asan; needs CIMTRAIN_DATA like the normal suite)
# It takes about an hour on two cores (a full build, then the suite ~3x slower than normally), so it is not part of
# CI's run; docs/robustness.md has the result of the last run.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build-asan}"
mkdir -p "$build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIMTRAIN_SANITIZE=ON -DCIMTRAIN_PYTHON=OFF \
  -DCIMTRAIN_FUZZ_SECONDS=15 > "$build/configure.log"
cmake --build "$build" -j"$(nproc)"
cd "$build"
# LibTorch's own static objects are alive at exit by design: leak checking would report them, not our code.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# cpp_package rebuilds the examples against the installed (sanitized) package, and code_size checks sources only.
ctest -j"$(nproc)" -E '^(cpp_package|code_size)$' --output-on-failure --timeout 1800 "${@:2}"
