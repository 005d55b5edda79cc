#!/usr/bin/env bash
# Build prerequisites and the configure+build step shared by scripts/test.sh,
# scripts/bench.sh and .ci/run.
#
#   . scripts/setup-deps.sh          (from a bash script running with set -euo pipefail)
#   w4a16_setup_deps                 install what is missing, put nvcc on PATH
#   w4a16_build build                configure + build into ./build
#
# Run directly (`bash scripts/setup-deps.sh`) it only installs what is missing.
#
# Installs (only if missing, Debian/Ubuntu apt, as root or through sudo):
#   cmake (>= 3.25) g++ make libgtest-dev python3
# nvcc (CUDA 13) is assumed present: on PATH, in $CUDACXX, $CUDA_HOME/bin or
# /usr/local/cuda/bin; the script fails with a clear message otherwise.
#
# Environment:
#   W4A16_CUDA_ARCHS   CUDA archs to build (CMake syntax, e.g. 90a-real). Unset:
#                      the CMake default, all supported archs.
#   W4A16_CMAKE_ARGS   extra arguments for the configure step (split on spaces).

W4A16_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

w4a16_log() { printf '[w4a16] %s\n' "$*" >&2; }
w4a16_die() {
  printf '[w4a16] ERROR: %s\n' "$*" >&2
  exit 1
}

# Version "a.b.c" >= "x.y"?
w4a16_version_ge() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

w4a16_have_gtest() {
  local inc lib
  for inc in /usr/include/gtest/gtest.h /usr/local/include/gtest/gtest.h; do
    [[ -f "$inc" ]] || continue
    for lib in /usr/lib/*/libgtest.* /usr/lib/libgtest.* /usr/lib64/libgtest.* /usr/local/lib/libgtest.* \
               /usr/local/lib64/libgtest.*; do
      [[ -e "$lib" ]] && return 0
    done
  done
  return 1
}

w4a16_cmake_ok() {
  command -v cmake >/dev/null 2>&1 || return 1
  local v
  v="$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')"
  w4a16_version_ge "$v" 3.25
}

w4a16_find_nvcc() {
  local nvcc=""
  if [[ -n "${CUDACXX:-}" && -x "${CUDACXX}" ]]; then
    nvcc="${CUDACXX}"
  elif command -v nvcc >/dev/null 2>&1; then
    nvcc="$(command -v nvcc)"
  elif [[ -n "${CUDA_HOME:-}" && -x "${CUDA_HOME}/bin/nvcc" ]]; then
    nvcc="${CUDA_HOME}/bin/nvcc"
  elif [[ -x /usr/local/cuda/bin/nvcc ]]; then
    nvcc=/usr/local/cuda/bin/nvcc
  else
    w4a16_die "nvcc not found (looked at \$CUDACXX, PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin). " \
      "Install the CUDA 13 toolkit or set CUDACXX=/path/to/nvcc."
  fi
  local dir
  dir="$(dirname "$nvcc")"
  case ":${PATH}:" in
    *":${dir}:"*) ;;
    *) export PATH="${dir}:${PATH}" ;;
  esac
  export CUDACXX="${CUDACXX:-$nvcc}"
  local ver
  ver="$("$nvcc" --version | sed -n 's/.*release \([0-9][0-9.]*\).*/\1/p' | head -n 1)"
  w4a16_log "nvcc: $nvcc (CUDA ${ver:-unknown})"
  if [[ -n "$ver" ]] && ! w4a16_version_ge "$ver" 13.0; then
    w4a16_log "warning: CUDA $ver < 13.0: the default archs include sm_110a (Jetson Thor), which needs CUDA 13;" \
      "set W4A16_CUDA_ARCHS to archs this toolkit supports."
  fi
}

w4a16_setup_deps() {
  local -a missing=()
  w4a16_cmake_ok || missing+=(cmake)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  w4a16_have_gtest || missing+=(libgtest-dev)

  if ((${#missing[@]} > 0)); then
    w4a16_log "installing missing packages: ${missing[*]}"
    command -v apt-get >/dev/null 2>&1 ||
      w4a16_die "apt-get not available; install these yourself: ${missing[*]}"
    local -a sudo=()
    if [[ "$(id -u)" != 0 ]]; then
      command -v sudo >/dev/null 2>&1 || w4a16_die "not root and no sudo; install these yourself: ${missing[*]}"
      sudo=(sudo -n)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    w4a16_cmake_ok || w4a16_die "cmake >= 3.25 is required (found: $(cmake --version 2>/dev/null | head -n 1))"
    w4a16_have_gtest || w4a16_die "GoogleTest (libgtest-dev) still not found after installing it"
  else
    w4a16_log "build dependencies present (cmake, g++, make, python3, libgtest-dev)"
  fi
  w4a16_find_nvcc
}

# w4a16_build BUILD_DIR: configure (W4A16_CUDA_ARCHS from the environment if set,
# else the CMake default) and build with one job per core.
w4a16_build() {
  local build_dir="$1"
  local -a args=(-S "$W4A16_ROOT" -B "$build_dir")
  if [[ -n "${W4A16_CUDA_ARCHS:-}" ]]; then
    args+=("-DW4A16_CUDA_ARCHS=${W4A16_CUDA_ARCHS}")
  else
    # Drop a value cached by an earlier configure so that the default applies.
    args+=(-UW4A16_CUDA_ARCHS)
  fi
  if [[ -n "${W4A16_CMAKE_ARGS:-}" ]]; then
    local -a extra
    read -r -a extra <<<"${W4A16_CMAKE_ARGS}"
    args+=("${extra[@]}")
  fi
  w4a16_log "configure: cmake ${args[*]}"
  cmake "${args[@]}"
  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  w4a16_log "build: cmake --build $build_dir -j $jobs"
  cmake --build "$build_dir" -j "$jobs"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  w4a16_setup_deps
fi
