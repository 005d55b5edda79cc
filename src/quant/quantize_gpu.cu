// GPU quantizer and dequantizer for the canonical format.  Offline work: the
// kernels favour simplicity over speed (one warp per group).
#include <cuda_bf16.h>

#include "quant/quant_math.h"
#include "quant/quantize.h"

namespace w4a16::quant {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = kWarpsPerBlock * 32;

// One warp per (row, group).  Lane l handles element pairs l, l+32, ...
__global__ void __launch_bounds__(kThreads) quantize_kernel(const uint16_t* __restrict__ w,
                                                            uint8_t* __restrict__ packed,
                                                            uint16_t* __restrict__ scales,
                                                            uint16_t* __restrict__ zeros, int N, int K,
                                                            int group_size) {
  const int groups = K / group_size;
  const int64_t gid = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (gid >= static_cast<int64_t>(N) * groups) return;
  const int lane = threadIdx.x & 31;
  const int n = static_cast<int>(gid / groups);
  const int k0 = static_cast<int>(gid % groups) * group_size;
  const uint16_t* src = w + static_cast<size_t>(n) * K + k0;

  float wmin = INFINITY, wmax = -INFINITY;
  bool nonfinite = false;
  for (int j = lane; j < group_size / 2; j += 32) {
    const float a = bf16_to_f32(src[2 * j]);
    const float b = bf16_to_f32(src[2 * j + 1]);
    nonfinite |= !is_finite_f32(a) || !is_finite_f32(b);
    wmin = fminf(wmin, fminf(a, b));
    wmax = fmaxf(wmax, fmaxf(a, b));
  }
  for (int off = 16; off > 0; off >>= 1) {
    wmin = fminf(wmin, __shfl_xor_sync(0xFFFFFFFFu, wmin, off));
    wmax = fmaxf(wmax, __shfl_xor_sync(0xFFFFFFFFu, wmax, off));
  }
  nonfinite = __any_sync(0xFFFFFFFFu, nonfinite);

  const GroupParams gp = group_params(wmin, wmax, nonfinite, zeros != nullptr);
  if (lane == 0) {
    scales[gid] = gp.scale;
    if (zeros != nullptr) zeros[gid] = gp.zero;
  }
  uint8_t* dst = packed + static_cast<size_t>(n) * (K / 2) + k0 / 2;
  for (int j = lane; j < group_size / 2; j += 32) {
    dst[j] = pack_pair(quantize_value(bf16_to_f32(src[2 * j]), gp), quantize_value(bf16_to_f32(src[2 * j + 1]), gp));
  }
}

// One thread per packed byte (two weights).  fma on bf16x2 rounds once, as
// the GEMM kernels do, so the result is bf16_rn(s*q + z) exactly.
__global__ void __launch_bounds__(kThreads) dequantize_kernel(const uint8_t* __restrict__ packed,
                                                              const uint16_t* __restrict__ scales,
                                                              const uint16_t* __restrict__ zeros,
                                                              uint16_t* __restrict__ out, int N, int K,
                                                              int group_size) {
  const int64_t total = static_cast<int64_t>(N) * (K / 2);
  const int groups = K / group_size;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int n = static_cast<int>(i / (K / 2));
    const int k = static_cast<int>(i % (K / 2)) * 2;
    const size_t gidx = static_cast<size_t>(n) * groups + k / group_size;
    const uint8_t byte = packed[i];
    const __nv_bfloat162 q = __floats2bfloat162_rn(static_cast<float>(unpack_nibble(byte)),
                                                   static_cast<float>(unpack_nibble(byte >> 4)));  // exact
    const __nv_bfloat16 s = __ushort_as_bfloat16(scales[gidx]);
    const __nv_bfloat16 z = __ushort_as_bfloat16(zeros != nullptr ? zeros[gidx] : uint16_t{0});
    const __nv_bfloat162 v = __hfma2(q, __bfloat162bfloat162(s), __bfloat162bfloat162(z));
    reinterpret_cast<__nv_bfloat162*>(out)[i] = v;
  }
}

unsigned grid_for(int64_t items, int per_block) {
  const int64_t blocks = (items + per_block - 1) / per_block;
  return static_cast<unsigned>(blocks < (int64_t{1} << 30) ? blocks : (int64_t{1} << 30));
}

}  // namespace

cudaError_t launch_quantize(const uint16_t* w, uint8_t* packed, uint16_t* scales, uint16_t* zeros, int N, int K,
                            int group_size, cudaStream_t stream) {
  const int64_t groups = static_cast<int64_t>(N) * (K / group_size);
  quantize_kernel<<<grid_for(groups, kWarpsPerBlock), kThreads, 0, stream>>>(w, packed, scales, zeros, N, K,
                                                                            group_size);
  return cudaGetLastError();
}

cudaError_t launch_dequantize(const uint8_t* packed, const uint16_t* scales, const uint16_t* zeros, uint16_t* out,
                              int N, int K, int group_size, cudaStream_t stream) {
  const int64_t bytes = static_cast<int64_t>(N) * (K / 2);
  dequantize_kernel<<<grid_for(bytes, kThreads), kThreads, 0, stream>>>(packed, scales, zeros, out, N, K,
                                                                        group_size);
  return cudaGetLastError();
}

}  // namespace w4a16::quant
