// An empty kernel for measuring the benchmark's per-launch floor.
#pragma once

#include <cuda_runtime_api.h>

namespace w4a16::cli {

// Launches an empty kernel of `blocks` x `threads` on `stream`.
cudaError_t launch_empty_kernel(int blocks, int threads, cudaStream_t stream);

}  // namespace w4a16::cli
