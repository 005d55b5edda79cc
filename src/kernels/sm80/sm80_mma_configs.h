// The list of sm80 mma.sync GEMM configurations, written once.  Instantiation
// (instances/*.cu), dispatch (src/dispatch) and the tests all read this list.
//
// X(name, KIND, BM, BN, BK, WARPS_M, WARPS_N, STAGES, MIN_BLOCKS_PER_SM)
//   KIND         : rdq = each warp dequantizes its weights into registers
//                  (sm80_mma_gemm.cuh); sdq = the CTA dequantizes each weight
//                  tile once into shared memory and warps read it with
//                  ldmatrix (sm80_sdq_gemm.cuh); dec = decode: weights go
//                  from DRAM straight to registers as the MMA's A operand,
//                  tokens are the MMA's n8 side (sm80_dec_gemm.cuh)
//   BM x BN x BK : CTA tile (M rows of activations, N output columns, K depth;
//                  dec: BK is the 128-deep k block, the CTA spans its split)
//   WARPS_M/N    : warp grid; a warp computes (BM/WARPS_M) x (BN/WARPS_N)
//                  (dec: WARPS_M is the number of warps that split K, each
//                  warp computes all BM tokens x BN/WARPS_N columns)
//   STAGES       : cp.async pipeline depth (dec: k blocks in flight per warp,
//                  held in registers)
//   MIN_BLOCKS   : __launch_bounds__ occupancy hint
//
// Why these: small M is bound by reading weights, so the m16 tile uses
// BK = 128 and 6 stages to keep ~40 KB of weights in flight per CTA, and
// register dequantization costs nothing there.  From M ~ 64 on the tensor
// cores are the limit and per-warp dequantization (repeated by every warp row
// of the CTA, plus the activation permutes it forces) costs more issue slots
// than the MMAs: the sdq kernels dequantize once per CTA and then run a plain
// bf16 ldmatrix/mma main loop, with registers low enough for 2 CTAs per SM.
//
// The dec rows are the decode path (issue #3).  Names end in w<WARPS_K>.  A
// warp owns one (n16) or two (n32) m16 column blocks and every WARPS_K-th
// 128-deep k block; M <= 8 is one n8 token block (128 registers, 16 warps per
// SM), 8 < M <= 16 two (255 registers, 8 warps per SM).  Measured on H100
// (bench/results/2026-11-26-h100-issue3-geometry/): two column blocks per
// warp halve the per-warp fixed work (cursor set-up, the reduction over the
// warps along K, the stores) per weight byte, and the best WARPS_K is the one
// that keeps all warps in about one wave (dispatch.cpp, choose_decode):
// 14336 x 4096 at M = 1 went from 18.8 us (n16, 8 warps along K, 3.4 waves)
// to 16.0 us (n32, 4 along K, 0.85 waves); at M = 16 from 31.4 to 22.8 us.
// The n16 tile stays for N below about 8192, where n32 tiles are too few.
// The decr rows are the same decode kernels reading packed weights
// (w4a16PackWeights on sm_90: the sm90 fragment order, params [K/g, N]); one
// per dec row, so that plan_packed can take the twin of any decode choice.
// Measured slower and not built: more register stages (4-8, at 12 warps per
// SM: 20-45% slower), activations in a separate one-block-ahead ring (5-10%
// slower), one-warp-pair CTAs (WARPS_K = 2) at N <= 14336, 16 warps along K.
#pragma once

#define W4A16_SM80_MMA_CONFIGS(X)                            \
  X(rdq_m16n128k128s6, rdq, 16, 128, 128, 1, 4, 6, 2)        \
  X(rdq_m64n128k64s4, rdq, 64, 128, 64, 1, 4, 4, 2)          \
  X(sdq_m128n128k64s4, sdq, 128, 128, 64, 2, 4, 4, 2)        \
  X(dec_m8n16k128s3w8, dec, 8, 16, 128, 8, 1, 3, 2)          \
  X(dec_m8n32k128s2w2, dec, 8, 32, 128, 2, 1, 2, 8)          \
  X(dec_m8n32k128s2w4, dec, 8, 32, 128, 4, 1, 2, 4)          \
  X(dec_m8n32k128s2w8, dec, 8, 32, 128, 8, 1, 2, 2)          \
  X(dec_m16n32k128s2w2, dec, 16, 32, 128, 2, 1, 2, 4)        \
  X(dec_m16n32k128s2w4, dec, 16, 32, 128, 4, 1, 2, 2)        \
  X(dec_m16n32k128s2w8, dec, 16, 32, 128, 8, 1, 2, 1)        \
  X(decr_m8n16k128s3w8, decr, 8, 16, 128, 8, 1, 3, 2)        \
  X(decr_m8n32k128s2w2, decr, 8, 32, 128, 2, 1, 2, 8)        \
  X(decr_m8n32k128s2w4, decr, 8, 32, 128, 4, 1, 2, 4)        \
  X(decr_m8n32k128s2w8, decr, 8, 32, 128, 8, 1, 2, 2)        \
  X(decr_m16n32k128s2w2, decr, 16, 32, 128, 2, 1, 2, 4)      \
  X(decr_m16n32k128s2w4, decr, 16, 32, 128, 4, 1, 2, 2)      \
  X(decr_m16n32k128s2w8, decr, 16, 32, 128, 8, 1, 2, 1)

namespace w4a16::kernels {

enum class Sm80Kind : int { rdq, sdq, dec, decr };

// The decode kernels (sm80_dec_gemm.cuh): weights as the MMA's A operand,
// tokens on its n8 side; they trigger their programmatic dependents at their
// start (the split-K reduction after them may then be one).
constexpr bool is_decode(Sm80Kind kind) { return kind == Sm80Kind::dec || kind == Sm80Kind::decr; }

// The kernels that read packed weights (w4a16PackWeights, sm90 fragment order).
constexpr bool reads_packed(Sm80Kind kind) { return kind == Sm80Kind::decr; }

// Printable description of one configuration (also its derived sizes).
struct Sm80MmaConfig {
  const char* name;
  Sm80Kind kind;
  int bm, bn, bk, warps_m, warps_n, stages, min_blocks;
  constexpr int threads() const { return warps_m * warps_n * 32; }
  // Pipeline stages of activations + packed weights, plus (sdq) one bf16 weight tile;
  // dec: the fp32 buffer of the reduction over the warps along K (static).
  constexpr int smem_bytes() const {
    if (is_decode(kind)) return (warps_m - 1) * bm * bn * 4;
    return stages * (bm * bk * 2 + bn * bk / 2) + (kind == Sm80Kind::sdq ? bn * bk * 2 : 0);
  }
};

enum class Sm80MmaConfigId : int {
#define W4A16_X(name, ...) name,
  W4A16_SM80_MMA_CONFIGS(W4A16_X)
#undef W4A16_X
  kCount
};

inline constexpr Sm80MmaConfig kSm80MmaConfigs[] = {
#define W4A16_X(name, kind, bm, bn, bk, wm, wn, st, mb) {#name, Sm80Kind::kind, bm, bn, bk, wm, wn, st, mb},
    W4A16_SM80_MMA_CONFIGS(W4A16_X)
#undef W4A16_X
};

}  // namespace w4a16::kernels
