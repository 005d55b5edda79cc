// Decode (small-M) W4A16 GEMM: int4 weights stream from DRAM straight into
// registers, are dequantized there, and feed mma.sync m16n8k16 as the A
// operand (16 output columns per MMA row block), with the activations' M
// (tokens) as the MMA's n8 side.  At M <= 8 one n8 block carries every
// token, so no MMA work is spent on 16-row padding (the m16-token rdq tile
// wastes 15/16 of its MMAs at M = 1).  Portable to every arch >= sm_80: it is
// the decode path on Jetson Orin and Thor too.
//
// Arguments (GemmParams, validated by the caller):
//   | name     | dtype | shape             | layout    | alignment |
//   |----------|-------|-------------------|-----------|-----------|
//   | x        | bf16  | [M, K]            | row-major | 16 B      |
//   | wq       | int4  | [N, K/2] bytes    | canonical | 16 B      |
//   | scales   | bf16  | [N, K/g]          | row-major | 2 B       |
//   | zeros    | bf16  | [N, K/g] / null   | row-major | 2 B       |
//   | y        | bf16  | [M, N]            | row-major | 16 B      |
//   | partials | fp32  | [S, M, N]         | row-major | 16 B      | (split_k = S > 1)
//   K % 32 == 0: each lane's 32-deep k chunk is wholly in or out of range.
//
// Work split (docs/kernels.md, "Decode kernel", has the diagrams):
//   * CTA: BN output columns x BM tokens x one of S contiguous k ranges
//     (grid = [N/BN, S, M/BM]).  Its WARPS_N x WARPS_K warps split the BN
//     columns (R m16 blocks per warp) and interleave the 128-deep k blocks.
//   * Lane (g = lane/4, t = lane%4) of a warp owns physical k [32t, 32t+32)
//     of every 128-deep block, for MMA rows g and g+8, which we map to the
//     *adjacent* output columns 2g and 2g+1 of its m16 block: the lane's
//     weights are two 16-byte loads (one per column, 64 contiguous bytes per
//     column across the 4 lanes t: whole sectors), and its two results per
//     token are adjacent in y (one bf16x2 store).
//   * k relabelling (the sum over k does not care about order): in word w
//     (nibbles 0..7 = physical k 8w..8w+7 of the lane chunk), nibble pair
//     (i, i+4) is one bf16x2 register ((word >> 4i) & 0x000F000F), and MMA
//     2w+h takes pair 2h as logical k {2t, 2t+1} and pair 2h+1 as
//     {2t+8, 2t+9}.  The activations get the same relabelling: one 16-byte
//     load is x[8w .. 8w+8) and two prmt build the (i, i+4) pairs.
//   * Dequantization is the canonical bf16_rn(s*q + z), bit-identical to the
//     reference: (nibble ^ 8) | 0x4300 is bf16 128 + q + 8 (one lop3), one fma
//     gives q exactly and one fma(q, s, z) rounds once.
//   * Pipeline: each warp keeps STAGES k blocks of weights and group params
//     (and at M <= 16 the activations) in flight in registers: no shared
//     memory and no barrier in the main loop.  ptxas tracks all of the
//     loop's 16-byte loads with one scoreboard, and a wait drains every load
//     issued on it so far, so the order of loads and uses decides how much
//     latency is hidden (docs/kernels.md, "Scoreboard waits in the hot
//     loop"; ctest decode_loop_sass):
//       refill after use (STAGES >= 2): use(s), refill(s), ... The loop-top
//         wait also drains the last stage's refill, just issued: one exposed
//         latency per trip of STAGES blocks.
//       refill ahead (STAGES = 2): refill(other), use(this): each wait
//         drains loads issued one stage of compute earlier.  Measured on
//         H100, packed weights (seventeenth session): M = 16 18.5 -> 15.8 us
//         (14336x4096), 16.7 -> 15.5 (4096x14336); M = 1 14.7 -> 13.1
//         (14336x4096), 48.2 -> 43.7 (28672x8192).  Canonical weights
//         (nineteenth session): M = 16 22.1 -> 20.3 (14336x4096), 21.2 ->
//         20.2 (4096x14336), 80 -> 74 (28672x8192); M = 8 17.4 -> 16.3; M = 1
//         15.9 -> 15.2 (14336x4096); no shape slower.  The canonical loads
//         carry `+ dep` (load_stage's dep), a run-time zero computed from
//         the block in use: without it ptxas moved them above that block's
//         first use or sank them into its compute, and the waits came back.
//     Shared-memory rings measured slower on H100 (docs/perf-notes.md, first
//     and eighteenth sessions): a deeper per-warp cp.async ring with
//     persistent CTAs and staged activations ran 1.7x slower at M = 1
//     (issue-bound on its address and shared-memory instructions); a
//     per-warp cp.async ring of 3-4 blocks with this kernel's loop, global
//     lines contiguous in shared memory, ran 0-30% slower than refill ahead
//     at M = 1..16 (its activations through L2, its shared memory leaving L1
//     ~28 KB).
//   * Reduction, deterministic: warps along K add through shared memory in
//     warp order; with S > 1 each CTA writes its fp32 partial and
//     splitk_reduce adds the S partials in split order 0..S-1, launched by
//     the host right after this kernel (on sm_90 as its programmatic
//     dependent).  Measured on H100 (eleventh session): 2.1-2.6 us faster on
//     every split decode shape than the last CTA of each tile adding them
//     after an atomic arrival count, whose counters needed a memset before
//     the kernel (1 x 1024 x 4096: 7.4 -> 4.8 us).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

// Lab hooks (bench/lab/dec_timeline_lab.cu defines them; empty in the
// library): W4A16_DEC_MARK(point, dep) notes when a warp passes a point of
// the kernel once the 32-bit register `dep` it waits for is available, in
// the state W4A16_DEC_MARK_STATE declares at the kernel's start.
#ifndef W4A16_DEC_MARK
#define W4A16_DEC_MARK(point, dep) ((void)0)
#define W4A16_DEC_MARK_STATE ((void)0)
#endif

#include "kernels/common/gemm_params.h"
#include "kernels/common/ptx.cuh"
#include "kernels/sm80/sm80_common.cuh"

namespace w4a16::kernels {

template <int BM_, int BN_, int WARPS_K_, int WARPS_N_, int STAGES_, int MIN_BLOCKS_, bool REORDERED_ = false,
          bool HALF_GROUPS_ = false>
struct Sm80DecTile {
  static constexpr int BM = BM_;  // tokens per CTA (n8 column blocks of the MMA)
  static constexpr int BN = BN_;  // output columns per CTA
  static constexpr int BK = 128;  // k block: 32 k per lane t
  static constexpr int kWarpsK = WARPS_K_, kWarpsN = WARPS_N_;
  static constexpr int kThreads = 32 * kWarpsK * kWarpsN;
  static constexpr int kStages = STAGES_, kMinBlocks = MIN_BLOCKS_;
  // Packed weights (the `decr` rows): the weights in the sm90 fragment order
  // and the group parameters transposed, [K/g, N] (docs/format.md, section 6).
  static constexpr bool kReordered = REORDERED_;
  // Packed weights with g = 64 (two groups per 128-deep k block): lane t
  // takes its two k tiles from one 64-deep half (kt = 8 kb + 2t + j instead of
  // 8 kb + 4j + t), so it still needs one (scale, zero) per row and block, of
  // its own half's group.  No extra register or load: a second register for
  // the other half's parameters made the n32 tiles spill or, given more
  // registers, lose occupancy (14336x4096 M = 1: 18.7 / 22.3 us against
  // 16.1-16.3 on canonical g = 64 weights; docs/perf-notes.md, eighth session).  A
  // second instantiation, chosen at launch, so g % 128 == 0 keeps its code.
  static constexpr bool kHalfGroups = HALF_GROUPS_;
  static_assert(!kHalfGroups || kReordered, "half groups: the packed (fragment-order) kernels only");
  static constexpr int kMT = BM / 8;              // token blocks of 8 per warp
  static constexpr int kR = BN / (16 * kWarpsN);  // m16 column blocks per warp
  // Activations ride in the register pipeline at M <= 16 (16 registers per
  // token block and stage); beyond, they are read at use, a few operands
  // ahead, from L1 (the WARPS_N warps share them).  (Measured: prefetching
  // the CTA's activations into L1 instead, to free these registers for 6
  // weight stages, ran 10-20% slower at M = 1 and 8; docs/perf-notes.md.)
  static constexpr bool kXInStage = kMT <= 2;
  static constexpr int kRedFloats = (kWarpsK - 1) * kWarpsN * kR * kMT * 4 * 32;

  static_assert(BM % 8 == 0 && BN % (16 * kWarpsN) == 0, "whole mma blocks per warp");
  static_assert(kStages >= 1, "at least one stage");
  // The load cursor steps group indices by WARPS_K * 128 / g per block, which
  // must be whole for g = 256 (the largest grouped size).
  static_assert(kWarpsK * BK >= 256, "WARPS_K * 128 must be a multiple of every group size");
};

namespace dec {

__device__ __forceinline__ uint32_t word_of(const uint4& v, int w) {
  return w == 0 ? v.x : w == 1 ? v.y : w == 2 ? v.z : v.w;
}

// Where a warp works: first output column, first token, and lane coordinates.
struct WarpPos {
  int n_warp;  // first column of the warp's R m16 blocks
  int m0;      // first token of the CTA
  int g, t;
};

// One k block's operands for one warp, in registers.
template <class T>
struct Stage {
  uint4 w[T::kR][2];      // [m16 block][column 2g / 2g+1]: 32 nibbles each
  uint32_t sz[T::kR][2];  // group scale (low half) and zero (high half; 0 when symmetric), bf16
  uint4 x[T::kXInStage ? T::kMT : 1][4];  // [token block][word]: x[8w .. 8w+8)
};

// Activation operand (word w, token block mt) of k block kb.
template <class T>
__device__ __forceinline__ uint4 load_x(const GemmParams& p, const WarpPos& wp, int kb, int w, int mt, bool active) {
  const int k = kb * T::BK + 32 * wp.t;
  const int token = wp.m0 + mt * 8 + wp.g;
  const bool v = active && k < p.K && token < p.M;
  return ptx::ld_act_16(p.x + (v ? static_cast<size_t>(token) * p.K + k + 8 * w : 0), v);
}

// The lane's activation row pointers x[token][k] for its token blocks (token
// 0 where token >= M, so the address stays valid) and the bit mask of the
// tokens < M; shared by both load cursors.
template <class T>
__device__ __forceinline__ uint32_t init_token_rows(const GemmParams& p, const WarpPos& wp, int k,
                                                    const uint16_t* (&x)[T::kMT]) {
  uint32_t tok_ok = 0;
#pragma unroll
  for (int mt = 0; mt < T::kMT; ++mt) {
    const int token = wp.m0 + mt * 8 + wp.g;
    const bool ok = token < p.M;
    tok_ok |= static_cast<uint32_t>(ok) << mt;
    x[mt] = p.x + (ok ? static_cast<size_t>(token) * p.K : 0) + k;
  }
  return tok_ok;
}

// The lane's next k block to load, kept incrementally: the warp's k blocks
// are kb_begin + wk + WARPS_K * i, so every pointer and index moves by a
// constant per block, and the per-CTA parts (columns < N, token < M) are
// decided once.  (Recomputing 64-bit addresses, selects and zero fills per
// load cost about 85 of the 268 SASS instructions per k block.)
template <class T>
struct LoadCursor {
  const uint8_t* w[T::kR][2];  // this lane's 16 bytes of column (r, h); clamped to a valid column
  uint32_t sz_idx[T::kR][2];   // element index of its group param
  const uint16_t* x[T::kMT];   // x[token][k]; clamped to token 0 when token >= M
  int k;                       // lane's first k of the block: kb * 128 + 32t
  uint32_t col_ok;             // bit 2r+h: column (r, h) < N
  uint32_t tok_ok;             // bit mt: token mt*8 + g < M
  uint32_t gi_step;            // group index step per block (0 when per-channel)

  __device__ __forceinline__ void init(const GemmParams& p, const WarpPos& wp, int kb) {
    k = kb * T::BK + 32 * wp.t;
    const int gi = p.groups_per_row > 1 ? (k >> p.group_shift) : 0;
    gi_step = p.groups_per_row > 1 ? static_cast<uint32_t>((T::kWarpsK * T::BK) >> p.group_shift) : 0u;
    col_ok = 0;
#pragma unroll
    for (int r = 0; r < T::kR; ++r)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int n = wp.n_warp + 16 * r + 2 * wp.g + h;
        const bool ok = n < p.N;
        const size_t nc = ok ? static_cast<size_t>(n) : 0;
        col_ok |= static_cast<uint32_t>(ok) << (2 * r + h);
        w[r][h] = p.wq + nc * (static_cast<size_t>(p.K) / 2) + k / 2;
        sz_idx[r][h] = static_cast<uint32_t>(nc * p.groups_per_row + gi);
      }
    tok_ok = init_token_rows<T>(p, wp, k, x);
  }
  __device__ __forceinline__ void advance() {
    k += T::kWarpsK * T::BK;
#pragma unroll
    for (int r = 0; r < T::kR; ++r)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        w[r][h] += T::kWarpsK * T::BK / 2;
        sz_idx[r][h] += gi_step;
      }
#pragma unroll
    for (int mt = 0; mt < T::kMT; ++mt) x[mt] += T::kWarpsK * T::BK;
  }
};

// The activations of the cursor's k block (k_valid: the block is the warp's
// and inside K); zero outside M.
template <class T>
__device__ __forceinline__ void load_stage_x(Stage<T>& st, const GemmParams& p, const LoadCursor<T>& c,
                                             bool k_valid, uint32_t dep = 0) {
  if constexpr (T::kXInStage) {
#pragma unroll
    for (int mt = 0; mt < T::kMT; ++mt) {
      const bool v = k_valid && ((c.tok_ok >> mt) & 1u);
#pragma unroll
      for (int w = 0; w < 4; ++w) st.x[mt][w] = ptx::ld_act_16(c.x[mt] + 8 * w + dep, v);
    }
  }
}

// Loads the cursor's k block into a stage and advances the cursor.  Outside
// [0, K) or past the warp's last block (active false) nothing is read: the
// weight registers keep stale codes, but the scale and zero are 0, so they
// dequantize to 0; activations outside M or K read as 0.
//
// kCoherent (the canonical prologue): the same loads without .nc, which
// ptxas keeps behind griddepcontrol.wait (it moves .nc loads above it).  The
// prologue must keep this loader's exact shape, not only its loads: the
// ring's registers flow from it into the hot loop, and the sixteenth
// session's prologue (weights of every stage first, then activations
// through a second cursor; selects after predicated loads) left the loop's
// instructions unchanged but moved its scoreboard waits: one stage's first
// use then waited for the other stage's loads, just issued, and M = 1..16
// ran 10-20% slower (seventeenth session; ctest decode_loop_sass).
// dep (the canonical refill-ahead loop): added to every address, a run-time
// zero computed from the block in use, so that ptxas can neither issue these
// loads before that block's first use (whose scoreboard wait would drain
// them) nor sink them into its compute.  Elsewhere the default 0, folded.
template <class T, bool kCoherent = false>
__device__ __forceinline__ void load_stage(Stage<T>& st, const GemmParams& p, LoadCursor<T>& c, bool active,
                                           uint32_t dep = 0) {
  const bool k_valid = active && c.k < p.K;
  const auto param = [](const auto* ptr) -> uint32_t { return kCoherent ? ptx::ld_u16(ptr) : __ldg(ptr); };
#pragma unroll
  for (int r = 0; r < T::kR; ++r) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const bool v = k_valid && ((c.col_ok >> (2 * r + h)) & 1u);
      if constexpr (kCoherent)
        ptx::ld_stream_16_keep(st.w[r][h], c.w[r][h] + dep, v);
      else
        ptx::ldg_stream_16_keep(st.w[r][h], c.w[r][h] + dep, v);
      const uint32_t idx = c.sz_idx[r][h] + dep;
      const uint32_t scale = v ? param(p.scales + idx) : 0u;
      const uint32_t zero = (v && p.zeros != nullptr) ? param(p.zeros + idx) : 0u;
      st.sz[r][h] = scale | (zero << 16);
    }
  }
  load_stage_x<T>(st, p, c, k_valid, dep);
  c.advance();
}

// The stage's packed (scale, zero) words of each m16 row block and half as
// bf16x2 pairs (s, s) and (z, z), the operands of the dequantization's fma.
template <class T>
__device__ __forceinline__ void split_group_params(const Stage<T>& st, uint32_t (&s2)[T::kR][2],
                                                   uint32_t (&z2)[T::kR][2]) {
#pragma unroll
  for (int r = 0; r < T::kR; ++r)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      s2[r][h] = ptx::prmt(st.sz[r][h], 0, 0x1010);  // (s, s)
      z2[r][h] = ptx::prmt(st.sz[r][h], 0, 0x3232);  // (z, z)
    }
}

// One k block of one warp: dequantize, then 8 MMAs per m16 block and token block.
template <class T>
__device__ __forceinline__ void compute_stage(const Stage<T>& st, const GemmParams& p, const WarpPos& wp, int kb,
                                              float (&acc)[T::kR][T::kMT][4]) {
  constexpr uint32_t kOne2 = 0x3F803F80u;        // bf16x2 (1, 1)
  constexpr uint32_t kMinus136x2 = 0xC308C308u;  // bf16x2 (-136, -136)
  constexpr int kXAhead = 3;
  constexpr int kItems = 4 * T::kMT;
  uint32_t s2[T::kR][2], z2[T::kR][2];
  split_group_params<T>(st, s2, z2);
  uint4 ring[T::kXInStage ? 1 : kXAhead + 1];
  if constexpr (!T::kXInStage) {
#pragma unroll
    for (int j = 0; j < kXAhead; ++j) ring[j] = load_x<T>(p, wp, kb, j / T::kMT, j % T::kMT, true);
  }
  uint32_t a[T::kR][2][4];
#pragma unroll
  for (int j = 0; j < kItems; ++j) {
    const int w = j / T::kMT, mt = j % T::kMT;
    if (mt == 0) {
      // a[r][h]: A fragment of MMA 2w+h = {col 2g pair 2h, col 2g+1 pair 2h,
      //                                    col 2g pair 2h+1, col 2g+1 pair 2h+1}.
#pragma unroll
      for (int r = 0; r < T::kR; ++r) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const uint32_t word = word_of(st.w[r][h], w);
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const uint32_t biased = ptx::and_xor(word >> (4 * i), 0x000F000Fu, 0x43084308u);  // 128 + q + 8
            const uint32_t q = ptx::fma_bf16x2(biased, kOne2, kMinus136x2);
            a[r][i >> 1][(i & 1) * 2 + h] = ptx::fma_bf16x2(q, s2[r][h], z2[r][h]);
          }
        }
      }
    }
    uint4 xv;
    if constexpr (T::kXInStage) {
      xv = st.x[mt][w];
    } else {
      if (j + kXAhead < kItems)
        ring[(j + kXAhead) % (kXAhead + 1)] =
            load_x<T>(p, wp, kb, (j + kXAhead) / T::kMT, (j + kXAhead) % T::kMT, true);
      xv = ring[j % (kXAhead + 1)];
    }
    const uint32_t b00 = ptx::prmt(xv.x, xv.z, 0x5410);  // (x0, x4)
    const uint32_t b01 = ptx::prmt(xv.x, xv.z, 0x7632);  // (x1, x5)
    const uint32_t b10 = ptx::prmt(xv.y, xv.w, 0x5410);  // (x2, x6)
    const uint32_t b11 = ptx::prmt(xv.y, xv.w, 0x7632);  // (x3, x7)
#pragma unroll
    for (int r = 0; r < T::kR; ++r) {
      ptx::mma_bf16_16816(acc[r][mt], a[r][0], b00, b01);
      ptx::mma_bf16_16816(acc[r][mt], a[r][1], b10, b11);
    }
  }
}

// ---- Packed weights (decr): the sm90 fragment order -------------------------
// The packed layout (docs/sm90-weight-reorder.md) stores, for each 16-deep k
// tile kt and 16-row tile nt, eight 16-byte chunks n0 = 0..7 at byte
// kt * 8N + nt * 128 + 16 * n0; word k1 of chunk n0 is exactly the
// mma.m16n8k16 A fragment of lane (n0, k1): rows n0 and n0 + 8, k = 16 kt +
// 2 k1 + {0, 1} and + 8, as nibble pairs at bits (0, 16), (4, 20), (8, 24),
// (12, 28) for (row n0, k), (row n0 + 8, k), (row n0, k + 8), (row n0 + 8, k + 8).
// Lane (g, t) loads chunk g of k tiles kt = 8 kb + 4 j + t (j = 0, 1): two
// 16-byte loads per m16 block and k block, as in the canonical kernel, but
// each warp load covers whole 128-byte lines.  (kHalfGroups: kt = 8 kb + 2t
// + j, both tiles of a lane in one 64-deep half; the sum over k does not care
// which lane holds which tile, and each load still covers four whole lines.)
// Word w of chunk j then feeds MMA (j, w) with k positions relabelled: lane
// t's positions (2t, 2t + 1) and (2t + 8, 2t + 9) stand for k = 16 kt + 2w +
// {0, 1} and + 8, which are words w of the lane's own two 16-byte activation
// loads x[16 kt .. +8) and x[16 kt + 8 .. +16): the B operand needs no
// permute at all.
// The lane's outputs are rows g and g + 8 of each m16 block (not 2g, 2g + 1).
template <class T>
struct LoadCursorRp {
  // Chunk (kt = 8 kb + 4 j + t or 8 kb + 2t + j, nt of block 0, n0 = g);
  // block r's chunk is 128 r bytes on (a load offset, not a register).
  const uint8_t* w[2];
  // Group params of row g of the warp's first m16 block in [K/g, N]; row
  // g + 8h of block r is 16 r + 8 h elements on.
  const uint16_t* s;
  const uint16_t* z;           // = s when symmetric (never read then)
  bool has_zeros;
  const uint16_t* x[T::kMT];   // x[token][k]; token 0 when token >= M
  int k;                       // lane's first k of the block (j = 0): kb * 128 + 16t (half groups: + 32t)
  uint32_t col_ok;             // bit r: m16 block r < N (N % 16 == 0 for packed weights)
  uint32_t sz_step;            // group index step per block, times N
  size_t w_step;               // bytes between the warp's k blocks

  // k tile of chunk j for lane t, relative to the block: 4j + t, or (half
  // groups) 2t + j.
  static constexpr int kTileOfT = T::kHalfGroups ? 2 : 1;
  static constexpr int kTileOfJ = T::kHalfGroups ? 1 : 4;

  __device__ __forceinline__ void init(const GemmParams& p, const WarpPos& wp, int kb) {
    k = kb * T::BK + 16 * kTileOfT * wp.t;
    // Half groups: the lane's group is that of its own half, 2 kb + t / 2.
    const int gi = p.groups_per_row > 1 ? ((T::kHalfGroups ? k : kb * T::BK) >> p.group_shift) : 0;
    sz_step = p.groups_per_row > 1 ? static_cast<uint32_t>(((T::kWarpsK * T::BK) >> p.group_shift) * p.N) : 0u;
    w_step = static_cast<size_t>(T::kWarpsK) * (T::BK / 16) * 8 * p.N;
    col_ok = 0;
#pragma unroll
    for (int r = 0; r < T::kR; ++r) col_ok |= static_cast<uint32_t>(wp.n_warp + 16 * r < p.N) << r;
    const size_t nt = wp.n_warp < p.N ? static_cast<size_t>(wp.n_warp / 16) : 0;
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const size_t kt = static_cast<size_t>(kb) * (T::BK / 16) + kTileOfJ * j + kTileOfT * wp.t;
      w[j] = p.wq + kt * 8 * p.N + nt * 128 + 16 * wp.g;
    }
    // Blocks r past N are never loaded (col_ok), so the base stays in range.
    const size_t first = static_cast<size_t>(gi) * p.N + static_cast<size_t>(wp.n_warp < p.N ? wp.n_warp : 0) + wp.g;
    s = p.scales + first;
    has_zeros = p.zeros != nullptr;
    z = has_zeros ? p.zeros + first : s;
    init_token_rows<T>(p, wp, k, x);
  }
  // The weight side (weights, group params, k) and the activation side move
  // separately: a programmatic prologue loads its stages' weights before
  // griddepcontrol.wait and their activations after it.
  __device__ __forceinline__ void advance_weights() {
    k += T::kWarpsK * T::BK;
    w[0] += w_step;
    w[1] += w_step;
    s += sz_step;
    z += sz_step;
  }
  __device__ __forceinline__ void advance_x() {
#pragma unroll
    for (int mt = 0; mt < T::kMT; ++mt) x[mt] += T::kWarpsK * T::BK;
  }
  __device__ __forceinline__ void advance() {
    advance_weights();
    advance_x();
  }
};

// Stage layout for packed weights: w[r][j] = chunk j, sz[r][h] = (scale, zero)
// of row g + 8h, x[mt][2j + half] = x[16 kt + 8 half .. +8) of chunk j's k tile.
//
// The hot loop's loader (load_stage_rp) fills nothing: a skipped load leaves
// its registers undefined, which is safe because the only skipped loads are
//   * those of a stage past the warp's last full k block (never computed);
//   * those of an m16 block past N (its rows are never stored; a row of the
//     MMA's A operand touches only its own row of the result).
// A lane whose token is past M reads token 0's row (its output column is
// discarded).  The K tail (a last k block that is partly past K: per-channel
// K % 128 != 0, or g = 64 with K % 128 == 64) is left to one warp, after its
// loop, with the zero-filling load_stage_rp_tail.  (Zero-filling every load
// in the hot loop cost 16 moves per stage at M <= 8 and the 64-bit group-param
// indices another 16, about 10% of the stage's instructions.)
// kCoherent: the weights and group params through coherent loads (the
// prologue: ptxas moves .nc loads across griddepcontrol.wait, which in the
// overlap mode follows these loads and in the default mode precedes them).
template <class T, bool kCoherent = false>
__device__ __forceinline__ void load_stage_rp_weights(Stage<T>& st, const LoadCursorRp<T>& c, bool active) {
  const auto load16 = [](const uint8_t* ptr, bool valid) {
    return kCoherent ? ptx::ld_stream_16_pred(ptr, valid) : ptx::ldg_stream_16_pred(ptr, valid);
  };
#pragma unroll
  for (int r = 0; r < T::kR; ++r) {
    const bool v = active && ((c.col_ok >> r) & 1u);
    st.w[r][0] = load16(c.w[0] + 128 * r, v);
    st.w[r][1] = load16(c.w[1] + 128 * r, v);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const uint32_t scale = kCoherent ? ptx::ld_u16_pred(c.s + 16 * r + 8 * h, v)
                                       : ptx::ldg_u16_pred(c.s + 16 * r + 8 * h, v);
      const uint32_t zero = kCoherent ? ptx::ld_u16_pred(c.z + 16 * r + 8 * h, v && c.has_zeros)
                                      : ptx::ldg_u16_pred(c.z + 16 * r + 8 * h, v && c.has_zeros);
      st.sz[r][h] = ptx::prmt(scale, c.has_zeros ? zero : 0u, 0x5410);
    }
  }
}

// The default programmatic mode's L2 prefetch, issued before
// griddepcontrol.wait while the previous grid drains: the lines that
// load_stage_rp_weights will read for the warp's first `stages` k blocks.
// Not inlined: inlined, its address registers moved ptxas's schedule of the
// hot loop (a load drained 25 instructions after issue).
// Two blocks: one block per warp gained less and four lost at M = 1 (H100,
// bench/results/2026-11-28-h100-l2-prefetch/), where the prefetches of the
// CTAs that start after the previous grid has ended compete with the loads.
inline constexpr int kL2PrefetchBlocks = 2;

template <class T>
__device__ __noinline__ void prefetch_stages_rp_weights(const LoadCursorRp<T> c, int stages) {
#pragma unroll 1
  for (int s = 0; s < stages; ++s) {
    const size_t w_off = s * c.w_step;
    const size_t sz_off = static_cast<size_t>(s) * c.sz_step;
#pragma unroll
    for (int r = 0; r < T::kR; ++r) {
      if (((c.col_ok >> r) & 1u) == 0) continue;
      ptx::prefetch_l2(c.w[0] + w_off + 128 * r);
      ptx::prefetch_l2(c.w[1] + w_off + 128 * r);
      ptx::prefetch_l2(c.s + sz_off + 16 * r);
      if (c.has_zeros) ptx::prefetch_l2(c.z + sz_off + 16 * r);
    }
  }
}

template <class T>
__device__ __forceinline__ void load_stage_rp_x(Stage<T>& st, const LoadCursorRp<T>& c, bool active) {
  constexpr int kJ = 16 * LoadCursorRp<T>::kTileOfJ;  // k from chunk 0's tile to chunk 1's
#pragma unroll
  for (int mt = 0; mt < T::kMT; ++mt) {
    st.x[mt][0] = ptx::ld_act_16_pred(c.x[mt], active);
    st.x[mt][1] = ptx::ld_act_16_pred(c.x[mt] + 8, active);
    st.x[mt][2] = ptx::ld_act_16_pred(c.x[mt] + kJ, active);
    st.x[mt][3] = ptx::ld_act_16_pred(c.x[mt] + kJ + 8, active);
  }
}

template <class T>
__device__ __forceinline__ void load_stage_rp(Stage<T>& st, LoadCursorRp<T>& c, bool active) {
  static_assert(T::kXInStage, "packed decode keeps the activations in the stage");
  load_stage_rp_weights<T>(st, c, active);
  load_stage_rp_x<T>(st, c, active);
  c.advance();
}

// The K tail's block: every load zero-filled, so that a k tile at or past K
// adds exactly 0 (zero activations; zero scale and zero point, which turn
// whatever codes the weight registers hold into 0).
template <class T>
__device__ __forceinline__ void load_stage_rp_tail(Stage<T>& st, const GemmParams& p, const LoadCursorRp<T>& c) {
  constexpr int kJ = 16 * LoadCursorRp<T>::kTileOfJ;
  const bool kv0 = c.k < p.K;
  const bool kv1 = c.k + kJ < p.K;
#pragma unroll
  for (int r = 0; r < T::kR; ++r) {
    const bool ok = (c.col_ok >> r) & 1u;
    st.w[r][0] = ptx::ldg_stream_16(c.w[0] + 128 * r, kv0 && ok);
    st.w[r][1] = ptx::ldg_stream_16(c.w[1] + 128 * r, kv1 && ok);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const bool v = kv0 && ok;
      const uint32_t scale = v ? __ldg(c.s + 16 * r + 8 * h) : 0u;
      const uint32_t zero = (v && c.has_zeros) ? __ldg(c.z + 16 * r + 8 * h) : 0u;
      st.sz[r][h] = scale | (zero << 16);
    }
  }
#pragma unroll
  for (int mt = 0; mt < T::kMT; ++mt) {
    st.x[mt][0] = ptx::ld_act_16(c.x[mt], kv0);
    st.x[mt][1] = ptx::ld_act_16(c.x[mt] + 8, kv0);
    st.x[mt][2] = ptx::ld_act_16(c.x[mt] + kJ, kv1);
    st.x[mt][3] = ptx::ld_act_16(c.x[mt] + kJ + 8, kv1);
  }
}

// Nibble pair `pair` of a packed weight word (bits 4 pair and 16 + 4 pair)
// as bf16x2 bf16_rn(s q + z), bit-identical to the reference: (nibble ^ 8) |
// 0x4300 is bf16 128 + q + 8 (one lop3), one fma gives q exactly, one
// fma(q, s, z) rounds once.
__device__ __forceinline__ uint32_t dequant_pair(uint32_t word, int pair, uint32_t s2, uint32_t z2) {
  constexpr uint32_t kOne2 = 0x3F803F80u;        // bf16x2 (1, 1)
  constexpr uint32_t kMinus136x2 = 0xC308C308u;  // bf16x2 (-136, -136)
  const uint32_t biased = ptx::and_xor(word >> (4 * pair), 0x000F000Fu, 0x43084308u);  // 128 + q + 8
  const uint32_t q = ptx::fma_bf16x2(biased, kOne2, kMinus136x2);
  return ptx::fma_bf16x2(q, s2, z2);
}

// One k block of packed weights, two MMA orders (the sum over k does not care
// which physical k an MMA's logical k stands for, as long as A and B agree):
//   * M <= 8 (one token block): MMA (j, u, half) takes, per m16 block, the
//     nibble pairs of chunk j's words 2u and 2u + 1 that hold one k half
//     (pairs 2 half, 2 half + 1: rows g and g + 8), so that its logical k
//     (2t, 2t + 1) are word 2u's physical k and (2t + 8, 2t + 9) word
//     2u + 1's: the B operand is words 2u and 2u + 1 of one activation load,
//     an aligned register pair.  The fragment order's own labels (MMA (j, w)
//     = word w, B = words w of two loads) cost two moves per MMA.
//   * 8 < M <= 16 (two token blocks): the fragment order's own labels.  The
//     first order made these tiles 6% slower at 4096^2 M = 12 / 16 (8.5 vs
//     8.0 us, ninth session): it needs 191 registers where this one takes
//     254, and the compiler schedules the leaner code with less overlap.
template <class T>
__device__ __forceinline__ void compute_stage_rp(const Stage<T>& st, float (&acc)[T::kR][T::kMT][4]) {
  uint32_t s2[T::kR][2], z2[T::kR][2];
  split_group_params<T>(st, s2, z2);
#pragma unroll
  for (int j = 0; j < 2; ++j) {
    if constexpr (T::kMT == 1) {
#pragma unroll
      for (int u = 0; u < 2; ++u) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          uint32_t a[T::kR][4];
#pragma unroll
          for (int r = 0; r < T::kR; ++r)
#pragma unroll
            for (int e = 0; e < 4; ++e)  // (row g, k), (row g+8, k), (row g, k'), (row g+8, k')
              a[r][e] = dequant_pair(word_of(st.w[r][j], 2 * u + (e >> 1)), 2 * half + (e & 1), s2[r][e & 1],
                                     z2[r][e & 1]);
          const uint4& xv = st.x[0][2 * j + half];
          const uint32_t b0 = u == 0 ? xv.x : xv.z;
          const uint32_t b1 = u == 0 ? xv.y : xv.w;
#pragma unroll
          for (int r = 0; r < T::kR; ++r) ptx::mma_bf16_16816(acc[r][0], a[r], b0, b1);
        }
      }
    } else {
#pragma unroll
      for (int w = 0; w < 4; ++w) {
        uint32_t a[T::kR][4];
#pragma unroll
        for (int r = 0; r < T::kR; ++r)
#pragma unroll
          for (int i = 0; i < 4; ++i)  // (row g, k), (row g+8, k), (row g, k+8), (row g+8, k+8)
            a[r][i] = dequant_pair(word_of(st.w[r][j], w), i, s2[r][i & 1], z2[r][i & 1]);
#pragma unroll
        for (int mt = 0; mt < T::kMT; ++mt) {
          const uint32_t b0 = word_of(st.x[mt][2 * j], w);
          const uint32_t b1 = word_of(st.x[mt][2 * j + 1], w);
#pragma unroll
          for (int r = 0; r < T::kR; ++r) ptx::mma_bf16_16816(acc[r][mt], a[r], b0, b1);
        }
      }
    }
  }
}

// y[token, n] = alpha * v + beta * y (beta != 0 only).
__device__ __forceinline__ void store_one(const GemmParams& p, int token, int n, float v) {
  if (token >= p.M || n >= p.N) return;
  __nv_bfloat16* y = reinterpret_cast<__nv_bfloat16*>(p.y) + static_cast<size_t>(token) * p.N + n;
  float o = p.alpha * v;
  if (p.beta != 0.0f) o += p.beta * __bfloat162float(*y);
  *y = __float2bfloat16_rn(o);
}

__device__ __forceinline__ void store_partial_one(const GemmParams& p, int split, int token, int n, float v) {
  if (token >= p.M || n >= p.N) return;
  p.partials[(static_cast<size_t>(split) * p.M + token) * p.N + n] = v;
}

// Calls f(token, n, v) for each output the lane holds in the packed kernel:
// per (r, mt), c0 = (row g, token 2t), c1 = (g, 2t+1), c2 = (g+8, 2t), c3 = (g+8, 2t+1).
template <class T, class F>
__device__ __forceinline__ void for_each_output_rp(const WarpPos& wp, const float (&acc)[T::kR][T::kMT][4], F&& f) {
#pragma unroll
  for (int r = 0; r < T::kR; ++r)
#pragma unroll
    for (int mt = 0; mt < T::kMT; ++mt) {
      const int n = wp.n_warp + 16 * r + wp.g;
      const int token = wp.m0 + mt * 8 + 2 * wp.t;
#pragma unroll
      for (int e = 0; e < 4; ++e) f(token + (e & 1), n + 8 * (e >> 1), acc[r][mt][e]);
    }
}

// y[token, n], y[token, n+1] = alpha * (v0, v1) + beta * y (beta != 0 only).
__device__ __forceinline__ void store_pair(const GemmParams& p, int token, int n, float v0, float v1) {
  if (token >= p.M || n >= p.N) return;
  __nv_bfloat16* y = reinterpret_cast<__nv_bfloat16*>(p.y) + static_cast<size_t>(token) * p.N + n;
  float o0 = p.alpha * v0, o1 = p.alpha * v1;
  const bool two = n + 1 < p.N;
  if (two && (p.N & 1) == 0) {
    __nv_bfloat162* y2 = reinterpret_cast<__nv_bfloat162*>(y);
    if (p.beta != 0.0f) {
      const float2 old = __bfloat1622float2(*y2);
      o0 += p.beta * old.x;
      o1 += p.beta * old.y;
    }
    *y2 = __floats2bfloat162_rn(o0, o1);
    return;
  }
  if (p.beta != 0.0f) o0 += p.beta * __bfloat162float(y[0]);
  y[0] = __float2bfloat16_rn(o0);
  if (two) {
    if (p.beta != 0.0f) o1 += p.beta * __bfloat162float(y[1]);
    y[1] = __float2bfloat16_rn(o1);
  }
}

__device__ __forceinline__ void store_partial_pair(const GemmParams& p, int split, int token, int n, float v0,
                                                   float v1) {
  if (token >= p.M || n >= p.N) return;
  float* dst = p.partials + (static_cast<size_t>(split) * p.M + token) * p.N + n;
  if (n + 1 < p.N && (p.N & 1) == 0) {
    *reinterpret_cast<float2*>(dst) = make_float2(v0, v1);
  } else {
    dst[0] = v0;
    if (n + 1 < p.N) dst[1] = v1;
  }
}

// Calls f(token, n, v(token, n), v(token, n + 1)) for each pair of adjacent
// outputs the lane holds.  Lane (g, t) has, per (r, mt): c0 = (col 2g, token
// 2t), c1 = (2g, 2t+1), c2 = (2g+1, 2t), c3 = (2g+1, 2t+1).
template <class T, class F>
__device__ __forceinline__ void for_each_output_pair(const WarpPos& wp, const float (&acc)[T::kR][T::kMT][4], F&& f) {
#pragma unroll
  for (int r = 0; r < T::kR; ++r)
#pragma unroll
    for (int mt = 0; mt < T::kMT; ++mt) {
      const int n = wp.n_warp + 16 * r + 2 * wp.g;
      const int token = wp.m0 + mt * 8 + 2 * wp.t;
      f(token, n, acc[r][mt][0], acc[r][mt][2]);
      f(token + 1, n, acc[r][mt][1], acc[r][mt][3]);
    }
}

}  // namespace dec

template <class T>
__global__ void __launch_bounds__(T::kThreads, T::kMinBlocks) sm80_dec_gemm_kernel(const GemmParams p) {
  __shared__ float red[T::kRedFloats > 0 ? T::kRedFloats : 1];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int wk = warp / T::kWarpsN;
  const int wn = warp % T::kWarpsN;
  const int n_cta = blockIdx.x * T::BN;
  const int split = blockIdx.y;
  dec::WarpPos wp;
  wp.n_warp = n_cta + wn * 16 * T::kR;
  wp.m0 = blockIdx.z * T::BM;
  wp.g = lane >> 2;
  wp.t = lane & 3;

  const int k_blocks = (p.K + T::BK - 1) / T::BK;
  const int kb_begin = static_cast<int>(static_cast<int64_t>(k_blocks) * split / p.split_k);
  const int kb_end = static_cast<int>(static_cast<int64_t>(k_blocks) * (split + 1) / p.split_k);
  const int span = kb_end - kb_begin;
  const int my_blocks = span > wk ? (span - wk + T::kWarpsK - 1) / T::kWarpsK : 0;

  W4A16_DEC_MARK_STATE;
  W4A16_DEC_MARK(0, 0u);
  float acc[T::kR][T::kMT][4];
  zero_accumulators(acc);

  // Register ring of STAGES k blocks: block i lives in stage i % STAGES, and
  // the unrolled inner loop keeps every stage index a compile-time constant.
  dec::Stage<T> st[T::kStages];
  std::conditional_t<T::kReordered, dec::LoadCursorRp<T>, dec::LoadCursor<T>> cursor;
  const auto load = [&](dec::Stage<T>& stage, bool active) {
    if constexpr (T::kReordered)
      dec::load_stage_rp<T>(stage, cursor, active);
    else
      dec::load_stage<T>(stage, p, cursor, active);
  };
  // Packed weights: a last k block partly past K is not part of the hot loop
  // (its loads would need zero fills); the warp that owns it takes it after
  // the loop.  The canonical loader zero-fills and needs no such split.
  bool owns_tail = false;
  if constexpr (T::kReordered)
    owns_tail = (p.K % T::BK) != 0 && kb_end == k_blocks && my_blocks > 0 &&
                kb_begin + wk + T::kWarpsK * (my_blocks - 1) == k_blocks - 1;
  const int loop_blocks = my_blocks - (owns_tail ? 1 : 0);

  // Programmatic dependent launch (GemmParams::programmatic): the next grid
  // in the stream may be scheduled now, its CTAs filling SMs as ours leave.
  // The packed kernels' default mode waits for the previous grid here,
  // before any global access, their overlap mode after the first weight
  // loads; the canonical kernels wait first in every mode (below).
  // Refill ahead (see the header): the prologue fills one stage, the loop
  // the other one ahead of each use.
  constexpr bool kRefillAhead = T::kReordered && T::kStages == 2;
  // The canonical two-stage kernels refill ahead too, their loads anchored
  // to the block in use by a data dependency (load_stage's dep).
  constexpr bool kCanonRefillAhead = !T::kReordered && T::kStages == 2;
  constexpr int kPrologueStages = kRefillAhead ? 1 : T::kStages;
  ptx::launch_dependent_grids();
  if constexpr (T::kReordered) {
    // The default mode with the L2 prefetch (M <= 8 tiles): the warp's
    // first kL2PrefetchBlocks k blocks are asked of L2 before the wait, so
    // that on an SM the previous grid has left their DRAM reads overlap its
    // tail (measured: docs/perf-notes.md, twenty-second session).
    if (p.programmatic == kProgrammaticWaitFirstPrefetch) {
      if constexpr (T::BM == 8) {
        // A cursor of its own, set up again below: setting up `cursor` here,
        // before the wait, moved the 3-stage tile's hot-loop schedule (a
        // second short wait per trip, ctest decode_loop_sass).
        dec::LoadCursorRp<T> c;
        c.init(p, wp, kb_begin + wk);
        dec::prefetch_stages_rp_weights<T>(c, min(dec::kL2PrefetchBlocks, loop_blocks));
      }
      ptx::grid_dependency_wait();
    }
    if (p.programmatic == kProgrammaticWaitFirst) ptx::grid_dependency_wait();
  }
  cursor.init(p, wp, kb_begin + wk);
  if constexpr (T::kReordered) {
    // Overlap mode: the first stages' weights and group params are read
    // before griddepcontrol.wait (the caller promises no earlier kernel
    // writes them), so that their DRAM latency overlaps the previous
    // kernel's tail; the activations (maybe the previous kernel's output)
    // after it.  The wait sits behind a branch: in one basic block ptxas
    // schedules it (ACQBULK) ahead of the loads, which then issue only after
    // the previous kernel has ended.  These loads are coherent: ptxas moves
    // .nc loads across the wait, below it in this mode and above the
    // default mode's wait at the top (SASS of decr_m8n16k128s3w8,
    // docs/kernels.md "Overlapping the previous kernel"; ctest
    // decode_wait_sass).
#pragma unroll
    for (int s = 0; s < kPrologueStages; ++s) {
      dec::load_stage_rp_weights<T, true>(st[s], cursor, s < loop_blocks);
      cursor.advance_weights();
    }
    if (p.programmatic == kProgrammaticOverlap) ptx::grid_dependency_wait();
#pragma unroll
    for (int s = 0; s < kPrologueStages; ++s) {
      dec::load_stage_rp_x<T>(st[s], cursor, s < loop_blocks);
      cursor.advance_x();
    }
  } else {
    // The canonical kernels wait first in every mode: their prologue split
    // around a wait, as above, moved the hot loop's scoreboard waits
    // (load_stage's kCoherent).  Without a programmatic launch
    // griddepcontrol.wait returns at once.
    ptx::grid_dependency_wait();
#pragma unroll
    for (int s = 0; s < (kCanonRefillAhead ? 1 : T::kStages); ++s) {
#pragma unroll
      for (int r = 0; r < T::kR; ++r) st[s].w[r][0] = st[s].w[r][1] = make_uint4(0, 0, 0, 0);
      dec::load_stage<T, true>(st[s], p, cursor, s < loop_blocks);
    }
    if constexpr (kCanonRefillAhead) {
#pragma unroll
      for (int r = 0; r < T::kR; ++r) st[1].w[r][0] = st[1].w[r][1] = make_uint4(0, 0, 0, 0);
    }
  }
  W4A16_DEC_MARK(1, st[0].w[0][0].x);
  if constexpr (kCanonRefillAhead) {
    // Block i in st[i % 2]: block i + 1's loads, anchored to block i's first
    // weight word (p.M >= 1, so M >> 31 is 0 at run time; ptxas cannot know
    // it), then block i's compute.
    const uint32_t m_zero = static_cast<uint32_t>(p.M) >> 31;
    for (int i = 0; i < loop_blocks; i += 2) {
      dec::load_stage<T>(st[1], p, cursor, i + 1 < loop_blocks, st[0].w[0][0].x & m_zero);
      dec::compute_stage<T>(st[0], p, wp, kb_begin + wk + T::kWarpsK * i, acc);
      if (i + 1 < loop_blocks) {
        dec::load_stage<T>(st[0], p, cursor, i + 2 < loop_blocks, st[1].w[0][0].x & m_zero);
        dec::compute_stage<T>(st[1], p, wp, kb_begin + wk + T::kWarpsK * (i + 1), acc);
      }
    }
  } else if constexpr (kRefillAhead) {
    // Block i is in st[i % 2]; block i + 1 is loaded before block i is used.
    for (int i = 0; i < loop_blocks; i += 2) {
      load(st[1], i + 1 < loop_blocks);
      dec::compute_stage_rp<T>(st[0], acc);
      if (i + 1 < loop_blocks) {
        load(st[0], i + 2 < loop_blocks);
        dec::compute_stage_rp<T>(st[1], acc);
      }
    }
  } else {
    // Refill after use: block i is in st[i % STAGES], reloaded with block
    // i + STAGES once used.
    for (int i = 0; i < loop_blocks; i += T::kStages) {
#pragma unroll
      for (int s = 0; s < T::kStages; ++s) {
        if (i + s < loop_blocks) {
          if constexpr (T::kReordered)
            dec::compute_stage_rp<T>(st[s], acc);
          else
            dec::compute_stage<T>(st[s], p, wp, kb_begin + wk + T::kWarpsK * (i + s), acc);
          load(st[s], i + s + T::kStages < loop_blocks);
        }
      }
    }
  }
  if constexpr (T::kReordered) {
    if (owns_tail) {
      cursor.init(p, wp, k_blocks - 1);
      dec::load_stage_rp_tail<T>(st[0], p, cursor);
      dec::compute_stage_rp<T>(st[0], acc);
    }
  }

  W4A16_DEC_MARK(2, __float_as_uint(acc[0][0][0]));
  // Warps along K -> warp wk = 0, added in wk order (deterministic).
  if constexpr (T::kWarpsK > 1) {
    constexpr int kPerWarp = T::kR * T::kMT * 4 * 32;
    if (wk > 0) {
      float* dst = red + ((wk - 1) * T::kWarpsN + wn) * kPerWarp;
#pragma unroll
      for (int r = 0; r < T::kR; ++r)
#pragma unroll
        for (int mt = 0; mt < T::kMT; ++mt)
#pragma unroll
          for (int e = 0; e < 4; ++e) dst[((r * T::kMT + mt) * 4 + e) * 32 + lane] = acc[r][mt][e];
    }
    __syncthreads();
    if (wk == 0) {
      for (int j = 1; j < T::kWarpsK; ++j) {
        const float* src = red + ((j - 1) * T::kWarpsN + wn) * kPerWarp;
#pragma unroll
        for (int r = 0; r < T::kR; ++r)
#pragma unroll
          for (int mt = 0; mt < T::kMT; ++mt)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[r][mt][e] += src[((r * T::kMT + mt) * 4 + e) * 32 + lane];
      }
    }
  }

  W4A16_DEC_MARK(3, __float_as_uint(acc[0][0][0]));
  if (p.split_k == 1) {
    if (wk == 0) {
      if constexpr (T::kReordered)
        dec::for_each_output_rp<T>(wp, acc, [&](int token, int n, float v) { dec::store_one(p, token, n, v); });
      else
        dec::for_each_output_pair<T>(wp, acc, [&](int token, int n, float v0, float v1) {
          dec::store_pair(p, token, n, v0, v1);
        });
    }
    return;
  }

  if (wk == 0) {
    if constexpr (T::kReordered)
      dec::for_each_output_rp<T>(wp, acc,
                                 [&](int token, int n, float v) { dec::store_partial_one(p, split, token, n, v); });
    else
      dec::for_each_output_pair<T>(wp, acc, [&](int token, int n, float v0, float v1) {
        dec::store_partial_pair(p, split, token, n, v0, v1);
      });
  }
}

// Host side: grid from the same constants as __launch_bounds__.  With
// split_k > 1 the kernel writes the partials only; sm80_mma_gemm launches
// splitk_reduce after it.
template <class T>
cudaError_t launch_sm80_dec_gemm_as(const GemmParams& p, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((p.N + T::BN - 1) / T::BN), static_cast<unsigned>(p.split_k),
                  static_cast<unsigned>((p.M + T::BM - 1) / T::BM));
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = dim3(T::kThreads);
  config.stream = stream;
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  // The partials (split_k > 1) are written after griddepcontrol.wait, so a
  // previous call's reduction still reading them has finished by then.
  if (p.programmatic != 0) {
    config.attrs = &attribute;
    config.numAttrs = 1;
  }
  return cudaLaunchKernelEx(&config, sm80_dec_gemm_kernel<T>, p);
}

// Packed weights with groups shorter than the 128-deep k block (g = 64; the
// pack takes no g below 64) run the half-groups instantiation.
template <class T>
cudaError_t launch_sm80_dec_gemm(const GemmParams& p, cudaStream_t stream) {
  if constexpr (T::kReordered) {
    if (p.groups_per_row > 1 && p.group_size < T::BK) {
      if (p.group_size != T::BK / 2) return cudaErrorInvalidValue;
      using H = Sm80DecTile<T::BM, T::BN, T::kWarpsK, T::kWarpsN, T::kStages, T::kMinBlocks, true, true>;
      return launch_sm80_dec_gemm_as<H>(p, stream);
    }
  }
  return launch_sm80_dec_gemm_as<T>(p, stream);
}

}  // namespace w4a16::kernels
