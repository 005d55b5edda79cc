#include "kernels/common/splitk_reduce.h"

#include "kernels/common/ptx.cuh"

#include <cuda_bf16.h>

#include <cstdint>

namespace w4a16::kernels {
namespace {

constexpr int kReduceThreads = 256;
// Outputs per thread on the vector path: one 16-byte load per slice for four
// fp32 partials, one 8-byte store of four bf16 (a quarter of the scalar
// path's instructions per element; every reduction launch here reads at most
// a few MB, so its cost is instructions and latency, not bytes).
constexpr int kReduceVec = 4;

constexpr unsigned reduce_grid(int64_t items) {
  const int64_t blocks = (items + kReduceThreads - 1) / kReduceThreads;
  return static_cast<unsigned>(blocks < 65535 * 8 ? blocks : 65535 * 8);
}

// Blocks until the GEMM kernel has completed and its partials are visible (a
// no-op when the launch was not programmatic); first lets the next kernel in
// the stream, if launched programmatically, be scheduled as this grid leaves.
__device__ __forceinline__ void wait_for_primary_grid() {
  ptx::launch_dependent_grids();
  ptx::grid_dependency_wait();
}

__device__ __forceinline__ float finish(const GemmParams& p, float sum, const __nv_bfloat16* y) {
  float out = p.alpha * sum;
  if (p.beta != 0.0f) out += p.beta * __bfloat162float(*y);
  return out;
}

// One thread per output element; partials of one element are M*N apart, so a
// warp reads 32 consecutive floats per split (coalesced).
__global__ void __launch_bounds__(kReduceThreads) splitk_reduce_kernel(const GemmParams p) {
  wait_for_primary_grid();
  const int64_t total = static_cast<int64_t>(p.M) * p.N;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kReduceThreads) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * kReduceThreads) {
    float sum = 0.0f;
    for (int s = 0; s < p.split_k; ++s) sum += p.partials[s * total + i];
    __nv_bfloat16* y = reinterpret_cast<__nv_bfloat16*>(p.y) + i;
    *y = __float2bfloat16_rn(finish(p, sum, y));
  }
}

// kReduceVec consecutive outputs per thread: needs M*N % 4 == 0 (each slice's
// partials then start 16 B aligned in the 16 B aligned workspace) and y 8 B
// aligned.  The same additions in the same order as the scalar kernel.
__global__ void __launch_bounds__(kReduceThreads) splitk_reduce_vec_kernel(const GemmParams p) {
  wait_for_primary_grid();
  const int64_t total = static_cast<int64_t>(p.M) * p.N;
  const int64_t quads = total / kReduceVec;
  const float4* partials = reinterpret_cast<const float4*>(p.partials);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kReduceThreads) + threadIdx.x; i < quads;
       i += static_cast<int64_t>(gridDim.x) * kReduceThreads) {
    float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int s = 0; s < p.split_k; ++s) {
      const float4 v = partials[s * quads + i];
      sum.x += v.x;
      sum.y += v.y;
      sum.z += v.z;
      sum.w += v.w;
    }
    __nv_bfloat16* y = reinterpret_cast<__nv_bfloat16*>(p.y) + i * kReduceVec;
    const __nv_bfloat162 lo = __floats2bfloat162_rn(finish(p, sum.x, y), finish(p, sum.y, y + 1));
    const __nv_bfloat162 hi = __floats2bfloat162_rn(finish(p, sum.z, y + 2), finish(p, sum.w, y + 3));
    uint2 out;
    out.x = *reinterpret_cast<const uint32_t*>(&lo);
    out.y = *reinterpret_cast<const uint32_t*>(&hi);
    *reinterpret_cast<uint2*>(y) = out;
  }
}

}  // namespace

cudaError_t splitk_reduce(const GemmParams& p, cudaStream_t stream, bool programmatic) {
  const int64_t total = static_cast<int64_t>(p.M) * p.N;
  const bool vec = total % kReduceVec == 0 && reinterpret_cast<uintptr_t>(p.y) % 8 == 0 &&
                   reinterpret_cast<uintptr_t>(p.partials) % 16 == 0;
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(reduce_grid(vec ? total / kReduceVec : total));
  config.blockDim = dim3(kReduceThreads);
  config.stream = stream;
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  if (programmatic) {
    config.attrs = &attribute;
    config.numAttrs = 1;
  }
  return vec ? cudaLaunchKernelEx(&config, splitk_reduce_vec_kernel, p)
             : cudaLaunchKernelEx(&config, splitk_reduce_kernel, p);
}

}  // namespace w4a16::kernels
