#!/usr/bin/env bash
# Installs what is missing, builds cimtrain, and runs the whole test suite (CTest + GoogleTest).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_missing_packages
build_cimtrain
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
