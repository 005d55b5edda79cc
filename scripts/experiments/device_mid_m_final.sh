#!/usr/bin/env bash
# Closing device calls of the 192-token Hopper tiles (thirteenth session,
# issue #4), from a carried build-gpu (and build-carry/var/w4a16-base, the CLI
# of the build before the dispatch change).  Each step is added to
# $OUT/results.tgz.
#   PART=tests : test_gemm_gpu, every test (per-test times).
#   PART=rest  : test_api_errors, test_gemm_large_gpu, verify --quick,
#                memcheck over verify --quick, racecheck over the packed
#                dispatched test; the mid-M shapes dispatched by this build
#                and by the base, alternating.
#   PART=sweep : the packed M sweep of the README's plot (M <= 512) and the
#                issue target shapes (scripts/device_dispatch_sweep.sh).
B=build-gpu
CLI=$B/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
. scripts/device_common.sh
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
if [[ ${PART:-tests} == sweep ]]; then
  # racecheck over `verify --quick` with each 192-token configuration forced
  # (verify's shapes are small; shapes a forced configuration cannot run fail
  # with a message and are not counted); hazards outside cuBLAS's nvjet kernels.
  for c in sm90_coop_n128m192k64_rp sm90_coop_n128m192k64_ks_rp:3; do
    W4A16_FORCE_CONFIG=$c timeout 150 compute-sanitizer --tool racecheck $CLI verify --quick > $R/rc.log 2>&1
    echo "racecheck verify --quick, W4A16_FORCE_CONFIG=$c: rc=$?, hazards outside nvjet:" \
      "$(grep 'Race reported' $R/rc.log | grep -vc nvjet), cases passed: $(grep -c '^\[.*PASS' $R/rc.log)," \
      "kernels run: $(grep -c 'W4A16\|sm90' $R/rc.log)" >> $R/racecheck-m192.log
    grep -E "RACECHECK SUMMARY|passed|failed" $R/rc.log | tail -3 >> $R/racecheck-m192.log
    rm $R/rc.log
    save
  done
  OUT=$R PARTS="small targets" bash scripts/device_dispatch_sweep.sh
  save
  exit 0
fi
if [[ ${PART:-tests} == tests ]]; then
  gemm_gpu_tests $B
  exit 0
fi
{ timeout 40 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
  timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
  timeout 60 $CLI verify --quick; echo "verify rc=$?"; } > $R/gtest-rest.log 2>&1
save
# racecheck also reports cuBLAS's own TMA/mbarrier kernels (nvjet_*, the tests' reference GEMMs).
{ timeout 90 compute-sanitizer --tool memcheck --error-exitcode 9 $CLI verify --quick; echo "memcheck rc=$?"
  timeout 150 compute-sanitizer --tool racecheck $B/tests/test_gemm_gpu --gtest_brief=1 \
    --gtest_filter='*PackedWeightsDispatched*'; echo "racecheck rc=$?"; } > $R/sanitizer-full.log 2>&1
grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log
echo "racecheck hazards outside cuBLAS nvjet kernels: $(grep 'Race reported' $R/sanitizer-full.log | grep -vc nvjet)" >> $R/sanitizer.log
rm $R/sanitizer-full.log
save
s=""
for nk in 4096x4096 14336x4096 4096x14336 4096x11008 28672x8192 8192x28672; do
  for m in 136 160 192 320 384; do s="$s${s:+,}${m}x$nk"; done
done
ab_rounds 2 ab "$s"
