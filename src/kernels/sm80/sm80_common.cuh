// Pieces shared by the sm80 kernel families: which output tile and k range a
// CTA owns and the epilogue (rdq, sdq), accumulator zeroing (all).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/common/gemm_params.h"

namespace w4a16::kernels {

struct CtaWork {
  int m0, n0;              // first row / column of the output tile
  int split;               // split-K index
  int kt_begin, kt_end;    // k-tiles [begin, end) of this split
};

// Grid: x = output tiles, y = split-K index.  Tiles are visited in groups of
// 8 M-tiles per column block, so CTAs that run together share weight columns
// (read once from DRAM, then from L2) and a bounded set of activation rows.
template <class T>
__device__ __forceinline__ CtaWork cta_work(const GemmParams& p) {
  constexpr int kGroupM = 8;
  const int tiles_m = (p.M + T::BM - 1) / T::BM;
  const int tiles_n = (p.N + T::BN - 1) / T::BN;
  const int per_group = kGroupM * tiles_n;
  const int group = blockIdx.x / per_group;
  const int first_m = group * kGroupM;
  const int group_rows = min(tiles_m - first_m, kGroupM);
  const int in_group = blockIdx.x % per_group;
  CtaWork w;
  w.m0 = (first_m + in_group % group_rows) * T::BM;
  w.n0 = (in_group / group_rows) * T::BN;
  const int k_tiles = (p.K + T::BK - 1) / T::BK;
  w.split = blockIdx.y;
  w.kt_begin = static_cast<int>(static_cast<int64_t>(k_tiles) * w.split / p.split_k);
  w.kt_end = static_cast<int>(static_cast<int64_t>(k_tiles) * (w.split + 1) / p.split_k);
  return w;
}

// Zeroes an accumulator array of any tile shape (A x B mma tiles of 4 floats).
template <int A, int B>
__device__ __forceinline__ void zero_accumulators(float (&acc)[A][B][4]) {
#pragma unroll
  for (int a = 0; a < A; ++a)
#pragma unroll
    for (int b = 0; b < B; ++b)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[a][b][i] = 0.0f;
}

template <class T>
inline dim3 cta_grid(const GemmParams& p) {
  const int tiles_m = (p.M + T::BM - 1) / T::BM;
  const int tiles_n = (p.N + T::BN - 1) / T::BN;
  return dim3(static_cast<unsigned>(tiles_m * tiles_n), static_cast<unsigned>(p.split_k));
}

// Epilogue from mma accumulators (lane g = lane/4, t = lane%4 holds rows g and
// g+8, columns 2t and 2t+1 of each m16n8 tile).  split_k > 1: raw fp32
// partials; else y = alpha*acc + beta*y (y read only when beta != 0), one
// rounding to bf16, bf16x2 stores when N is even.
template <class T>
__device__ __forceinline__ void store_tile(const GemmParams& p, int split, int row0, int col0, int g, int t,
                                           const float (&acc)[T::kMTiles][T::kNTiles][4]) {
  const bool vec_ok = (p.N & 1) == 0;
#pragma unroll
  for (int mt = 0; mt < T::kMTiles; ++mt) {
#pragma unroll
    for (int nt = 0; nt < T::kNTiles; ++nt) {
      const int col = col0 + nt * 8 + 2 * t;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = row0 + mt * 16 + g + 8 * h;
        if (row >= p.M || col >= p.N) continue;
        const float v0 = acc[mt][nt][2 * h];
        const float v1 = acc[mt][nt][2 * h + 1];
        const size_t idx = static_cast<size_t>(row) * p.N + col;
        const bool two = col + 1 < p.N;
        if (p.split_k > 1) {
          float* dst = p.partials + static_cast<size_t>(split) * p.M * p.N + idx;
          dst[0] = v0;
          if (two) dst[1] = v1;
          continue;
        }
        __nv_bfloat16* y = reinterpret_cast<__nv_bfloat16*>(p.y) + idx;
        if (vec_ok && two) {
          float o0 = p.alpha * v0, o1 = p.alpha * v1;
          __nv_bfloat162* y2 = reinterpret_cast<__nv_bfloat162*>(y);
          if (p.beta != 0.0f) {
            const float2 old = __bfloat1622float2(*y2);
            o0 += p.beta * old.x;
            o1 += p.beta * old.y;
          }
          *y2 = __floats2bfloat162_rn(o0, o1);
        } else {
          float o0 = p.alpha * v0;
          if (p.beta != 0.0f) o0 += p.beta * __bfloat162float(y[0]);
          y[0] = __float2bfloat16_rn(o0);
          if (two) {
            float o1 = p.alpha * v1;
            if (p.beta != 0.0f) o1 += p.beta * __bfloat162float(y[1]);
            y[1] = __float2bfloat16_rn(o1);
          }
        }
      }
    }
  }
}


}  // namespace w4a16::kernels
