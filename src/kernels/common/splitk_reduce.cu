#include "kernels/common/splitk_reduce.h"

#include <cuda_bf16.h>

namespace w4a16::kernels {
namespace {

constexpr int kReduceThreads = 256;

// One thread per output element; partials of one element are M*N apart, so a
// warp reads 32 consecutive floats per split (coalesced).
__global__ void __launch_bounds__(kReduceThreads) splitk_reduce_kernel(const GemmParams p) {
  const int64_t total = static_cast<int64_t>(p.M) * p.N;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kReduceThreads) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * kReduceThreads) {
    float sum = 0.0f;
    for (int s = 0; s < p.split_k; ++s) sum += p.partials[s * total + i];
    __nv_bfloat16* y = reinterpret_cast<__nv_bfloat16*>(p.y) + i;
    float out = p.alpha * sum;
    if (p.beta != 0.0f) out += p.beta * __bfloat162float(*y);
    *y = __float2bfloat16_rn(out);
  }
}

}  // namespace

cudaError_t splitk_reduce(const GemmParams& p, cudaStream_t stream) {
  const int64_t total = static_cast<int64_t>(p.M) * p.N;
  const int64_t blocks = (total + kReduceThreads - 1) / kReduceThreads;
  const unsigned grid = static_cast<unsigned>(blocks < 65535 * 8 ? blocks : 65535 * 8);
  splitk_reduce_kernel<<<grid, kReduceThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace w4a16::kernels
