// Deterministic split-K reduction shared by every kernel family.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/common/gemm_params.h"

namespace w4a16::kernels {

// y = alpha * sum_s partials[s] + beta * y, adding s = 0 .. split_k-1 in that
// order (so the result does not depend on which CTA finished first), then one
// rounding to bf16.  beta == 0 does not read y.
cudaError_t splitk_reduce(const GemmParams& p, cudaStream_t stream);

}  // namespace w4a16::kernels
