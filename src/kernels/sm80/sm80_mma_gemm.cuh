// W4A16 GEMM on mma.sync (m16n8k16, bf16 in, fp32 accumulate), reading the
// canonical packed format directly.  Portable to every arch >= sm_80.
//
// Arguments (GemmParams, validated by the caller):
//   | name    | dtype | shape          | layout    | alignment |
//   |---------|-------|----------------|-----------|-----------|
//   | x       | bf16  | [M, K]         | row-major | 16 B      |
//   | wq      | int4  | [N, K/2] bytes | canonical | 16 B      |
//   | scales  | bf16  | [N, K/g]       | row-major | 2 B       |
//   | zeros   | bf16  | [N, K/g] / nul | row-major | 2 B       |
//   | y       | bf16  | [M, N]         | row-major | 16 B      |
//   | partials| fp32  | [S, M, N]      | row-major | 16 B      |
//   K % 32 == 0 (rows of x and wq are 16 B aligned; K tails are 32-deep).
//
// The k permutation (docs/kernels.md has the diagram).  mma.m16n8k16 gives
// lane (g = lane/4, t = lane%4) the logical k pairs {2t,2t+1} and {2t+8,2t+9}
// of A and B.  Since sum_k A[m,k] B[k,n] does not care about the order of k,
// we relabel k so that lane t owns the 16 *physical* k values
// [16t, 16t+16) of every 64-deep block: its weights are then 8 contiguous
// bytes (one 64-bit shared load per column), and one 32-bit word of 8 nibbles
// turns into four bf16x2 registers with mask/or ops (nibbles i and i+4 land in
// the two halves: (w >> 4i) & 0x000F000F).  So physical pairs are (o, o+4):
//   step j of half kh:  b0 = (o_{2j},   o_{2j+4}),  b1 = (o_{2j+1}, o_{2j+5})
// where o_i is physical k = 64*kb + 16t + 8*kh + i.  Activations get the same
// relabelling: one 16-byte shared load gives o_0..o_7 of a row, and prmt
// builds the (o_i, o_{i+4}) pairs.
//
// Dequantization: (nibble ^ 8) | 0x4300 is the bf16 number 128 + (q + 8), so
// one fma(v, 1, -136) gives q exactly and one fma(q, s, z) gives
// bf16_rn(s*q + z) with a single rounding, bit-identical to the reference.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/common/gemm_params.h"
#include "kernels/common/ptx.cuh"
#include "kernels/common/smem_limit.h"
#include "kernels/sm80/sm80_common.cuh"
#include "kernels/sm80/sm80_mma_configs.h"
#include "kernels/sm80/sm80_mma_gemm.h"

namespace w4a16::kernels {

template <Sm80Kind KIND_, int BM_, int BN_, int BK_, int WARPS_M_, int WARPS_N_, int STAGES_, int MIN_BLOCKS_>
struct Sm80MmaTile {
  static constexpr Sm80Kind kKind = KIND_;
  static constexpr int BM = BM_, BN = BN_, BK = BK_, kStages = STAGES_, kMinBlocks = MIN_BLOCKS_;
  static constexpr int kWarpsM = WARPS_M_, kWarpsN = WARPS_N_;
  static constexpr int kThreads = kWarpsM * kWarpsN * 32;
  static constexpr int kWarpRows = BM / kWarpsM;
  static constexpr int kWarpCols = BN / kWarpsN;
  static constexpr int kMTiles = kWarpRows / 16;
  static constexpr int kNTiles = kWarpCols / 8;
  static constexpr int kK64 = BK / 64;           // 64-deep blocks per k-tile
  static constexpr int kARowBytes = BK * 2;      // bf16
  static constexpr int kWRowBytes = BK / 2;      // int4
  static constexpr int kAChunksPerRow = BK / 8;  // 16-byte chunks
  static constexpr int kWChunksPerRow = BK / 32;
  static constexpr int kAStageBytes = BM * kARowBytes;
  static constexpr int kWStageBytes = BN * kWRowBytes;
  static constexpr int kStageBytes = kAStageBytes + kWStageBytes;
  static constexpr int kBTileBytes = KIND_ == Sm80Kind::sdq ? BN * BK * 2 : 0;  // dequantized bf16 tile
  static constexpr int kSmemBytes = kStages * kStageBytes + kBTileBytes;

  static_assert(BM % (16 * kWarpsM) == 0 && BN % (8 * kWarpsN) == 0, "warp tile must be whole mma tiles");
  static_assert(BK == 64 || BK == 128, "the k relabelling and swizzles assume 64 or 128");
  static_assert(kStages >= 2, "pipeline needs two stages");
};

// Shared-memory swizzles (both conflict-free for the reads below; see
// docs/kernels.md).  A: 16-byte chunk c of row r lives at chunk c ^ (r & 1),
// so the 8 lanes of a 128-bit load phase (rows g, g+1; t = 0..3) hit 8
// distinct bank groups.  W (BK = 128): the two 32-byte halves of a row swap
// on rows 2,3 mod 4, so 16 lanes of a 64-bit load phase hit distinct banks.
template <class T>
__device__ __forceinline__ int a_smem_offset(int row, int chunk) {
  return row * T::kARowBytes + ((chunk ^ (row & 1)) * 16);
}
template <class T>
__device__ __forceinline__ int w_smem_offset(int row, int unit32) {
  return row * T::kWRowBytes + ((unit32 ^ ((row >> 1) & (T::kK64 - 1))) * 32);
}

template <class T>
__device__ __forceinline__ void load_tile(uint8_t* stage, const GemmParams& p, int m0, int n0, int k0, int tid) {
  uint8_t* a_s = stage;
  uint8_t* w_s = stage + T::kAStageBytes;
  constexpr int kAChunks = T::BM * T::kAChunksPerRow;
#pragma unroll
  for (int i = 0; i < (kAChunks + T::kThreads - 1) / T::kThreads; ++i) {
    const int idx = tid + i * T::kThreads;
    if (kAChunks % T::kThreads == 0 || idx < kAChunks) {
      const int row = idx / T::kAChunksPerRow;
      const int c = idx % T::kAChunksPerRow;
      const int m = m0 + row;
      const int k = k0 + c * 8;
      const bool valid = m < p.M && k < p.K;
      const uint16_t* src = p.x + (valid ? static_cast<size_t>(m) * p.K + k : 0);
      ptx::cp_async_16(a_s + a_smem_offset<T>(row, c), src, valid);
    }
  }
  constexpr int kWChunks = T::BN * T::kWChunksPerRow;
  const size_t w_row_bytes = static_cast<size_t>(p.K) / 2;
#pragma unroll
  for (int i = 0; i < (kWChunks + T::kThreads - 1) / T::kThreads; ++i) {
    const int idx = tid + i * T::kThreads;
    if (kWChunks % T::kThreads == 0 || idx < kWChunks) {
      const int row = idx / T::kWChunksPerRow;
      const int c = idx % T::kWChunksPerRow;
      const int n = n0 + row;
      const int k = k0 + c * 32;
      const bool valid = n < p.N && k < p.K;
      const uint8_t* src = p.wq + (valid ? static_cast<size_t>(n) * w_row_bytes + k / 2 : 0);
      ptx::cp_async_16(w_s + w_smem_offset<T>(row, c >> 1) + (c & 1) * 16, src, valid);
    }
  }
}

// Group scale (and zero) of each of this lane's columns for k-tile `k0`,
// broadcast to both halves of a bf16x2 register.  Lane t's k range in block
// kb is [k0 + 64 kb + 16 t, +16), inside one group because g >= 32.
template <class T>
__device__ __forceinline__ void load_group_params(const GemmParams& p, int n_lane0, int k0, int t,
                                                  uint32_t (&s2)[T::kK64][T::kNTiles],
                                                  uint32_t (&z2)[T::kK64][T::kNTiles]) {
#pragma unroll
  for (int kb = 0; kb < T::kK64; ++kb) {
    int gi = 0;
    if (p.groups_per_row > 1) gi = min((k0 + kb * 64 + 16 * t) >> p.group_shift, p.groups_per_row - 1);
#pragma unroll
    for (int nt = 0; nt < T::kNTiles; ++nt) {
      const int n = min(n_lane0 + nt * 8, p.N - 1);
      const size_t idx = static_cast<size_t>(n) * p.groups_per_row + gi;
      const uint32_t s = __ldg(p.scales + idx);
      s2[kb][nt] = s | (s << 16);
      uint32_t z = 0;
      if (p.zeros != nullptr) z = __ldg(p.zeros + idx);
      z2[kb][nt] = z | (z << 16);
    }
  }
}

template <class T>
__device__ __forceinline__ void compute_tile(const uint8_t* stage, int warp_m, int warp_n, int g, int t,
                                             const uint32_t (&s2)[T::kK64][T::kNTiles],
                                             const uint32_t (&z2)[T::kK64][T::kNTiles],
                                             float (&acc)[T::kMTiles][T::kNTiles][4]) {
  constexpr uint32_t kOne2 = 0x3F803F80u;       // bf16x2 (1, 1)
  constexpr uint32_t kMinus136x2 = 0xC308C308u;  // bf16x2 (-136, -136)
  const uint8_t* a_s = stage;
  const uint8_t* w_s = stage + T::kAStageBytes;
#pragma unroll
  for (int kb = 0; kb < T::kK64; ++kb) {
    uint2 wv[T::kNTiles];
#pragma unroll
    for (int nt = 0; nt < T::kNTiles; ++nt) {
      const int row = warp_n * T::kWarpCols + nt * 8 + g;
      wv[nt] = *reinterpret_cast<const uint2*>(w_s + w_smem_offset<T>(row, kb) + t * 8);
    }
#pragma unroll
    for (int kh = 0; kh < 2; ++kh) {
      uint32_t a[T::kMTiles][2][4];
#pragma unroll
      for (int mt = 0; mt < T::kMTiles; ++mt) {
        const int r0 = warp_m * T::kWarpRows + mt * 16 + g;
        const int c = kb * 8 + 2 * t + kh;
        const uint4 v0 = *reinterpret_cast<const uint4*>(a_s + a_smem_offset<T>(r0, c));
        const uint4 v1 = *reinterpret_cast<const uint4*>(a_s + a_smem_offset<T>(r0 + 8, c));
        a[mt][0][0] = ptx::prmt(v0.x, v0.z, 0x5410);
        a[mt][0][1] = ptx::prmt(v1.x, v1.z, 0x5410);
        a[mt][0][2] = ptx::prmt(v0.x, v0.z, 0x7632);
        a[mt][0][3] = ptx::prmt(v1.x, v1.z, 0x7632);
        a[mt][1][0] = ptx::prmt(v0.y, v0.w, 0x5410);
        a[mt][1][1] = ptx::prmt(v1.y, v1.w, 0x5410);
        a[mt][1][2] = ptx::prmt(v0.y, v0.w, 0x7632);
        a[mt][1][3] = ptx::prmt(v1.y, v1.w, 0x7632);
      }
#pragma unroll
      for (int nt = 0; nt < T::kNTiles; ++nt) {
        const uint32_t u = (kh == 0 ? wv[nt].x : wv[nt].y) ^ 0x88888888u;  // signed -> q + 8
        uint32_t b[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const uint32_t biased = ((u >> (4 * i)) & 0x000F000Fu) | 0x43004300u;  // 128 + q + 8
          const uint32_t q = ptx::fma_bf16x2(biased, kOne2, kMinus136x2);
          b[i] = ptx::fma_bf16x2(q, s2[kb][nt], z2[kb][nt]);
        }
#pragma unroll
        for (int mt = 0; mt < T::kMTiles; ++mt) {
          ptx::mma_bf16_16816(acc[mt][nt], a[mt][0], b[0], b[1]);
          ptx::mma_bf16_16816(acc[mt][nt], a[mt][1], b[2], b[3]);
        }
      }
    }
  }
}

template <class T>
__global__ void __launch_bounds__(T::kThreads, T::kMinBlocks) sm80_mma_gemm_kernel(const GemmParams p) {
  extern __shared__ __align__(128) uint8_t smem[];
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int warp_m = warp / T::kWarpsN;
  const int warp_n = warp % T::kWarpsN;
  const int g = lane >> 2;
  const int t = lane & 3;

  const CtaWork w = cta_work<T>(p);
  const int m0 = w.m0, n0 = w.n0, split = w.split, kt_begin = w.kt_begin, kt_end = w.kt_end;

  float acc[T::kMTiles][T::kNTiles][4];
  zero_accumulators(acc);

#pragma unroll
  for (int s = 0; s < T::kStages - 1; ++s) {
    if (kt_begin + s < kt_end) load_tile<T>(smem + s * T::kStageBytes, p, m0, n0, (kt_begin + s) * T::BK, tid);
    ptx::cp_async_commit();
  }

  const int n_lane0 = n0 + warp_n * T::kWarpCols + g;
  uint32_t s2[T::kK64][T::kNTiles], z2[T::kK64][T::kNTiles];
  uint32_t s2_next[T::kK64][T::kNTiles], z2_next[T::kK64][T::kNTiles];
  if (kt_begin < kt_end) load_group_params<T>(p, n_lane0, kt_begin * T::BK, t, s2, z2);

  for (int kt = kt_begin; kt < kt_end; ++kt) {
    ptx::cp_async_wait<T::kStages - 2>();
    __syncthreads();
    const int fetch = kt + T::kStages - 1;
    if (fetch < kt_end) load_tile<T>(smem + ((fetch - kt_begin) % T::kStages) * T::kStageBytes, p, m0, n0,
                                     fetch * T::BK, tid);
    ptx::cp_async_commit();
    // Next tile's scales load under this tile's math (one tile of latency cover).
    if (kt + 1 < kt_end) load_group_params<T>(p, n_lane0, (kt + 1) * T::BK, t, s2_next, z2_next);
    compute_tile<T>(smem + ((kt - kt_begin) % T::kStages) * T::kStageBytes, warp_m, warp_n, g, t, s2, z2, acc);
#pragma unroll
    for (int kb = 0; kb < T::kK64; ++kb)
#pragma unroll
      for (int nt = 0; nt < T::kNTiles; ++nt) {
        s2[kb][nt] = s2_next[kb][nt];
        z2[kb][nt] = z2_next[kb][nt];
      }
  }
  ptx::cp_async_wait<0>();

  store_tile<T>(p, split, m0 + warp_m * T::kWarpRows, n0 + warp_n * T::kWarpCols, g, t, acc);
}

// Host side: grid geometry from the same constants as __launch_bounds__.
template <class T>
cudaError_t launch_sm80_mma_gemm(const GemmParams& p, cudaStream_t stream) {
  const dim3 grid = cta_grid<T>(p);
  const dim3 block(T::kThreads);
  // The dynamic shared-memory limit: once per device (smem_limit.h).
  static DynamicSmemLimit limit;
  int device = 0;
  const cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return err;
  return launch_with_smem_limit(limit, reinterpret_cast<const void*>(sm80_mma_gemm_kernel<T>), T::kSmemBytes, device,
                                [&]() -> cudaError_t {
                                  sm80_mma_gemm_kernel<T><<<grid, block, T::kSmemBytes, stream>>>(p);
                                  return cudaGetLastError();
                                });
}

}  // namespace w4a16::kernels

namespace w4a16::kernels {

// The tile type of a configuration in sm80_mma_configs.h.
template <Sm80MmaConfigId Id>
using Sm80MmaTileOf =
    Sm80MmaTile<kSm80MmaConfigs[static_cast<int>(Id)].kind, kSm80MmaConfigs[static_cast<int>(Id)].bm, kSm80MmaConfigs[static_cast<int>(Id)].bn,
                kSm80MmaConfigs[static_cast<int>(Id)].bk, kSm80MmaConfigs[static_cast<int>(Id)].warps_m,
                kSm80MmaConfigs[static_cast<int>(Id)].warps_n, kSm80MmaConfigs[static_cast<int>(Id)].stages,
                kSm80MmaConfigs[static_cast<int>(Id)].min_blocks>;

}  // namespace w4a16::kernels

#include "kernels/sm80/sm80_dec_gemm.cuh"
#include "kernels/sm80/sm80_sdq_gemm.cuh"

// Body of one generated translation unit (src/CMakeLists.txt writes one per
// configuration into the build tree).
namespace w4a16::kernels {

// Launches configuration Id with its kernel family.  A template, so that only
// the family named in the configuration list is instantiated.
template <Sm80MmaConfigId Id>
cudaError_t launch_sm80_config(const GemmParams& p, cudaStream_t stream) {
  constexpr Sm80MmaConfig c = kSm80MmaConfigs[static_cast<int>(Id)];
  if constexpr (is_decode(c.kind)) {
    static_assert(c.bk == 128, "dec kernels use 128-deep k blocks");
    return launch_sm80_dec_gemm<
        Sm80DecTile<c.bm, c.bn, c.warps_m, c.warps_n, c.stages, c.min_blocks, c.kind == Sm80Kind::decr>>(p, stream);
  } else if constexpr (c.kind == Sm80Kind::rdq) {
    return launch_sm80_mma_gemm<Sm80MmaTileOf<Id>>(p, stream);
  } else {
    return launch_sm80_sdq_gemm<Sm80MmaTileOf<Id>>(p, stream);
  }
}

}  // namespace w4a16::kernels

#define W4A16_SM80_MMA_INSTANCE(name)                                           \
  namespace w4a16::kernels {                                                    \
  cudaError_t sm80_mma_gemm_##name(const GemmParams& p, cudaStream_t stream) {  \
    return launch_sm80_config<Sm80MmaConfigId::name>(p, stream);                \
  }                                                                             \
  }
