// The configuration table of the Hopper path and the group-parameter
// transpose its mainloop needs.  Compiled for every arch (no CUTLASS here):
// the instances themselves are sm_90a-only (src/CMakeLists.txt).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/sm90/sm90_mixed_gemm.h"

namespace w4a16::kernels {

bool sm90_mixed_available() {
#if defined(W4A16_HAVE_SM90_MIXED)
  return true;
#else
  return false;
#endif
}

cudaError_t sm90_mixed_gemm(Sm90MixedConfigId id, const Sm90MixedParams& p, cudaStream_t stream) {
#if defined(W4A16_HAVE_SM90_MIXED)
  switch (id) {
#define W4A16_X(name, ...)   \
  case Sm90MixedConfigId::name: \
    return sm90_mixed_gemm_##name(p, stream);
    W4A16_SM90_MIXED_CONFIGS(W4A16_X)
#undef W4A16_X
    case Sm90MixedConfigId::kCount:
      break;
  }
  return cudaErrorInvalidValue;
#else
  (void)id;
  (void)p;
  (void)stream;
  return cudaErrorNotSupported;
#endif
}

size_t sm90_mixed_workspace_size(Sm90MixedConfigId id, const Sm90MixedParams& p) {
#if defined(W4A16_HAVE_SM90_MIXED)
  switch (id) {
#define W4A16_X(name, ...)   \
  case Sm90MixedConfigId::name: \
    return sm90_mixed_workspace_##name(p);
    W4A16_SM90_MIXED_CONFIGS(W4A16_X)
#undef W4A16_X
    case Sm90MixedConfigId::kCount:
      break;
  }
  return 0;
#else
  (void)id;
  (void)p;
  return 0;
#endif
}

namespace {

// [N, G] -> [G, N] through a 32 x 32 shared tile (coalesced reads along G and
// writes along N; the +1 column avoids bank conflicts on the transposed read).
constexpr int kTile = 32;
constexpr int kRows = 8;  // threads per block: 32 x 8, each moves 4 elements

__global__ void __launch_bounds__(kTile * kRows) transpose_group_params_kernel(const uint16_t* __restrict__ scales,
                                                                           const uint16_t* __restrict__ zeros,
                                                                           uint16_t* __restrict__ scales_t,
                                                                           uint16_t* __restrict__ zeros_t, int N,
                                                                           int G) {
  __shared__ uint16_t s_tile[kTile][kTile + 1];
  __shared__ uint16_t z_tile[kTile][kTile + 1];
  const int g0 = blockIdx.x * kTile, n0 = blockIdx.y * kTile;
  for (int r = threadIdx.y; r < kTile; r += kRows) {
    const int n = n0 + r, g = g0 + threadIdx.x;
    const bool ok = n < N && g < G;
    const size_t src = static_cast<size_t>(n) * G + g;
    s_tile[r][threadIdx.x] = ok ? scales[src] : 0;
    z_tile[r][threadIdx.x] = ok && zeros != nullptr ? zeros[src] : 0;
  }
  __syncthreads();
  for (int r = threadIdx.y; r < kTile; r += kRows) {
    const int g = g0 + r, n = n0 + threadIdx.x;
    if (g < G && n < N) {
      const size_t dst = static_cast<size_t>(g) * N + n;
      scales_t[dst] = s_tile[threadIdx.x][r];
      zeros_t[dst] = z_tile[threadIdx.x][r];
    }
  }
}

// One thread per 16 bytes of reordered output: for atom column tile kt
// (16 k), atom row tile nt (16 rows) and lane row n0 (< 8), the 16 bytes are
// the four 32-bit words of lanes (n0, k1 = 0..3).  Word k1 holds, nibble p
// (low first), the value at row n0 + 8*n1, k = k0 + 2*k1 + 8*k2 with
// n1 = p & 1, k2 = (p >> 1) & 1, k0 = p >> 2 (docs/sm90-weight-reorder.md),
// i.e. the low (k0 = 0) then high (k0 = 1) nibbles of source bytes k1 and
// k1 + 4 of the tile's 8 bytes of rows n0 and n0 + 8.
constexpr int kPrepackThreads = 256;

__global__ void __launch_bounds__(kPrepackThreads) sm90_prepack_weights_kernel(const uint8_t* __restrict__ wq,
                                                                              uint4* __restrict__ out, int N,
                                                                              int K, size_t chunks) {
  const size_t c = static_cast<size_t>(blockIdx.x) * kPrepackThreads + threadIdx.x;
  if (c >= chunks) return;
  const size_t chunks_per_ktile = static_cast<size_t>(N) / 2;  // 16 k x N rows / 2 nibbles / 16 B
  const int kt = static_cast<int>(c / chunks_per_ktile);
  const int rem = static_cast<int>(c % chunks_per_ktile);
  const int row_a = (rem / 8) * 16 + rem % 8;
  const size_t row_bytes = static_cast<size_t>(K) / 2;
  const uint2 a = *reinterpret_cast<const uint2*>(wq + row_a * row_bytes + kt * 8);
  const uint2 b = *reinterpret_cast<const uint2*>(wq + (row_a + 8) * row_bytes + kt * 8);
  uint32_t word[4];
#pragma unroll
  for (int k1 = 0; k1 < 4; ++k1) {
    const uint32_t a0 = (a.x >> (8 * k1)) & 0xFF, a1 = (a.y >> (8 * k1)) & 0xFF;  // source bytes k1, k1 + 4
    const uint32_t b0 = (b.x >> (8 * k1)) & 0xFF, b1 = (b.y >> (8 * k1)) & 0xFF;
    const uint32_t lo = (a0 & 0xF) | (b0 & 0xF) << 4 | (a1 & 0xF) << 8 | (b1 & 0xF) << 12;
    const uint32_t hi = (a0 >> 4) | (b0 >> 4) << 4 | (a1 >> 4) << 8 | (b1 >> 4) << 12;
    word[k1] = lo | hi << 16;
  }
  out[c] = make_uint4(word[0], word[1], word[2], word[3]);
}

}  // namespace

cudaError_t sm90_prepack_weights(const void* wq, void* out, int N, int K, cudaStream_t stream) {
  if (N % 16 != 0 || K % 16 != 0) return cudaErrorInvalidValue;
  const size_t chunks = static_cast<size_t>(N) * K / 32;
  if (chunks == 0) return cudaSuccess;
  const size_t blocks = (chunks + kPrepackThreads - 1) / kPrepackThreads;
  sm90_prepack_weights_kernel<<<static_cast<unsigned>(blocks), kPrepackThreads, 0, stream>>>(
      static_cast<const uint8_t*>(wq), static_cast<uint4*>(out), N, K, chunks);
  return cudaGetLastError();
}

cudaError_t transpose_group_params(const void* scales, const void* zeros, void* scales_t, void* zeros_t, int N,
                                   int groups, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((groups + kTile - 1) / kTile), static_cast<unsigned>((N + kTile - 1) / kTile));
  transpose_group_params_kernel<<<grid, dim3(kTile, kRows), 0, stream>>>(
      static_cast<const uint16_t*>(scales), static_cast<const uint16_t*>(zeros), static_cast<uint16_t*>(scales_t),
      static_cast<uint16_t*>(zeros_t), N, groups);
  return cudaGetLastError();
}

}  // namespace w4a16::kernels
