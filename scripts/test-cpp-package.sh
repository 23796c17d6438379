#!/usr/bin/env bash
# The installed C++ package works for a consumer: installs the build BUILD_DIR into a temporary prefix, builds
# examples/cpp against it with find_package(cimtrain), and runs the example (CTest: cpp_package).
# Usage: scripts/test-cpp-package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD_DIR="$1"
SOURCE_DIR="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD_DIR" --prefix "$TMP/prefix" > "$TMP/install.log"
cmake -S "$SOURCE_DIR/examples/cpp" -B "$TMP/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TMP/prefix" \
  > "$TMP/configure.log"
cmake --build "$TMP/build" -j "$(nproc)" > "$TMP/build.log" || { cat "$TMP/build.log"; exit 1; }
"$TMP/build/analog_mlp"
