// Host-facing entry points of the sm80 mma.sync W4A16 GEMM (runs on sm_80 and
// newer: A100, Jetson Orin, H100, B200, Jetson Thor).  One launcher per
// configuration in sm80_mma_configs.h; each lives in its own translation unit
// (instances/), so the heavy template is compiled once per configuration.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/common/gemm_params.h"
#include "kernels/sm80/sm80_mma_configs.h"

namespace w4a16::kernels {

#define W4A16_X(name, ...) cudaError_t sm80_mma_gemm_##name(const GemmParams& p, cudaStream_t stream);
W4A16_SM80_MMA_CONFIGS(W4A16_X)
#undef W4A16_X

// Runs configuration `id` to completion on `stream`: p.split_k CTAs along K,
// and with split_k > 1 the deterministic reduction of p.partials (a second
// kernel, splitk_reduce).
cudaError_t sm80_mma_gemm(Sm80MmaConfigId id, const GemmParams& p, cudaStream_t stream);

}  // namespace w4a16::kernels
