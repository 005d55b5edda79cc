#!/usr/bin/env bash
# ctest `cli_dispatch_packed`: `w4a16 dispatch --packed` packs weights of the
# shape and names the plan of w4a16GemmForwardPacked: the sm90 fragment order
# for g = 128 and g = 64 on sm_90 (a canonical copy elsewhere), a canonical
# copy for g = 32 (no Hopper tile is that shallow), and exit code 1 with
# the reason for a group size that does not divide K.  Exit 77 (skipped, with
# the CLI's reason) when there is no usable GPU.
cli=$1
out=$("$cli" dispatch 16 4096 4096 --packed 2>&1); rc=$?
if [ $rc -eq 2 ]; then echo "skipped: $out"; exit 77; fi
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: exit code $rc"; exit 1; }
grep -q "^pack  " <<< "$out" || { echo "FAIL: no pack size"; exit 1; }
grep -q "^dispatch   packed (" <<< "$out" || { echo "FAIL: not the packed plan"; exit 1; }
if grep -qE "^device .*(H100|H200|H800|GH200)" <<< "$out"; then
  grep -q "packed (sm90 fragment order)" <<< "$out" || { echo "FAIL: expected the fragment order on Hopper"; exit 1; }
fi
out=$("$cli" dispatch 3 4096 4096 --group 64 --packed 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: g = 64: exit code $rc"; exit 1; }
if grep -qE "^device .*(H100|H200|H800|GH200)" <<< "$out"; then
  grep -q "packed (sm90 fragment order)" <<< "$out" || { echo "FAIL: g = 64 should pack the fragment order on Hopper"; exit 1; }
fi
out=$("$cli" dispatch 3 4096 4096 --group 32 --packed 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] && grep -q "packed (canonical copy)" <<< "$out" || { echo "FAIL: g = 32 should pack a canonical copy"; exit 1; }
out=$("$cli" dispatch 1 4096 4096 --group 96 --packed 2>&1); rc=$?
echo "$out"
[ $rc -eq 1 ] || { echo "FAIL: g = 96 must be refused with exit code 1, got $rc"; exit 1; }
echo "PASS"
