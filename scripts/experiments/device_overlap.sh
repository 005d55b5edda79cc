#!/usr/bin/env bash
# Device calls for W4A16_FORWARD_OVERLAP_PREVIOUS (tenth session, issue #3):
# one carried build-gpu; `bench --packed` without and with `--overlap`,
# alternating.  Everything lands in $OUT/results.tgz.
#   PART=ab     the issue target shapes (scripts/target_shapes.txt), two rounds
#               each way; the overlap tests and test_api_errors; the mutation
#               check (build-carry/mut/test_gemm_gpu.gz: a decr prologue that
#               loads the activations before griddepcontrol.wait, which the
#               overlap test must catch)
#   PART=tests  every GPU test, `verify --quick`, memcheck over the overlap tests
#   PART=variants  this build against build-carry/var/w4a16-<name>.gz, with and
#               without --overlap, on the decode shapes, two rounds
B=build-gpu
CLI=$B/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
case ${PART:-ab} in
ab)
  s=$(cat scripts/target_shapes.txt)
  for round in 1 2; do
    for mode in plain overlap; do
      flag=""; [ $mode = overlap ] && flag=--overlap
      timeout 150 $CLI bench --quick --packed $flag --shapes "$s" --json $R/$mode-$round.json > $R/$mode-$round.log 2>&1
      echo "rc=$?" >> $R/$mode-$round.log
    done
  done
  { timeout 200 $B/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*Overlap*'
    echo "test_gemm_gpu (overlap tests) rc=$?"
    timeout 30 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"; } > $R/gtest-overlap.log 2>&1
  gunzip -c build-carry/mut/test_gemm_gpu.gz > build-carry/mut/test_gemm_gpu && chmod +x build-carry/mut/test_gemm_gpu
  { timeout 120 build-carry/mut/test_gemm_gpu --gtest_brief=1 --gtest_filter='*OverlapPreviousWaits*'
    echo "mutated test_gemm_gpu (x loaded before griddepcontrol.wait) rc=$?"; } > $R/mutation-x-before-wait.log 2>&1 ;;
tests)
  { timeout 500 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
    timeout 30 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
    timeout 60 $CLI verify --quick; echo "verify rc=$?"; } > $R/gtest.log 2>&1
  { timeout 300 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*OverlapPreviousWaits*'; echo "memcheck overlap rc=$?"; } > $R/memcheck-full.log 2>&1
  grep -vE "^(PASS|W4A16|overlap-previous)" $R/memcheck-full.log > $R/memcheck.log; rm $R/memcheck-full.log ;;
variants)
  s=""; for nk in 14336x4096 4096x14336 4096x4096; do for m in 1 4 8 16; do s="$s,${m}x$nk"; done; done
  s="${s#,},1x28672x8192,1x8192x28672"
  for f in build-carry/var/*.gz; do gunzip -c $f > ${f%.gz}; chmod +x ${f%.gz}; done
  for round in 1 2; do
    for who in new $(cd build-carry/var && ls | grep -v '\.gz$' | sed 's/w4a16-//'); do
      cli=$CLI; [ $who = new ] || cli=build-carry/var/w4a16-$who
      for mode in plain overlap; do
        flag=""; [ $mode = overlap ] && flag=--overlap
        timeout 100 $cli bench --quick --packed $flag --shapes "$s" --json $R/$who-$mode-$round.json \
          > $R/$who-$mode-$round.log 2>&1
        echo "rc=$?" >> $R/$who-$mode-$round.log
      done
    done
  done ;;
*) echo "unknown PART=$PART" >&2; exit 64 ;;
esac
tar czf $OUT/results.tgz -C $R . && rm -rf $R
