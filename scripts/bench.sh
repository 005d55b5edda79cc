#!/usr/bin/env bash
# The benchmark command: install missing build dependencies, configure and build
# into ./build, then run the benchmark table on the local GPU:
#
#   build/tools/cli/w4a16 bench --json bench/results/<date>-<gpu>-<commit>.json \
#                               --csv  bench/results/<date>-<gpu>-<commit>.csv [extra args]
#
# The console output goes to bench/results/<date>-<gpu>-<commit>.log as well.
# Extra arguments are passed to `w4a16 bench`.  Method: docs/bench-method.md.
# Without a GPU: a clear message and exit status 2.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup-deps.sh
. scripts/setup-deps.sh

gpu_name=""
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu_name="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || true)"
fi
if [[ -z "$gpu_name" ]] && ! compgen -G '/dev/nvidia[0-9]*' >/dev/null && ! compgen -G '/dev/nvhost-*' >/dev/null; then
  w4a16_log "no NVIDIA GPU found (nvidia-smi finds none, no /dev/nvidia* device): the benchmark needs a GPU."
  exit 2
fi

w4a16_setup_deps
w4a16_build build

# e.g. "NVIDIA H100 80GB HBM3" -> "nvidia-h100-80gb-hbm3"
slug="$(printf '%s' "${gpu_name:-unknown-gpu}" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')"
# The CLI records W4A16_GIT_COMMIT in the results; the file name uses it too.
commit="${W4A16_GIT_COMMIT:-}"
if [[ -z "$commit" ]]; then
  commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo nocommit)"
  if [[ "$commit" != nocommit ]] && [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="${commit}-dirty"
  fi
fi
export W4A16_GIT_COMMIT="$commit"
stem="bench/results/$(date -u +%Y-%m-%d)-${slug}-${commit}"
mkdir -p bench/results

cmd=(build/tools/cli/w4a16 bench --json "${stem}.json" --csv "${stem}.csv" "$@")
{
  echo "# date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# gpu:     ${gpu_name:-unknown}"
  echo "# commit:  ${commit}"
  echo "# command: ${cmd[*]}"
  echo "# archs:   ${W4A16_CUDA_ARCHS:-default}"
} >"${stem}.log"
w4a16_log "running: ${cmd[*]}"
rc=0
"${cmd[@]}" 2>&1 | tee -a "${stem}.log" || rc=${PIPESTATUS[0]}
if ((rc == 0)); then
  w4a16_log "results: ${stem}.json ${stem}.csv ${stem}.log"
else
  w4a16_log "w4a16 bench exit status: $rc (log: ${stem}.log)"
fi
exit "$rc"
