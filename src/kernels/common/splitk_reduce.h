// Deterministic split-K reduction shared by every kernel family.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/common/gemm_params.h"

namespace w4a16::kernels {

// y = alpha * sum_s partials[s] + beta * y, adding s = 0 .. split_k-1 in that
// order (so the result does not depend on which CTA finished first), then one
// rounding to bf16.  beta == 0 does not read y.
//
// `programmatic` (sm_90 and later, and only right after the kernel that wrote
// the partials, in the same stream): launched as a programmatic dependent
// launch, so its CTAs are scheduled while that kernel's last CTAs are still in
// their epilogues (CUTLASS's sm90 kernels signal `launch_dependents` after
// their last mainloop, the decode kernels at their start); every thread
// executes `griddepcontrol.wait` before its first global access, which
// returns only once the GEMM has completed and its writes are visible.  The
// result is the same either way.
cudaError_t splitk_reduce(const GemmParams& p, cudaStream_t stream, bool programmatic = false);

}  // namespace w4a16::kernels
