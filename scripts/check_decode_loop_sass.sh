#!/usr/bin/env bash
# Checks the scoreboard waits in the hot loops of the decode kernels (`dec`
# and `decr`) of a built libw4a16: none may wait for a refill the loop has
# just issued (scripts/sass_loop_waits.py says why and how).
#
#   scripts/check_decode_loop_sass.sh <libw4a16.so or .a or a binary> <expected kernel count>
# Exit 0 pass, 1 fail, 77 skip (no cuobjdump or no python3; ctest shows it as skipped).
set -euo pipefail
lib="$1"
expected="$2"
if ! command -v python3 > /dev/null; then
  echo "SKIP: no python3"
  exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/find_cuobjdump.sh"
sm90a_sass "$lib"
python3 "$(dirname "${BASH_SOURCE[0]}")/sass_loop_waits.py" "$sass" "$expected"
