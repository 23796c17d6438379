#!/usr/bin/env bash
# Installs what is missing, builds cimtrain, and runs the whole test suite: CTest (GoogleTest, the C++ package),
# then the Python package's pytest suite (tests/python) against build/python.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_missing_packages
build_cimtrain
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
CIMTRAIN_BUILD_DIR="$BUILD_DIR" PYTHONPATH="$BUILD_DIR/python" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  "$ROOT/tests/python"
