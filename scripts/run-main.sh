#!/usr/bin/env bash
# Installs what is missing, builds cimtrain, and runs the main job: the chip error report.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_missing_packages
build_cimtrain
"$BUILD_DIR/cimtrain" chip "$@"
