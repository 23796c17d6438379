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
# Every report also goes to a file of reports/, so that one in a child process whose test only checks for a
# non-zero exit is not lost.
rm -rf reports && mkdir reports
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0:log_path=$PWD/reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$PWD/reports/ubsan"
# cpp_package rebuilds the examples against the installed (sanitized) package, and code_size checks sources only.
status=0
ctest -j"$(nproc)" -E '^(cpp_package|code_size)$' --output-on-failure --timeout 1800 "${@:2}" || status=$?
if [ -n "$(ls -A reports)" ]; then
  echo "sanitizer reports:"; head -50 reports/*; status=1
else
  echo "no sanitizer report"
fi
exit $status
