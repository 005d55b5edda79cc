// Test kernels for W4A16_FORWARD_OVERLAP_PREVIOUS (see overlap_kernels.cu).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace w4a16::testutil {

// Enqueues a kernel that executes griddepcontrol.launch_dependents first (so a
// programmatic launch after it may start at once), then spins for spin_ns
// nanoseconds, then copies `bytes` (a multiple of 16) from src to dst.
cudaError_t launch_early_trigger_copy(void* dst, const void* src, size_t bytes, unsigned long long spin_ns,
                                      cudaStream_t stream);

}  // namespace w4a16::testutil
