# Shared by the set-up scripts: installs missing Debian packages and builds cimtrain (Release) into build/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CIMTRAIN_BUILD_DIR:-$ROOT/build}"

# libopenblas0-pthread: Debian's LibTorch otherwise multiplies matrices with the reference BLAS (~13x slower).
# dataset-fashion-mnist: the Fashion-MNIST IDX files under /usr/share/datasets/fashion-mnist (the main job trains on it).
# python3-torch (the same libtorch build as libtorch-dev), python3-dev and pybind11-dev: the Python package;
# python3-pytest and python3-torchvision: its tests and examples.
# libgloo-dev: the headers of the Gloo backend LibTorch's c10d ships with (the distributed layer, src/dist).
PACKAGES=(build-essential cmake libtorch-dev libopenblas0-pthread libcli11-dev nlohmann-json3-dev libfmt-dev
          libgtest-dev libbenchmark-dev gnuplot-nox zlib1g-dev libgloo-dev dataset-fashion-mnist
          python3-dev python3-torch pybind11-dev python3-pytest python3-torchvision)

install_missing_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  echo "installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

build_cimtrain() {
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}
