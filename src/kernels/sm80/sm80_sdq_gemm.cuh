// W4A16 GEMM, "sdq" family: the CTA dequantizes each packed weight tile once
// into a bf16 tile in shared memory, then warps run a plain bf16
// ldmatrix + mma.sync main loop on it.  For compute-bound M (>= ~64) this
// costs far fewer issue slots per MMA than dequantizing in every warp, and the
// activations need no permutation (docs/kernels.md).  Runs on sm_80 and newer.
//
// Arguments: GemmParams, as the table in sm80_mma_gemm.cuh (x, wq, y 16 B
// aligned; K % 32 == 0).  BK is 64.
//
// Per k-tile:
//   wait cp.async(kt); barrier            -- A(kt), W(kt) landed; all warps are
//                                            done with the bf16 tile of kt-1
//   issue cp.async(kt + STAGES - 1)
//   dequantize W(kt) -> bf16 tile         -- each thread: 32 weights of one row
//   barrier
//   ldmatrix A, ldmatrix B, mma           -- 4 k16 steps
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/common/gemm_params.h"
#include "kernels/common/ptx.cuh"
#include "kernels/common/smem_limit.h"
#include "kernels/sm80/sm80_common.cuh"

namespace w4a16::kernels {
namespace sdq {

// Activations and the bf16 weight tile: 128-byte rows (64 bf16), 16-byte chunk
// c of row r stored at c ^ (r & 7).  ldmatrix reads one chunk from each of 8
// consecutive rows per 8x8 matrix: 8 distinct bank groups, conflict-free.
__device__ __forceinline__ int row128_offset(int row, int chunk) { return row * 128 + ((chunk ^ (row & 7)) * 16); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem_row_ptr) {
  const uint32_t a = static_cast<uint32_t>(__cvta_generic_to_shared(smem_row_ptr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

template <class T>
__device__ __forceinline__ void load_tile(uint8_t* stage, const GemmParams& p, int m0, int n0, int k0, int tid) {
  uint8_t* a_s = stage;
  uint8_t* w_s = stage + T::kAStageBytes;
  constexpr int kAChunks = T::BM * 8;  // 8 chunks of 16 B per 64-deep row
#pragma unroll
  for (int i = 0; i < (kAChunks + T::kThreads - 1) / T::kThreads; ++i) {
    const int idx = tid + i * T::kThreads;
    if (kAChunks % T::kThreads == 0 || idx < kAChunks) {
      const int row = idx >> 3;
      const int c = idx & 7;
      const int m = m0 + row;
      const int k = k0 + c * 8;
      const bool valid = m < p.M && k < p.K;
      const uint16_t* src = p.x + (valid ? static_cast<size_t>(m) * p.K + k : 0);
      ptx::cp_async_16(a_s + row128_offset(row, c), src, valid);
    }
  }
  constexpr int kWChunks = T::BN * 2;  // 2 chunks of 16 B (32 weights) per row
  const size_t w_row_bytes = static_cast<size_t>(p.K) / 2;
#pragma unroll
  for (int i = 0; i < (kWChunks + T::kThreads - 1) / T::kThreads; ++i) {
    const int idx = tid + i * T::kThreads;
    if (kWChunks % T::kThreads == 0 || idx < kWChunks) {
      const int row = idx >> 1;
      const int c = idx & 1;
      const int n = n0 + row;
      const int k = k0 + c * 32;
      const bool valid = n < p.N && k < p.K;
      const uint8_t* src = p.wq + (valid ? static_cast<size_t>(n) * w_row_bytes + k / 2 : 0);
      // Row-contiguous (32 B per row): the dequantizing threads read it with
      // consecutive 16-byte loads, conflict-free without a swizzle.
      ptx::cp_async_16(w_s + idx * 16, src, valid);
    }
  }
}

// 8 packed signed nibbles (k order o0..o7 from bit 0 up) -> 4 bf16x2 words
// holding s*q + z for (o0,o1) (o2,o3) (o4,o5) (o6,o7), each rounded once.
//   x = bytes (o0,o2,o4,o6), y = bytes (o1,o3,o5,o7)       (after q -> q+8)
//   prmt interleaves them, then pairs each nibble byte with 0x43 above it:
//   bf16 0x43nn = 128 + nn; fma(., 1, -136) = q exactly; fma(q, s, z).
__device__ __forceinline__ uint4 dequant8(uint32_t packed, uint32_t s2, uint32_t z2) {
  constexpr uint32_t kOne2 = 0x3F803F80u;
  constexpr uint32_t kMinus136x2 = 0xC308C308u;
  constexpr uint32_t kExp = 0x43434343u;
  const uint32_t u = packed ^ 0x88888888u;
  const uint32_t x = u & 0x0F0F0F0Fu;
  const uint32_t y = (u >> 4) & 0x0F0F0F0Fu;
  const uint32_t lo = ptx::prmt(x, y, 0x5140);  // o0 o1 o2 o3
  const uint32_t hi = ptx::prmt(x, y, 0x7362);  // o4 o5 o6 o7
  uint32_t r[4] = {ptx::prmt(lo, kExp, 0x4140), ptx::prmt(lo, kExp, 0x4342), ptx::prmt(hi, kExp, 0x4140),
                   ptx::prmt(hi, kExp, 0x4342)};
#pragma unroll
  for (int i = 0; i < 4; ++i) r[i] = ptx::fma_bf16x2(ptx::fma_bf16x2(r[i], kOne2, kMinus136x2), s2, z2);
  return make_uint4(r[0], r[1], r[2], r[3]);
}

// Scale/zero (bf16x2-broadcast) of each weight chunk this thread dequantizes.
template <class T>
struct ChunkParams {
  static constexpr int kChunksPerThread = (T::BN * 2 + T::kThreads - 1) / T::kThreads;
  uint32_t s2[kChunksPerThread];
  uint32_t z2[kChunksPerThread];
};

template <class T>
__device__ __forceinline__ void load_chunk_params(const GemmParams& p, int n0, int k0, int tid, ChunkParams<T>& cp) {
#pragma unroll
  for (int i = 0; i < ChunkParams<T>::kChunksPerThread; ++i) {
    const int idx = tid + i * T::kThreads;
    const int n = min(n0 + (idx >> 1), p.N - 1);
    int gi = 0;
    if (p.groups_per_row > 1) gi = min((k0 + (idx & 1) * 32) >> p.group_shift, p.groups_per_row - 1);
    const size_t g = static_cast<size_t>(n) * p.groups_per_row + gi;
    const uint32_t s = __ldg(p.scales + g);
    const uint32_t z = p.zeros != nullptr ? static_cast<uint32_t>(__ldg(p.zeros + g)) : 0u;
    cp.s2[i] = s | (s << 16);
    cp.z2[i] = z | (z << 16);
  }
}

template <class T>
__device__ __forceinline__ void dequant_tile(const uint8_t* w_s, uint8_t* b_s, int tid, const ChunkParams<T>& cp) {
  constexpr int kWChunks = T::BN * 2;
#pragma unroll
  for (int i = 0; i < ChunkParams<T>::kChunksPerThread; ++i) {
    const int idx = tid + i * T::kThreads;
    if (kWChunks % T::kThreads == 0 || idx < kWChunks) {
      const uint4 w = *reinterpret_cast<const uint4*>(w_s + idx * 16);
      const int row = idx >> 1;
      const int c0 = (idx & 1) * 4;  // 32 weights = 4 bf16 chunks of the 64-deep row
      const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        *reinterpret_cast<uint4*>(b_s + row128_offset(row, c0 + j)) = dequant8(words[j], cp.s2[i], cp.z2[i]);
      }
    }
  }
}

template <class T>
__device__ __forceinline__ void mma_tile(const uint8_t* a_s, const uint8_t* b_s, int warp_m, int warp_n, int lane,
                                         float (&acc)[T::kMTiles][T::kNTiles][4]) {
  static_assert(T::kNTiles % 2 == 0, "B fragments are loaded two n8 tiles at a time");
  // ldmatrix.x4 row addresses: lanes 0-15 rows 0-15 of the first k8 chunk,
  // lanes 16-31 rows 0-15 of the second (A); for B lanes 0-7 / 8-15 give
  // columns 0-7 at k chunks 0 / 1, lanes 16-31 the same for columns 8-15.
  const int a_row = warp_m * T::kWarpRows + (lane & 15);
  const int a_chunk = lane >> 4;
  const int b_row = warp_n * T::kWarpCols + (lane & 7) + ((lane >> 4) << 3);
  const int b_chunk = (lane >> 3) & 1;
#pragma unroll
  for (int s = 0; s < 4; ++s) {
    uint32_t a[T::kMTiles][4];
#pragma unroll
    for (int mt = 0; mt < T::kMTiles; ++mt) {
      const int r = a_row + mt * 16;
      ldmatrix_x4(a[mt], a_s + row128_offset(r, 2 * s + a_chunk));
    }
#pragma unroll
    for (int np = 0; np < T::kNTiles / 2; ++np) {
      uint32_t b[4];
      const int r = b_row + np * 16;
      ldmatrix_x4(b, b_s + row128_offset(r, 2 * s + b_chunk));
#pragma unroll
      for (int mt = 0; mt < T::kMTiles; ++mt) {
        ptx::mma_bf16_16816(acc[mt][2 * np], a[mt], b[0], b[1]);
        ptx::mma_bf16_16816(acc[mt][2 * np + 1], a[mt], b[2], b[3]);
      }
    }
  }
}

}  // namespace sdq

template <class T>
__global__ void __launch_bounds__(T::kThreads, T::kMinBlocks) sm80_sdq_gemm_kernel(const GemmParams p) {
  static_assert(T::BK == 64, "sdq kernels use 64-deep k-tiles (128-byte bf16 rows)");
  extern __shared__ __align__(128) uint8_t smem[];
  uint8_t* b_s = smem + T::kStages * T::kStageBytes;
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int warp_m = warp / T::kWarpsN;
  const int warp_n = warp % T::kWarpsN;
  const CtaWork w = cta_work<T>(p);

  float acc[T::kMTiles][T::kNTiles][4];
  zero_accumulators(acc);

#pragma unroll
  for (int s = 0; s < T::kStages - 1; ++s) {
    if (w.kt_begin + s < w.kt_end) {
      sdq::load_tile<T>(smem + s * T::kStageBytes, p, w.m0, w.n0, (w.kt_begin + s) * T::BK, tid);
    }
    ptx::cp_async_commit();
  }
  sdq::ChunkParams<T> cur, next;
  if (w.kt_begin < w.kt_end) sdq::load_chunk_params<T>(p, w.n0, w.kt_begin * T::BK, tid, cur);

  for (int kt = w.kt_begin; kt < w.kt_end; ++kt) {
    ptx::cp_async_wait<T::kStages - 2>();
    __syncthreads();
    const int fetch = kt + T::kStages - 1;
    if (fetch < w.kt_end) {
      sdq::load_tile<T>(smem + ((fetch - w.kt_begin) % T::kStages) * T::kStageBytes, p, w.m0, w.n0,
                        fetch * T::BK, tid);
    }
    ptx::cp_async_commit();
    if (kt + 1 < w.kt_end) sdq::load_chunk_params<T>(p, w.n0, (kt + 1) * T::BK, tid, next);
    const uint8_t* stage = smem + ((kt - w.kt_begin) % T::kStages) * T::kStageBytes;
    sdq::dequant_tile<T>(stage + T::kAStageBytes, b_s, tid, cur);
    __syncthreads();
    sdq::mma_tile<T>(stage, b_s, warp_m, warp_n, lane, acc);
    cur = next;
  }
  ptx::cp_async_wait<0>();

  store_tile<T>(p, w.split, w.m0 + warp_m * T::kWarpRows, w.n0 + warp_n * T::kWarpCols, lane >> 2, lane & 3,
                acc);
}

template <class T>
cudaError_t launch_sm80_sdq_gemm(const GemmParams& p, cudaStream_t stream) {
  const dim3 grid = cta_grid<T>(p);
  // The dynamic shared-memory limit: once per device (smem_limit.h).
  static DynamicSmemLimit limit;
  int device = 0;
  const cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return err;
  return launch_with_smem_limit(limit, reinterpret_cast<const void*>(sm80_sdq_gemm_kernel<T>), T::kSmemBytes, device,
                                [&]() -> cudaError_t {
                                  sm80_sdq_gemm_kernel<T><<<grid, T::kThreads, T::kSmemBytes, stream>>>(p);
                                  return cudaGetLastError();
                                });
}

}  // namespace w4a16::kernels
