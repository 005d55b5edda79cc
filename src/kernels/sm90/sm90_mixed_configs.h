// The Hopper (sm_90a) W4A16 GEMM configurations, written once: this list
// drives the generated translation units (src/CMakeLists.txt, one per row),
// the launcher table (sm90_mixed_gemm.cpp), the dispatcher and the tests.
//
//   X(name, SCHEDULE, TILE_N, TILE_M, TILE_K, CLUSTER_N, SCHEDULER, WEIGHTS)
//   SCHEDULE : coop = KernelTmaWarpSpecializedCooperative (2 consumer
//              warpgroups along the weight rows; TILE_N >= 128),
//              pp   = KernelTmaWarpSpecializedPingpong (TILE_N == 64)
//   TILE_N   : output columns (weight rows, the WGMMA's M: the int4 weights
//              are the register-sourced A operand, converted in registers)
//   TILE_M   : tokens (activation rows, the WGMMA's N: small tiles for mid M)
//   TILE_K   : k depth of a stage; the group size must be a multiple of it
//              (or equal K), so 64 keeps g = 64 (docs/cutlass-mixed-input.md)
//   CLUSTER_N: CTAs per cluster along the weight rows; > 1 multicasts the
//              shared activation tile to them (TMA multicast).  Kept small:
//              NVIDIA/cutlass#2176 reports wrong results with 8x1x1 in 4.x.
//   SCHEDULER: persistent = CUTLASS's data-parallel persistent tiles (no
//              workspace); streamk = stream-K (K ranges of tiles spread over
//              the SMs where the wave quantizes badly; deterministic
//              reduction through a workspace zeroed by an async memset);
//              kslices = K cut into S equal slices run as a batch of S
//              GEMMs (L = S) that write fp32 partials to the workspace, then
//              the shared deterministic split-K reduction (splitk_reduce.cu)
//              applies alpha, beta and the one rounding to bf16.  Stream-K's
//              in-kernel fixup serializes its K ranges (about 1.9 us per
//              range on H100, bench/results/2026-11-26-h100-kslices/); the
//              slices here never wait on each other.  S from the dispatcher
//              (S * g divides K, g < K)
//   WEIGHTS  : canonical = the mainloop reads our [N, K/2] bytes as they are
//              (each thread gathers its WGMMA A fragment with 8-bit shared
//              loads); reordered = the forward first copies the weights into
//              the workspace in the WGMMA-fragment order of
//              docs/sm90-weight-reorder.md (one 32-bit shared load per
//              thread per 16-deep k step, nibbles in the order the
//              int4 -> bf16 bit trick wants), at the cost of one read and
//              one write of the weights per call
//
// Default set, each measured over M = 16..8192 on H100
// (bench/results/2026-11-25-h100-issue4-sweep{1,2}) and tested on tile edges:
// the dispatcher (src/dispatch/dispatch.cpp, choose_sm90) picks 128x64,
// 128x128, 128x256, stream-K (128x64, 128x128, 128x256; the 128x64 and
// 128x256 ones measured 2026-11-26 on M = 24..512) and ping-pong where each
// measured fastest; the
// 2-CTA cluster and the `_rp` copies never lost by more than a few percent
// where they were not the fastest and won nowhere by more than 3% with
// canonical weights (the per-call reorder eats their gain), so there they
// are autotune candidates and W4A16_FORCE_CONFIG targets only.  With packed
// weights (w4a16PackWeights) the `_rp` rows are what runs: plan_packed takes
// the `_rp` twin of each dispatched configuration (hence the two stream-K
// `_rp` rows), 10-30% faster at M = 24..512 than the canonical path
// (bench/results/2026-11-26-h100-packed-final-511cd65/).  The 32-token
// rows serve packed M = 17..64 where the 64-token tiles waste half their
// MMAs (bench/results/2026-11-26-h100-packed-sweep/sweep3-32-token-tiles.log).
// The `_ks_rp` rows (K slices, packed weights' dispatch where tiles are few:
// M = 9..512, bench/results/2026-11-26-h100-kslices/) were 10-50% faster than
// stream-K, ping-pong and the decode kernels there; the 256-row ones move the
// weights at about 2.4 TB/s per wave against 1.6 for 128 rows and serve
// M = 9..64 on large weights (N * K >= 2^25; 256x64 from 2^27).  The
// 192-token rows serve packed M = 129..192 and 257..384, where they pad M
// less than 256-token tiles and dequantize the weights fewer times than
// 128-token ones: 3-36% faster than the 128/256-token plans at M = 136..384
// on six LLM layers (bench/results/2026-11-27-h100-mid-m-tiles/).  A
// 160-token tile measured slower than the 192-token one even where it
// computes fewer rows and is not in the set.  The 128-deep
// 128x64 row serves packed 32 < M <= 64 where the persistent 128x64 tile
// runs (g a multiple of 128): 3-8% faster than its 64-deep twin on six
// layers at M = 48 / 64 (bench/results/2026-11-27-h200-k128-mid-m/, an
// H200); 128-deep 256x32 K slices (up to 7% slower at M = 24 / 32) and
// 128x128 tiles (up to 14% slower at M = 96 / 128) were measured there and
// are not in the set.  The canonical 128x192 row (twenty-fourth session)
// serves canonical weights at 128 < M <= 512 where 192-token tiles pad M
// less and fill more than half the SMs, and M > 512 where the cost model
// (dispatch.cpp, cheapest_large_m_tiling) finds it cheapest: 0.65-0.79x
// cuBLAS against 0.57-0.75x for 128x256 at M = 576..768 on 4096-wide
// layers (H200, bench/results/2026-11-28-h200-session24/call5-canonical-192/).
// TILE_N stays <= 256: see sm90_mixed_gemm.cuh.
#pragma once

#define W4A16_SM90_MIXED_CONFIGS(X)                                                 \
  X(sm90_coop_n128m128k64, coop, 128, 128, 64, 1, persistent, canonical)            \
  X(sm90_coop_n128m64k64, coop, 128, 64, 64, 1, persistent, canonical)              \
  X(sm90_pp_n64m128k64, pp, 64, 128, 64, 1, persistent, canonical)                  \
  X(sm90_coop_n128m128k64_sk, coop, 128, 128, 64, 1, streamk, canonical)            \
  X(sm90_coop_n128m128k64_c2, coop, 128, 128, 64, 2, persistent, canonical)         \
  X(sm90_coop_n128m256k64, coop, 128, 256, 64, 1, persistent, canonical)            \
  X(sm90_coop_n128m64k64_rp, coop, 128, 64, 64, 1, persistent, reordered)           \
  X(sm90_coop_n128m128k64_rp, coop, 128, 128, 64, 1, persistent, reordered)         \
  X(sm90_coop_n128m256k64_rp, coop, 128, 256, 64, 1, persistent, reordered)         \
  X(sm90_pp_n64m128k64_rp, pp, 64, 128, 64, 1, persistent, reordered)               \
  X(sm90_coop_n128m128k64_sk_rp, coop, 128, 128, 64, 1, streamk, reordered)       \
  X(sm90_coop_n128m256k64_sk, coop, 128, 256, 64, 1, streamk, canonical)           \
  X(sm90_coop_n128m64k64_sk, coop, 128, 64, 64, 1, streamk, canonical)            \
  X(sm90_coop_n128m64k64_sk_rp, coop, 128, 64, 64, 1, streamk, reordered)          \
  X(sm90_coop_n128m256k64_sk_rp, coop, 128, 256, 64, 1, streamk, reordered)        \
  X(sm90_pp_n64m32k64_rp, pp, 64, 32, 64, 1, persistent, reordered)                 \
  X(sm90_coop_n128m32k64_rp, coop, 128, 32, 64, 1, persistent, reordered)           \
  X(sm90_coop_n128m32k64_sk_rp, coop, 128, 32, 64, 1, streamk, reordered)        \
  X(sm90_coop_n128m32k64_ks_rp, coop, 128, 32, 64, 1, kslices, reordered)        \
  X(sm90_coop_n128m64k64_ks_rp, coop, 128, 64, 64, 1, kslices, reordered)        \
  X(sm90_coop_n128m128k64_ks_rp, coop, 128, 128, 64, 1, kslices, reordered)      \
  X(sm90_coop_n128m256k64_ks_rp, coop, 128, 256, 64, 1, kslices, reordered)      \
  X(sm90_coop_n256m32k64_ks_rp, coop, 256, 32, 64, 1, kslices, reordered)       \
  X(sm90_coop_n256m64k64_ks_rp, coop, 256, 64, 64, 1, kslices, reordered)       \
  X(sm90_coop_n128m192k64_rp, coop, 128, 192, 64, 1, persistent, reordered)        \
  X(sm90_coop_n128m192k64_ks_rp, coop, 128, 192, 64, 1, kslices, reordered)     \
  X(sm90_coop_n128m64k128_rp, coop, 128, 64, 128, 1, persistent, reordered)         \
  X(sm90_coop_n128m192k64, coop, 128, 192, 64, 1, persistent, canonical)

namespace w4a16::kernels {

enum class Sm90Schedule : int { coop, pp };
enum class Sm90Scheduler : int { persistent, streamk, kslices };
enum class Sm90Weights : int { canonical, reordered };

struct Sm90MixedConfig {
  const char* name;
  Sm90Schedule schedule;
  int tile_n, tile_m, tile_k;
  int cluster_n;
  Sm90Scheduler scheduler;
  Sm90Weights weights;
};

enum class Sm90MixedConfigId : int {
#define W4A16_X(name, ...) name,
  W4A16_SM90_MIXED_CONFIGS(W4A16_X)
#undef W4A16_X
  kCount
};

inline constexpr Sm90MixedConfig kSm90MixedConfigs[] = {
#define W4A16_X(name, sched, tn, tm, tk, cn, sk, wl) \
  {#name, Sm90Schedule::sched, tn, tm, tk, cn, Sm90Scheduler::sk, Sm90Weights::wl},
    W4A16_SM90_MIXED_CONFIGS(W4A16_X)
#undef W4A16_X
};

}  // namespace w4a16::kernels
