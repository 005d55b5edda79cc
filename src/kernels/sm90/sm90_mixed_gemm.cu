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

}  // namespace

cudaError_t transpose_group_params(const void* scales, const void* zeros, void* scales_t, void* zeros_t, int N,
                                   int groups, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((groups + kTile - 1) / kTile), static_cast<unsigned>((N + kTile - 1) / kTile));
  transpose_group_params_kernel<<<grid, dim3(kTile, kRows), 0, stream>>>(
      static_cast<const uint16_t*>(scales), static_cast<const uint16_t*>(zeros), static_cast<uint16_t*>(scales_t),
      static_cast<uint16_t*>(zeros_t), N, groups);
  return cudaGetLastError();
}

}  // namespace w4a16::kernels
