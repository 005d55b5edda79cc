// The benchmark's per-launch floor: an empty kernel, launched the way
// `w4a16 bench` launches the GEMMs (CUDA-graph replays of back-to-back
// launches), so a measured time can be split into launch overhead and work
// (`w4a16 bench --launch-floor`, docs/bench-method.md).
#include <cuda_runtime.h>

#include "launch_floor.h"

namespace w4a16::cli {
namespace {

__global__ void empty_kernel() {}

}  // namespace

cudaError_t launch_empty_kernel(int blocks, int threads, cudaStream_t stream) {
  empty_kernel<<<blocks, threads, 0, stream>>>();
  return cudaGetLastError();
}

}  // namespace w4a16::cli
