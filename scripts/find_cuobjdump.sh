# Sourced by the SASS checks (check_sm90_sass.sh, check_decode_wait_sass.sh):
# sets $cuobjdump to the first usable cuobjdump (W4A16_CUOBJDUMP, PATH, next
# to nvcc, /usr/local/cuda, or the copy scripts/setup-deps.sh fetches into
# .deps/cuda-tools) and puts its folder on PATH (cuobjdump -sass runs
# nvdisasm), or exits 77 (ctest: skipped) with the reason; defines sm90a_sass.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cuobjdump="${W4A16_CUOBJDUMP:-}"
for c in "$cuobjdump" "$(command -v cuobjdump || true)" "$(dirname "${CUDACXX:-/usr/local/cuda/bin/nvcc}")/cuobjdump" \
         /usr/local/cuda/bin/cuobjdump "$root/.deps/cuda-tools/bin/cuobjdump"; do
  if [[ -n "$c" && -x "$c" ]]; then cuobjdump="$c"; break; fi
  cuobjdump=""
done
if [[ -z "$cuobjdump" ]]; then
  echo "SKIP: no cuobjdump (install the CUDA binary utilities or run scripts/setup-deps.sh)"
  exit 77
fi
export PATH="$(dirname "$cuobjdump"):$PATH"

# sm90a_sass LIB: sets $sass to a temporary file (removed at exit) holding
# LIB's sm_90a SASS.
sm90a_sass() {
  sass="$(mktemp)"
  trap 'rm -f "$sass"' EXIT
  "$cuobjdump" -sass -arch sm_90a "$1" > "$sass"
}
