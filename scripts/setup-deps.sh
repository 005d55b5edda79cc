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
#   cmake (>= 3.25) g++ make libgtest-dev python3 python3-pip
# and the CUTLASS 4.2 headers (w4a16_setup_cutlass, below).
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
  # pip fetches the pinned CUTLASS headers (unless W4A16_CUTLASS_DIR is given).
  [[ -n "${W4A16_CUTLASS_DIR:-}" ]] || python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
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
  w4a16_setup_cutlass
  w4a16_setup_cuobjdump
}

# CUTLASS (issue #4: the Hopper GEMM path is built on CUTLASS 3.x collectives).
# Headers only, pinned: the nvidia-cutlass 4.2.0.0 wheel from the Python package
# index carries them under cutlass_library/source/include (plus the utilities
# under tools/util/include).  Unpacked once into $W4A16_ROOT/.deps (ignored by
# git); W4A16_CUTLASS_DIR (or -DCUTLASS_DIR=) points at any other checkout.
W4A16_CUTLASS_VERSION=4.2.0.0
W4A16_CUTLASS_SHA256=f9599ada45c7bcb6bf53f7d3f0a7d154183e53451c01bfa59eecd37dd4a693f6

w4a16_setup_cutlass() {
  if [[ -n "${W4A16_CUTLASS_DIR:-}" ]]; then
    [[ -f "${W4A16_CUTLASS_DIR}/include/cutlass/cutlass.h" ]] ||
      w4a16_die "W4A16_CUTLASS_DIR=${W4A16_CUTLASS_DIR} has no include/cutlass/cutlass.h"
    w4a16_log "CUTLASS: ${W4A16_CUTLASS_DIR} (from W4A16_CUTLASS_DIR)"
    return
  fi
  local dest="$W4A16_ROOT/.deps/cutlass-${W4A16_CUTLASS_VERSION}"
  if [[ ! -f "$dest/include/cutlass/cutlass.h" ]]; then
    local tmp wheel
    tmp="$(mktemp -d)"
    w4a16_log "CUTLASS: downloading nvidia-cutlass==${W4A16_CUTLASS_VERSION} (headers only) from the Python package index"
    python3 -m pip --version >/dev/null 2>&1 || w4a16_die "python3 -m pip is needed to fetch CUTLASS (apt-get install python3-pip), or set W4A16_CUTLASS_DIR"
    python3 -m pip download --quiet --no-deps "nvidia-cutlass==${W4A16_CUTLASS_VERSION}" -d "$tmp" ||
      w4a16_die "could not download nvidia-cutlass==${W4A16_CUTLASS_VERSION}; set W4A16_CUTLASS_DIR to a CUTLASS checkout"
    wheel="$(ls "$tmp"/nvidia_cutlass-*.whl)"
    echo "${W4A16_CUTLASS_SHA256}  ${wheel}" | sha256sum -c --quiet - ||
      w4a16_die "nvidia-cutlass wheel checksum mismatch (expected ${W4A16_CUTLASS_SHA256})"
    python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
prefixes = {"cutlass_library/source/include/": "include/",
            "cutlass_library/source/tools/util/include/": "tools/util/include/"}
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        for src, dst in prefixes.items():
            if name.startswith(src) and not name.endswith("/"):
                out = os.path.join(dest, dst, name[len(src):])
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with z.open(name) as f, open(out, "wb") as g:
                    g.write(f.read())
PY
    rm -rf "$tmp"
  fi
  export W4A16_CUTLASS_DIR="$dest"
  w4a16_log "CUTLASS ${W4A16_CUTLASS_VERSION}: $dest"
}

# cuobjdump and the nvdisasm it calls (tests/CMakeLists.txt: sm90_dequant_sass
# reads the Hopper kernels' machine code).  The CUDA install may lack them;
# the pinned PyPI wheels nvidia-cuda-cuobjdump / nvidia-cuda-nvdisasm carry them.
W4A16_CUDA_TOOLS_VERSION=13.5.37
W4A16_CUOBJDUMP_SHA256=38780fee50863252a0b8926357faa91615ca1c8346490563f33a06100cd73f58
W4A16_NVDISASM_SHA256=d3fdbdd49fa53e2e4aacd3db8259d052bd2b049ececdcb69e92e083c6728e7ca

w4a16_setup_cuobjdump() {
  local nvcc_dir
  nvcc_dir="$(dirname "${CUDACXX:-/usr/local/cuda/bin/nvcc}")"
  if command -v cuobjdump >/dev/null 2>&1 || [[ -x "$nvcc_dir/cuobjdump" ]]; then return; fi
  local dest="$W4A16_ROOT/.deps/cuda-tools"
  if [[ ! -x "$dest/bin/cuobjdump" || ! -x "$dest/bin/nvdisasm" ]]; then
    local tmp tool sha wheel
    tmp="$(mktemp -d)"
    for tool in cuobjdump nvdisasm; do
      sha=$([[ $tool == cuobjdump ]] && echo "$W4A16_CUOBJDUMP_SHA256" || echo "$W4A16_NVDISASM_SHA256")
      w4a16_log "$tool: downloading nvidia-cuda-$tool==${W4A16_CUDA_TOOLS_VERSION} from the Python package index"
      if ! python3 -m pip download --quiet --no-deps "nvidia-cuda-$tool==${W4A16_CUDA_TOOLS_VERSION}" -d "$tmp"; then
        w4a16_log "warning: no $tool; the sm90_dequant_sass test will be skipped"
        rm -rf "$tmp"
        return
      fi
      wheel="$(ls "$tmp"/nvidia_cuda_${tool}-*.whl)"
      echo "${sha}  ${wheel}" | sha256sum -c --quiet - || w4a16_die "nvidia-cuda-$tool wheel checksum mismatch"
      python3 - "$wheel" "$dest" "$tool" <<'PY'
import sys, zipfile, os, stat
wheel, dest, tool = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.endswith("/bin/" + tool):
            os.makedirs(os.path.join(dest, "bin"), exist_ok=True)
            out = os.path.join(dest, "bin", tool)
            with z.open(name) as f, open(out, "wb") as g:
                g.write(f.read())
            os.chmod(out, os.stat(out).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
PY
    done
    rm -rf "$tmp"
  fi
  w4a16_log "cuobjdump: $dest/bin/cuobjdump"
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
  if [[ -n "${W4A16_CUTLASS_DIR:-}" ]]; then
    args+=("-DCUTLASS_DIR=${W4A16_CUTLASS_DIR}")
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
