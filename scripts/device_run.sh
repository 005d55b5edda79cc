#!/usr/bin/env bash
# Run the tests, `w4a16 verify` and the benchmark on a GPU machine, from a build
# folder that was built on another machine and carried along (no network and no
# build step here; cmake/ctest may or may not exist).
#
#   bash scripts/device_run.sh [options] [BUILD_DIR] [-- extra `w4a16 bench` args]
#
#   BUILD_DIR        default: build-gpu
#   --sanitize       also run compute-sanitizer (memcheck, racecheck) on `w4a16 verify --quick`
#   --skip-tests     --skip-verify     --skip-bench
#
# Outputs: if $OUT is set, into $OUT (at most 8 files): summary.txt, ctest.log,
# verify.log, bench.json, bench.csv, bench.log, memcheck.log, racecheck.log.
# Without $OUT: logs in the build folder, bench results in
# bench/results/<date>-<gpu>-<commit>.{json,csv,log}.
#
# Tests: a carried build folder's CTestTestfile.cmake files hold the absolute
# paths of the machine that built it.  If the build folder is where CMake
# configured it, this runs ctest; otherwise it runs the GoogleTest executables
# under BUILD_DIR/tests directly (--gtest_brief=1), each from its own folder.
#
# W4A16_GIT_COMMIT: the commit recorded in bench results (default: git HEAD, if
# the copy has a .git).
#
# Exit status: 0 if every step that ran passed, else 1 (2 if no GPU was found).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd -P)"
# The commit the CLI records in bench results.  The copy of the repo on the GPU
# machine may have no .git: pass W4A16_GIT_COMMIT=<sha> from where it was built.
if [[ -z "${W4A16_GIT_COMMIT:-}" ]] && git -C "$ROOT" rev-parse --short=12 HEAD >/dev/null 2>&1; then
  W4A16_GIT_COMMIT="$(git -C "$ROOT" rev-parse --short=12 HEAD)"
  export W4A16_GIT_COMMIT
fi

build="build-gpu"
sanitize=0
run_tests=1
run_verify=1
run_bench=1
bench_args=()
while (($# > 0)); do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --skip-tests) run_tests=0 ;;
    --skip-verify) run_verify=0 ;;
    --skip-bench) run_bench=0 ;;
    --build-dir) build="$2"; shift ;;
    --) shift; bench_args=("$@"); break ;;
    -h | --help) sed -n '2,27p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "device_run.sh: unknown option $1" >&2; exit 1 ;;
    *) build="$1" ;;
  esac
  shift
done

log() { printf '[device_run] %s\n' "$*" >&2; }

[[ -d "$build" ]] || { log "build folder '$build' not found (run from the repo root; pass BUILD_DIR)"; exit 1; }
build="$(cd "$build" && pwd -P)"
cli="$build/tools/cli/w4a16"

if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  logdir="$OUT"
else
  logdir="$build"
fi
summary="$logdir/summary.txt"
: >"$summary"
note() { printf '%s\n' "$*" | tee -a "$summary" >&2; }

# ---- GPU and environment --------------------------------------------------------
gpu_name=""
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi 2>&1 | tee -a "$summary" || true
  gpu_name="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || true)"
else
  note "nvidia-smi not found"
fi
[[ -n "$gpu_name" ]] || note "WARNING: no GPU reported by nvidia-smi; GPU tests will skip and verify/bench will fail"

# Shared libraries built in the carried folder (their RPATH names the other
# machine's paths) and the CUDA toolkit's libraries.
libdirs="$(find "$build" -name CMakeFiles -prune -o -name '*.so*' -type f -printf '%h\n' 2>/dev/null | sort -u | paste -sd: -)"
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d "$d" ]] && libdirs="${libdirs:+$libdirs:}$d"
done
export LD_LIBRARY_PATH="${libdirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [[ -x "$cli" ]] && command -v ldd >/dev/null 2>&1 && ldd "$cli" 2>/dev/null | grep -q 'not found'; then
  note "WARNING: $cli is missing shared libraries:"
  ldd "$cli" 2>/dev/null | grep 'not found' | tee -a "$summary" >&2 || true
fi

declare -A status=()
overall=0
record() {  # record NAME RC
  status[$1]=$2
  note "== $1: exit status $2"
  if (($2 != 0)); then overall=1; fi
}

# ---- tests ----------------------------------------------------------------------
run_gtests_directly() {
  local dir="$build/tests" exe rc=0 n=0
  [[ -d "$dir" ]] || dir="$build"
  local -a exes=()
  while IFS= read -r exe; do exes+=("$exe"); done < <(
    find "$dir" -name CMakeFiles -prune -o -type f -perm -u+x ! -name '*.so*' -print | sort)
  for exe in "${exes[@]}"; do
    [[ "$exe" == "$cli" ]] && continue
    # Only GoogleTest executables answer --gtest_list_tests.
    "$exe" --gtest_list_tests >/dev/null 2>&1 || continue
    n=$((n + 1))
    echo "---- ${exe#"$build"/} --gtest_brief=1"
    local r=0
    (cd "$(dirname "$exe")" && "$exe" --gtest_brief=1) || r=$?
    echo "---- ${exe#"$build"/}: exit status $r"
    if ((r != 0)); then rc=1; fi
  done
  if ((n == 0)); then
    echo "no GoogleTest executables found under $dir"
    return 1
  fi
  return "$rc"
}

if ((run_tests)); then
  configured_in="$(sed -n 's/^CMAKE_CACHEFILE_DIR:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null || true)"
  rc=0
  if [[ -n "$configured_in" && "$(cd "$configured_in" 2>/dev/null && pwd -P)" == "$build" ]] &&
     command -v ctest >/dev/null 2>&1; then
    log "tests: ctest --test-dir $build --output-on-failure"
    ctest --test-dir "$build" --output-on-failure 2>&1 | tee "$logdir/ctest.log" || rc=${PIPESTATUS[0]}
  else
    log "tests: build folder was configured in '${configured_in:-?}', now at '$build':" \
      "running the GoogleTest executables directly"
    run_gtests_directly 2>&1 | tee "$logdir/ctest.log" || rc=${PIPESTATUS[0]}
  fi
  record tests "$rc"
fi

# ---- verify ---------------------------------------------------------------------
if ((run_verify)); then
  rc=0
  if [[ -x "$cli" ]]; then
    log "verify: $cli verify"
    "$cli" verify 2>&1 | tee "$logdir/verify.log" || rc=${PIPESTATUS[0]}
  else
    note "$cli not found"; rc=1
  fi
  record verify "$rc"
fi

# ---- bench ----------------------------------------------------------------------
if ((run_bench)); then
  if [[ -n "${OUT:-}" ]]; then
    stem="$OUT/bench"
  else
    slug="$(printf '%s' "${gpu_name:-unknown-gpu}" | tr '[:upper:]' '[:lower:]' |
      sed -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')"
    commit="${W4A16_GIT_COMMIT:-nocommit}"
    mkdir -p "$ROOT/bench/results"
    stem="$ROOT/bench/results/$(date -u +%Y-%m-%d)-${slug}-${commit}"
  fi
  rc=0
  if [[ -x "$cli" ]]; then
    cmd=("$cli" bench --json "${stem}.json" --csv "${stem}.csv" "${bench_args[@]}")
    {
      echo "# date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
      echo "# gpu:     ${gpu_name:-unknown}"
      echo "# commit:  ${W4A16_GIT_COMMIT:-unknown}"
      echo "# command: ${cmd[*]#"$ROOT"/}"
    } >"${stem}.log"
    log "bench: ${cmd[*]}"
    "${cmd[@]}" 2>&1 | tee -a "${stem}.log" || rc=${PIPESTATUS[0]}
  else
    note "$cli not found"; rc=1
  fi
  record bench "$rc"
fi

# ---- compute-sanitizer ------------------------------------------------------------
if ((sanitize)); then
  cs=""
  for c in "$(command -v compute-sanitizer 2>/dev/null || true)" /usr/local/cuda/bin/compute-sanitizer \
           /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    if [[ -n "$c" && -x "$c" ]]; then cs="$c"; break; fi
  done
  for tool in memcheck racecheck; do
    rc=0
    if [[ -z "$cs" ]]; then
      note "compute-sanitizer not found"; rc=1
    elif [[ ! -x "$cli" ]]; then
      note "$cli not found"; rc=1
    else
      log "sanitize: $cs --tool $tool --error-exitcode 1 $cli verify --quick"
      "$cs" --tool "$tool" --error-exitcode 1 "$cli" verify --quick 2>&1 | tee "$logdir/$tool.log" ||
        rc=${PIPESTATUS[0]}
    fi
    record "$tool" "$rc"
  done
fi

note "== summary (GPU: ${gpu_name:-none}):"
for k in tests verify bench memcheck racecheck; do
  [[ -n "${status[$k]+x}" ]] && note "   $k: ${status[$k]}"
done
if [[ -z "$gpu_name" && $overall -ne 0 ]]; then exit 2; fi
exit "$overall"
