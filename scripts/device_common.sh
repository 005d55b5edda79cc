# Helpers shared by the device-call scripts (sourced, not run).  The caller
# sets CLI (this build's w4a16) and R (the result folder under $OUT).
#   save                  : tar R into $OUT/results.tgz (only 8 files come
#                           back from a call, so everything travels in one)
#   ab_dispatched PACKED CANONICAL: the base build then this one, the
#                           dispatcher's choice on two shape lists (below)
#   ab_rounds N PREFIX SHAPES [bench args]: N rounds of `w4a16 bench --quick
#                           --packed` over SHAPES, the base build
#                           (build-carry/var/w4a16-base) then this one, into
#                           $R/PREFIX-{base,new}-<round>.{json,log}; saves
#                           after each run
#   bench_to NAME VAR=VALUE CLI bench-args: one `w4a16 bench` (with the
#                           environment setting) into $R/NAME.{json,log}; saves
#   decode_gtests BUILD FILTER SECONDS: test_gemm_gpu over FILTER into
#                           $R/gtest-decode.log, the per-test lines into
#                           $R/gtest-summary.log; saves
#   gemm_gpu_tests BUILD, gemm_gpu_tests_but_sm90 BUILD SECONDS,
#   other_gpu_tests BUILD, sanitizers BUILD ...: see below
#   readme_tables BUILD   : the README's three main tables (see below)
#   shapes_over NxK "M ...", quick_bench NAME SECONDS bench-args: see below
#   shapes_at M "NxK ...": the comma-separated MxNxK list of one M over the
#                           layers
#   gpu_info              : the card's name and clocks into $R/gpu.txt
#   DECODE_CANON_SHAPES, DECODE_TESTS: the canonical decode A/B shapes and the
#                           gtest filter of the decode tests
save() { tar czf "$OUT/results.tgz" -C "$R" .; }

gpu_info() { nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > "$R/gpu.txt" 2>&1; }
DECODE_CANON_SHAPES=1x14336x4096,1x4096x14336,1x4096x4096,8x4096x14336,16x14336x4096,16x4096x14336,16x4096x4096
DECODE_TESTS='*DecodeEveryBatchSize1To65*:*EveryConfigurationForced*:*ExactEveryBatchSize*:*DeterministicAcrossRuns*:*GraphCaptureMatchesDirectRun*:*ForwardWaitsForThePreviousKernel*:*PartialKTiles*:*GroupSizesAndZeros*:*AlphaBeta*'


bench_to() {
  local name=$1; shift
  timeout 120 env "$@" --json "$R/$name.json" > "$R/$name.log" 2>&1
  echo "rc=$?" >> "$R/$name.log"
  save
}

decode_gtests() {
  timeout "$3" "$1/tests/test_gemm_gpu" --gtest_filter="$2" > "$R/gtest-decode.log" 2>&1
  echo "test_gemm_gpu (filter) rc=$?" >> "$R/gtest-decode.log"
  grep -E "^\[( +OK|  FAILED|  PASSED|  SKIPPED) " "$R/gtest-decode.log" > "$R/gtest-summary.log"
  save
}

ab_rounds() {
  local rounds=$1 prefix=$2 shapes=$3 round who cli
  shift 3
  for round in $(seq 1 "$rounds"); do
    for who in base new; do
      cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
      timeout 100 "$cli" bench --quick --packed --shapes "$shapes" "$@" \
        --json "$R/$prefix-$who-$round.json" > "$R/$prefix-$who-$round.log" 2>&1
      echo "rc=$?" >> "$R/$prefix-$who-$round.log"
      save
    done
  done
}

# ab_dispatched PACKED CANONICAL: the dispatcher's choice, `bench --quick`,
# with packed weights over the shapes PACKED and canonical weights over
# CANONICAL, by the base build (build-carry/var/w4a16-base) then this one
# ($CLI), into $R/{packed,canonical}-{base,new}.{json,log}; saves after each.
ab_dispatched() {
  local who cli
  for who in base new; do
    cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
    timeout 120 $cli bench --quick --packed --shapes "$1" --json "$R/packed-$who.json" > "$R/packed-$who.log" 2>&1
    echo "rc=$?" >> "$R/packed-$who.log"; save
    timeout 100 $cli bench --quick --shapes "$2" --json "$R/canonical-$who.json" > "$R/canonical-$who.log" 2>&1
    echo "rc=$?" >> "$R/canonical-$who.log"; save
  done
}

# gemm_gpu_tests BUILD: every test of test_gemm_gpu (per-test times) into
# $R/gtest-gemm-gpu.log, the per-test lines into $R/gtest-summary.log; saves.
gemm_gpu_tests() {
  timeout 570 "$1/tests/test_gemm_gpu" > "$R/gtest-gemm-gpu.log" 2>&1
  echo "test_gemm_gpu rc=$?" >> "$R/gtest-gemm-gpu.log"
  grep -E "^\[( +OK|  FAILED|  PASSED|  SKIPPED) " "$R/gtest-gemm-gpu.log" > "$R/gtest-summary.log"
  save
}

# gemm_gpu_tests_but_sm90 BUILD SECONDS: test_gemm_gpu without the tests of
# the sm90 CUTLASS configurations forced, their graph capture and autotune
# (for a change their kernels cannot reach), into $R/gtest-gemm-gpu.log, the
# per-test lines and the exit code into $R/gtest-summary.log; saves.
gemm_gpu_tests_but_sm90() {
  timeout "$2" "$1/tests/test_gemm_gpu" \
    --gtest_filter='-*Sm90ConfigurationsForced*:*Sm90GraphCaptureMatchesDirectRun*:*Autotune*' \
    > "$R/gtest-gemm-gpu.log" 2>&1
  echo "test_gemm_gpu rc=$?" >> "$R/gtest-gemm-gpu.log"
  grep -E "^\[( +OK|  FAILED|  PASSED|  SKIPPED) |rc=" "$R/gtest-gemm-gpu.log" > "$R/gtest-summary.log"
  save
}

# readme_tables BUILD: the README's three main tables: `bench --quick` with
# packed and with canonical weights, then the issue target shapes
# (scripts/target_shapes.txt) packed, 20 replays, into
# $R/{quick-packed,quick,targets-packed}.{json,log} (and the quick CSVs); saves
# after each.
readme_tables() {
  local cli=$1/tools/cli/w4a16
  timeout 200 "$cli" bench --quick --packed --json "$R/quick-packed.json" --csv "$R/quick-packed.csv" \
    > "$R/quick-packed.log" 2>&1
  echo "rc=$?" >> "$R/quick-packed.log"; save
  timeout 150 "$cli" bench --quick --json "$R/quick.json" --csv "$R/quick.csv" > "$R/quick.log" 2>&1
  echo "rc=$?" >> "$R/quick.log"; save
  timeout 150 "$cli" bench --packed --shapes "$(cat scripts/target_shapes.txt)" --json "$R/targets-packed.json" \
    > "$R/targets-packed.log" 2>&1
  echo "rc=$?" >> "$R/targets-packed.log"; save
}

# shapes_over NxK "M-list": "MxNxK," for each M (trailing comma; the
# twenty-fourth session's scripts concatenate layers with it).
shapes_over() { local out="" m; for m in $2; do out+="${m}x$1,"; done; printf '%s' "$out"; }

# quick_bench NAME SECONDS bench-args...: `$CLI bench --quick` into
# $R/NAME.{json,log} under a time limit, its exit code appended; saves.
quick_bench() {
  local name=$1 secs=$2; shift 2
  timeout "$secs" "$CLI" bench --quick "$@" --json "$R/$name.json" > "$R/$name.log" 2>&1
  echo "rc=$?" >> "$R/$name.log"
  save
}

# refit_check_shapes: the 38 shapes the twenty-fourth session checked its
# M > 512 rule on (not the ones it was first fitted to).
refit_check_shapes() {
  shapes_over 4096x4096 "576 704 896 1030 1152 1280 1792 2304 2560 3072 5120 6144"
  shapes_over 14336x4096 "576 704 896 1152 1280 1792 2304 3072"
  shapes_over 4096x14336 "576 896 1152 1280 1792 2560"
  shapes_over 6144x4096 "768 1024 1536 2048 4096"
  shapes_over 28672x8192 "640 1024 2048"
  shapes_over 8192x28672 "640 1024 2048"
  printf '4096x5120x8192'
}

shapes_at() { local out="" nk; for nk in $2; do out="$out,$1x$nk"; done; echo "${out#,}"; }

# other_gpu_tests BUILD: test_api_errors, test_gemm_large_gpu,
# test_launch_memo_gpu (if built) and `w4a16 verify --quick` into
# $R/gtest-rest.log; saves.
other_gpu_tests() {
  { timeout 40 "$1/tests/test_api_errors" --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 "$1/tests/test_gemm_large_gpu" --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
    if [ -x "$1/tests/test_launch_memo_gpu" ]; then
      timeout 60 "$1/tests/test_launch_memo_gpu" --gtest_brief=1; echo "test_launch_memo_gpu rc=$?"
    fi
    timeout 60 "$1/tools/cli/w4a16" verify --quick; echo "verify rc=$?"; } > "$R/gtest-rest.log" 2>&1
  save
}

# sanitizers BUILD MEMCHECK_FILTER RACECHECK_FILTER SECONDS: memcheck over
# `w4a16 verify --quick` and over the test_gemm_gpu tests of MEMCHECK_FILTER,
# racecheck over those of RACECHECK_FILTER (each run at most SECONDS), into
# $R/sanitizer.log without the passing lines, with a count of the racecheck
# hazards outside cuBLAS's own kernels (nvjet_*: the tests' reference GEMMs,
# which racecheck also reports); saves.
sanitizers() {
  local b=$1 mem=$2 race=$3 secs=$4
  { timeout 90 compute-sanitizer --tool memcheck --error-exitcode 9 "$b/tools/cli/w4a16" verify --quick
    echo "memcheck verify rc=$?"
    timeout "$secs" compute-sanitizer --tool memcheck --error-exitcode 9 "$b/tests/test_gemm_gpu" --gtest_brief=1 \
      --gtest_filter="$mem"
    echo "memcheck tests rc=$?"
    timeout "$secs" compute-sanitizer --tool racecheck "$b/tests/test_gemm_gpu" --gtest_brief=1 --gtest_filter="$race"
    echo "racecheck tests rc=$?"; } > "$R/sanitizer-full.log" 2>&1
  grep -vE "^(PASS|W4A16|  )" "$R/sanitizer-full.log" > "$R/sanitizer.log"
  echo "racecheck hazards outside cuBLAS nvjet kernels: $(grep 'Race reported' "$R/sanitizer-full.log" | grep -vc nvjet)" \
    >> "$R/sanitizer.log"
  rm "$R/sanitizer-full.log"
  save
}
