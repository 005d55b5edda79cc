#include "dispatch/dispatch.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kernels/sm90/sm90_mixed_gemm.h"

namespace w4a16::dispatch {
namespace {

using kernels::kSm80MmaConfigs;
using kernels::Sm80MmaConfig;
using kernels::Sm80MmaConfigId;

const Sm80MmaConfig& config_of(Sm80MmaConfigId id) { return kSm80MmaConfigs[static_cast<int>(id)]; }

int ceil_div(long long a, long long b) { return static_cast<int>((a + b - 1) / b); }

// Split-K limits.  Cap 16: the reduction reads every partial once, and past
// that the extra CTAs no longer pay for it.  >= 4 k-tiles per split, so the
// cp.async pipeline has something to overlap.  Partial traffic (split * M * N
// fp32, written and read back) at most the packed weight bytes (N * K / 2),
// split <= K / (16 M), except that a split of 2 is always allowed: at large M
// the GEMM is compute-bound and doubling the CTAs of a half-empty GPU pays
// for the extra traffic.
constexpr int kMaxSplitK = 16;
constexpr int kMinKTilesPerSplit = 4;

int choose_split(const Problem& p, const Sm80MmaConfig& c, const Device& d, std::string* why) {
  const int tiles = ceil_div(p.M, c.bm) * ceil_div(p.N, c.bn);
  const int k_tiles = ceil_div(p.K, c.bk);
  const int resident = d.sm_count * c.min_blocks;  // CTAs the GPU runs at once
  int split = 1;
  if (tiles * 2 <= resident) {
    // Less than half a wave: split K, but never past one full wave.
    const int fill = resident / tiles;
    const int depth = std::max(1, k_tiles / kMinKTilesPerSplit);
    const int traffic = std::max(2, static_cast<int>(static_cast<long long>(p.K) / (16LL * p.M)));
    split = std::max(1, std::min({fill, depth, traffic, kMaxSplitK}));
  }
  char buf[200];
  std::snprintf(buf, sizeof buf, "; %d tiles, %d k-tiles, %d SMs x %d resident -> split_k=%d", tiles, k_tiles,
                d.sm_count, c.min_blocks, split);
  *why += buf;
  return split;
}

// Split-K of the decode kernels.  A CTA of the decode kernel holds its whole
// pipeline in flight at once, so short CTAs are latency-bound and a split
// that shortens them costs more than the waves it balances (2026-11-25, M =
// 1, N = 14336, K = 4096: 22.8 us unsplit vs 38.7 us at split 2).  Refitted
// in the eleventh session, after the split-K reduction became a separate
// programmatic kernel (2.5 us cheaper), on the packed tiles forced to split
// 1 / 2 / 4 / 8 (bench/results/2026-11-26-h100-decs/splits-d1d75eb/): split
// only where the tiles fill at most a quarter of the resident CTAs, into at
// most 4 ranges of at least one k block per warp.  1 x 512 / 1024 x 4096
// (32 / 64 tiles of 16 columns): 3.9 / 4.5 us at split 4 against 4.4 / 4.8
// at the old rule's 2 (split 8: 4.2 / 6.3); 16 x 1024 x 4096 5.6 against
// 6.4; 1 x 1024 x 8192 / 14336 split 4 as before.  At 128 tiles (N = 2048)
// no split: 1 x 2048 x 4096 5.3 us against 5.9 at split 2, 16 x 2048 x 4096
// 7.2 against 7.8.
int choose_dec_split(const Problem& p, const Sm80MmaConfig& c, const Device& d, std::string* why) {
  constexpr int kMaxDecodeSplit = 4;
  const long long tiles = static_cast<long long>(ceil_div(p.M, c.bm)) * ceil_div(p.N, c.bn);
  const int k_blocks = ceil_div(p.K, c.bk);
  const long long resident = static_cast<long long>(d.sm_count) * c.min_blocks;
  int split = 1;
  if (tiles * 4 <= resident) {
    const long long fill = resident / tiles;
    const int depth = std::max(1, k_blocks / c.warps_m);
    split = static_cast<int>(std::max(1LL, std::min<long long>({fill, depth, kMaxDecodeSplit})));
  }
  char buf[200];
  std::snprintf(buf, sizeof buf, "; %lld tiles, %d k-blocks, %d SMs x %d resident -> split_k=%d", tiles, k_blocks,
                d.sm_count, c.min_blocks, split);
  *why += buf;
  return split;
}

int choose_split_for(const Problem& p, const Sm80MmaConfig& c, const Device& d, std::string* why) {
  return kernels::is_decode(c.kind) ? choose_dec_split(p, c, d, why) : choose_split(p, c, d, why);
}

void finish(const Problem& p, GemmPlan* plan) {
  plan->workspace_bytes = 0;
  if (plan->split_k <= 1) return;
  plan->workspace_bytes = static_cast<size_t>(plan->split_k) * static_cast<size_t>(p.M) * p.N * sizeof(float);
}

// The Hopper path keeps the transposed scales and zeros in the workspace,
// each 256-byte aligned (TMA wants 16), and, for reordered-weight
// configurations, the reordered copy of the weights before them.
// Workspace: [reordered weights][transposed scales][transposed zeros][CUTLASS's own, stream-K only].
void finish_sm90(const Problem& p, const Device& d, GemmPlan* plan) {
  const auto align = [](size_t b) { return (b + 255) / 256 * 256; };
  const kernels::Sm90MixedConfig& c = kernels::kSm90MixedConfigs[static_cast<int>(plan->sm90_config)];
  const size_t bytes = static_cast<size_t>(p.K / p.group_size) * p.N * 2;
  plan->split_k = 1;
  plan->weights_reordered = c.weights == kernels::Sm90Weights::reordered;
  plan->reordered_w_offset = 0;
  // The K-slice reduction as a programmatic dependent launch (splitk_reduce.h)
  // except after the 128x128 tile, as measured on H100
  // (bench/results/2026-11-26-h100-pdl/, alternating runs): it saves 0.1-0.7 us
  // after the 32- and 64-token tiles (M <= 64) and about 0.9 us after 128x256
  // at M = 256 on 4096x14336 (45.5-45.9 us against 45.7-47.6), but costs
  // 0.3-0.6 us after 128x128 at M = 96 / 128 on 4096x4096 and 4096x14336.  Why
  // 128x128 differs is not known (its reduction reads 6-8 MB of partials,
  // 128x256's at M = 256 16 MB).  W4A16_PDL=0 turns it off at run time.
  plan->sm90_programmatic_reduce = c.scheduler == kernels::Sm90Scheduler::kslices && c.tile_m != 128;
  if (plan->packed) {
    // The pack holds the reordered weights and the transposed params: only
    // CUTLASS's own stream-K workspace is left.
    plan->scales_t_offset = plan->zeros_t_offset = plan->cutlass_ws_offset = 0;
  } else {
    plan->scales_t_offset = plan->weights_reordered ? align(static_cast<size_t>(p.N) * p.K / 2) : 0;
    plan->zeros_t_offset = plan->scales_t_offset + align(bytes);
    plan->cutlass_ws_offset = plan->zeros_t_offset + align(bytes);
  }
  kernels::Sm90MixedParams sp{};
  sp.M = p.M;
  sp.N = p.N;
  sp.K = p.K;
  sp.group_size = p.group_size;
  sp.sm_count = d.sm_count;
  sp.splits = plan->sm90_splits;
  plan->cutlass_ws_bytes = kernels::sm90_mixed_workspace_size(plan->sm90_config, sp);
  if (plan->packed)
    plan->workspace_bytes = plan->cutlass_ws_bytes;
  else
    plan->workspace_bytes = plan->cutlass_ws_bytes > 0 ? plan->cutlass_ws_offset + plan->cutlass_ws_bytes
                                                       : plan->zeros_t_offset + bytes;
}

// Output tiles of a Hopper configuration: weight rows x tokens.
long long output_tiles(const Problem& p, const kernels::Sm90MixedConfig& c) {
  return static_cast<long long>(ceil_div(p.N, c.tile_n)) * ceil_div(p.M, c.tile_m);
}

}  // namespace

int kslices_for(const Problem& p, const Device& d, const kernels::Sm90MixedConfig& c) {
  if (p.group_size >= p.K) return 1;
  const long long tiles = output_tiles(p, c);
  int best = 1;
  for (int s = 2; s <= kMaxKSlices; ++s) {
    if (tiles * s > d.sm_count || p.K / s < kMinKSliceTiles * c.tile_k) break;
    if (p.K % (s * p.group_size) == 0) best = s;
  }
  return best;
}

std::string sm90_reject_reason(const Problem& p, const Device& d, const kernels::Sm90MixedConfig& c,
                               bool sm90_built) {
  char buf[200];
  if (!sm90_built) return "this build has no sm_90a kernels (90a not in W4A16_CUDA_ARCHS)";
  if (d.arch != 90) {
    std::snprintf(buf, sizeof buf, "needs sm_90 (Hopper), the device is sm_%d", d.arch);
    return buf;
  }
  if (p.N % 8 != 0) {
    std::snprintf(buf, sizeof buf, "N = %d is not a multiple of 8 (TMA rows of scales and output)", p.N);
    return buf;
  }
  if (c.weights == kernels::Sm90Weights::reordered && (p.N % 16 != 0 || p.K % 16 != 0)) {
    std::snprintf(buf, sizeof buf, "reordered weights need N and K multiples of 16 (N = %d, K = %d)", p.N, p.K);
    return buf;
  }
  if (p.group_size != p.K && p.group_size % c.tile_k != 0) {
    std::snprintf(buf, sizeof buf, "group size %d is neither K nor a multiple of the tile's K = %d", p.group_size,
                  c.tile_k);
    return buf;
  }
  return "";
}

namespace {

kernels::Sm90MixedConfigId sm90_id(const char* name) {
  for (int i = 0; i < static_cast<int>(kernels::Sm90MixedConfigId::kCount); ++i) {
    if (std::string(kernels::kSm90MixedConfigs[i].name) == name) return static_cast<kernels::Sm90MixedConfigId>(i);
  }
  return kernels::Sm90MixedConfigId::kCount;
}

// The Hopper tiling for M > 512, where every candidate is
// compute-bound and what separates them is how the output tiles fill the
// SMs: the cheapest estimated cost, in token rows one SM computes times the
// tile's measured cost per row.  A persistent tiling costs whole waves,
// ceil(T / SMs) * tile_m * c; stream-K spreads the last partial wave over the
// SMs at a price, (T / SMs + 0.2) * tile_m * c * 1.08 (its fixups), and is a
// candidate only past one full wave (below it every tile is split:
// 512x4096x4096 ran 0.64x cuBLAS against 0.85x for 128x128).  c per token row
// relative to the 256-token tile: 128 tokens 1.2 (0.78-0.83x cuBLAS where the
// 256-token tile ran 0.97-1.03x in whole waves), 192 tokens 1.02.  Fitted on
// an H200 with the four tilings forced, each row interleaved with cuBLAS:
// 59 points, M = 576..8192 on six layers (4096 to 28672 wide, K 4096 to
// 28672) and the spec shape (bench/results/2026-11-28-h200-session24/); the
// rule's picks, read off those rows, reach 99.7% of the fastest of the four
// on average and are below 95% at one point (1030x4096x4096: stream-K 0.65x
// cuBLAS against 0.69x for the 192-token tiles, whose estimates tie); run
// dispatched against the four forced in one call (call 4), 99.7% on average
// over 55 of the points, 93% at worst.  The old rule's picks (the 128x256
// tile whenever it fills 0.7 of the SMs, else 128x128) read off the same rows
// reach 90.0% on average and are below 95% at 29 of the 59, down to 65%
// (1280x4096x14336: 0.63x against 0.96x for stream-K); at M = 576..768 on
// N = 4096 the 192-token tiles fill one wave of 128 tiles where 256-token
// ones leave 36 SMs idle.
struct LargeMTiling {
  const char* name;
  int tile_m;
  bool streamk;
  double row_cost;
};
constexpr double kStreamKFixupWaves = 0.2;
// Packed weights (the `_rp` tiles).
constexpr LargeMTiling kPackedLargeMTilings[] = {
    {"sm90_coop_n128m256k64_rp", 256, false, 1.0},
    {"sm90_coop_n128m192k64_rp", 192, false, 1.02},
    {"sm90_coop_n128m128k64_rp", 128, false, 1.2},
    {"sm90_coop_n128m256k64_sk_rp", 256, true, 1.08},  // the 256-token tile's 1.0 times its fixups' 1.08
};
// Canonical weights (each thread gathers its fragment with 8-bit shared
// loads, more of them per MMA, so the smaller tiles cost more per row than
// with packed weights): 128 tokens 1.4 (0.64x cuBLAS against 0.90x for
// 256-token tiles at 1024x4096x4096, both two waves of 128 rows), 192 tokens
// 1.22 (the middle of 1.2-1.3, which all pick the fastest or one within 5%).
// Fitted on 38 points, M = 576..4096 on the three 8B-class layers,
// 6144x4096, 28672x8192, 8192x28672 and the spec shape (H200,
// bench/results/2026-11-28-h200-session24/call5-canonical-192/): 99.7% of the
// fastest of the four on average, 96% at worst; without the 192-token tile
// 97.7%, below 95% at 6 (576-768 on N = 4096: 0.65-0.79x against 0.57-0.75x).
constexpr LargeMTiling kCanonicalLargeMTilings[] = {
    {"sm90_coop_n128m256k64", 256, false, 1.0},
    {"sm90_coop_n128m192k64", 192, false, 1.22},
    {"sm90_coop_n128m128k64", 128, false, 1.4},
    {"sm90_coop_n128m256k64_sk", 256, true, 1.08},
};

template <size_t kCount>
const char* cheapest_large_m_tiling(const Problem& p, const Device& d, const LargeMTiling (&tilings)[kCount],
                                    std::string* why) {
  const LargeMTiling* best = nullptr;
  double best_cost = 0;
  std::string costs;
  for (const LargeMTiling& t : tilings) {
    const long long tiles = static_cast<long long>(ceil_div(p.N, 128)) * ceil_div(p.M, t.tile_m);
    if (t.streamk && tiles <= d.sm_count) continue;
    const double waves = t.streamk ? static_cast<double>(tiles) / d.sm_count + kStreamKFixupWaves
                                   : ceil_div(tiles, d.sm_count);
    const double cost = waves * t.tile_m * t.row_cost;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s128x%d%s %lld tiles %.0f", costs.empty() ? "" : ", ", t.tile_m,
                  t.streamk ? " stream-K" : "", tiles, cost);
    costs += buf;
    if (best == nullptr || cost < best_cost) {
      best = &t;
      best_cost = cost;
    }
  }
  *why = std::string("M > 512, the cheapest tiling by waves x token rows x cost per row (") + costs + " on " +
         std::to_string(d.sm_count) + " SMs)";
  return best->name;
}

// The Hopper CUTLASS configuration for 16 < M, fitted to the sweep of every
// configuration on H100 (bench/results/2026-11-25-h100-issue4-sweep{1,2}:
// M = 16..8192 on (N, K) = (4096, 4096), (14336, 4096), (4096, 14336)), or
// nullptr where the sm_80 register-dequant tiles measured faster.  The rules
// count output tiles T(tile_n, tile_m) = ceil(N / tile_n) * ceil(M / tile_m)
// against the SMs, because the persistent kernels run whole tiles: a wave
// that leaves SMs idle costs the same as a full one.
//  * M <= 64: the 128x64 tile when it fills >= 3/4 of the SMs (N = 14336:
//    31.3 us flat for M = 16..64, 1.4x cuBLAS, vs 44-49 us rdq_m64); with
//    fewer tiles and K >= 8192 the 128x64 tile under stream-K (N = 4096,
//    K = 14336, M = 48..64: 38.1-38.7 us vs 42.6-44.1 us rdq_m64,
//    bench/results/2026-11-26-h100-issue3-geometry/run6-*); with K < 8192
//    the sm_80 tiles (N = K = 4096, M = 48..64: rdq_m64 22.0-22.2 us vs
//    stream-K 23.2-23.6 us).  M <= 32 with few tiles never gets here: the
//    decode tiles take it (plan_gemm).
//  * 64 < M <= 512: the 128x256 tile when M > 128 (at M <= 128 half of it
//    is padding: N = 14336, M = 128: 59.2 vs 35.6 us for 128x128) and its
//    tiles fill >= 3/4 of the SMs (N = 14336, M = 192..512: 47.6-96.7 us,
//    best), else the 128x128 tile when
//    its tiles fill >= 0.7 (N = 14336, M = 96..128: 35.5 us; N = 4096,
//    M = 384..512: 35 us), else stream-K for long K (N = 4096, K = 14336,
//    M = 96..256: 47-69 us vs 72-104 us persistent; at 128 < M the
//    128x256 stream-K tile: M = 256 64.4 vs 68.0 us), else ping-pong 64x128
//    (N = 4096, K = 4096, M = 96..256: 24.3-27.6 us vs 33 us 128x128).
//  * 128 < M <= 512 where 192-token tiles pad M less than 256-token ones
//    and fill more than half the SMs: 128x192 (twenty-fourth session).
//  * M > 512: cheapest_large_m_tiling over the canonical 128x256, 128x192,
//    128x128 and stream-K 128x256 tiles (the reordered-weight copies are left to
//    autotune and W4A16_FORCE_CONFIG: the per-call reorder eats their gain).
const char* choose_sm90(const Problem& p, const Device& d, std::string* why) {
  const auto tiles = [&](int tn, int tm) { return static_cast<long long>(ceil_div(p.N, tn)) * ceil_div(p.M, tm); };
  const long long s = d.sm_count;
  const long long t64 = tiles(128, 64), t128 = tiles(128, 128), t256 = tiles(128, 256);
  char buf[160];
  std::snprintf(buf, sizeof buf, " (tiles 128x64 %lld, 128x128 %lld, 128x256 %lld on %lld SMs)", t64, t128, t256, s);
  const char* name = nullptr;
  // Split-K on the stream-K configuration (W4A16_FORCE_CONFIG=..._sk:S) is
  // not dispatched: forced to 2 / 4 / 8 ranges it measured 26.5-29 us flat
  // for M = 16..256 on 4096x4096 (vs 16-28 us for the choices below) and
  // 45.5-46.6 us for M = 24..128 on 4096x14336 (vs 41-46.5 us), within 3%
  // elsewhere (bench/results/2026-11-25-h100-issue4-splitk), although the
  // unsplit kernels' time is linear in K with a ~5.5 us intercept
  // (.../issue4-fixed-cost): CUTLASS's split-K fixup costs what the shorter
  // k loops save.
  if (p.M <= 64) {
    if (t64 * 4 >= s * 3) {
      name = "sm90_coop_n128m64k64";
      *why = "16 < M <= 64, 128x64 tiles fill >= 3/4 of the SMs";
    } else if (p.K >= 8192) {
      name = "sm90_coop_n128m64k64_sk";
      *why = "16 < M <= 64, few 128x64 tiles and K >= 8192: stream-K";
    }
  } else if (p.M <= 512) {
    // 192-token rows (ceil(M / 192) * 192) against 256-token ones.
    const long long pad192 = ceil_div(p.M, 192) * 192LL, pad256 = ceil_div(p.M, 256) * 256LL;
    if (p.M > 128 && pad192 < pad256 && tiles(128, 192) * 2 > s) {
      // As with packed weights (plan_packed): where 192-token tiles pad M
      // less and fill more than half the SMs.  14336x4096 M = 160 / 192 /
      // 320 / 384: 0.74 / 0.87 / 0.65 / 0.68x cuBLAS against 0.67 / 0.77 /
      // 0.55 / 0.59x for 128x256 (H200, bench/results/2026-11-28-h200-session24/
      // call5-canonical-192/); on 4096-wide layers (32 or 64 tiles) they
      // measured slower than the choices below.
      name = "sm90_coop_n128m192k64";
      *why = "128 < M <= 512, 192-token tiles pad M least and fill more than half the SMs";
    } else if (p.M > 128 && t256 * 4 >= s * 3) {
      name = "sm90_coop_n128m256k64";
      *why = "128 < M <= 512, 128x256 tiles fill >= 3/4 of the SMs";
    } else if (t128 * 10 >= s * 7) {
      name = "sm90_coop_n128m128k64";
      *why = "64 < M <= 512, 128x128 tiles fill >= 0.7 of the SMs";
    } else if (p.K >= 8192) {
      name = p.M > 128 ? "sm90_coop_n128m256k64_sk" : "sm90_coop_n128m128k64_sk";
      *why = p.M > 128 ? "128 < M <= 512, few tiles and K >= 8192: stream-K 128x256"
                       : "64 < M <= 128, few tiles and K >= 8192: stream-K 128x128";
    } else {
      name = "sm90_pp_n64m128k64";
      *why = "64 < M <= 512, few tiles, K < 8192: ping-pong 64x128";
    }
  } else {
    return cheapest_large_m_tiling(p, d, kCanonicalLargeMTilings, why);
  }
  if (name != nullptr) *why += buf;
  return name;
}

// The decode tile for M <= 32 (sm80_mma_configs.h, "dec" rows; plan_packed
// takes the `decr` twin).  Every candidate is scored by the warps it puts in
// flight: tiles x warps along K x the split-K choose_dec_split gives it, and
// the most within one wave wins (16 warps per SM at M <= 8, 128 registers;
// 8 at 8 < M <= 16, as launch-bounded).  Candidates: the n32 tiles (two m16
// column blocks per warp) with 8, 4 or 2 warps along K, and at M <= 8 the
// n16 tile (one column block, 8 warps along K, three stages).  Ties: among
// n32 tiles more warps along K; n32 against n16, the n16 tile only where K
// is short: packed weights at K <= 4096, canonical weights at M <= 4 and
// K <= 8192; else n32.  One step past a wave: at M <= 8, where the pick is
// n32 w2 unsplit, w4 unsplit if it fits in two waves.  Fitted on H100; the
// n16 ties and the step past a wave on an H200:
//  * the geometry sweep (bench/results/2026-11-26-h100-issue3-geometry/):
//    14336 x 4096 M = 1 n32 w4 16.0 us (n16 w8 18.8); 8192 x 28672 n32 w8
//    50.1 (52.2); M = 16: 14336 x 4096 w2 22.8 (w4 25.4), 8192 x 28672 w4
//    72.9 (w8 76.4, w2 77.8), 4096 x 14336 w8 22.0 (w4 25.5).  28672 x 8192
//    at M = 1 was the one miss (w2 51.6 us, w4 50.1): the step past a wave
//    below takes w4 there now.
//  * the nineteenth session's forced sweeps of every decode row, both
//    layouts, N = 1024..8192 (bench/results/2026-11-27-h100-decode-xring/,
//    calls 6-8), after the canonical two-stage tiles began to refill ahead.
//    Counting the split is what fits small N: at N = 2048 n32 w8 split 4
//    (2048 warps) 5.4 us at 1 x 2048 x 4096 against 5.9 for n16 unsplit
//    (1024), M = 16 w4 split 4 6.4 against 7.4 for w8 unsplit; at N = 1024
//    n16 split 4 (2048) 4.2 against 4.9 for n32 w8 split 4 (1024).  The
//    ties are N = 3072 and 4096 at M <= 8 (n16 unsplit against n32 w4 split
//    4, same warps): n16 wins by 0-8% at M = 1..4 and, packed, at K = 4096
//    (4096 x 4096 M = 8: 6.45 us against 6.89); n32 by 2-12% at M = 6..8
//    otherwise (3072 x 8192 M = 8 canonical: 10.5 against 11.8; 4096 x
//    14336: 16.0 against 18.0), where the n16 tile's activations (twice the
//    bytes per weight byte of n32) cost more than its shorter k loop saves.
//  * the n16 ties at M <= 4 again, on an H200 (twenty-fifth session,
//    bench/results/2026-11-28-h200-session25/call2-n16-ties/): with packed
//    weights n32 w4 split 4 is 6-14% faster than n16 at every K >= 8192
//    (1 x 4096 x 14336 11.7 against 12.9 us; 1 x 3072 x 8192 8.1 against
//    8.6; 4 x 4096 x 28672 20.6 against 23.5) and n16 0-3% faster at
//    K = 4096; with canonical weights n16 wins at K <= 8192 (1 x 4096 x
//    8192 9.4 against 9.7) and loses by 2-10% at K >= 14336.  The H100
//    sweep above agrees where it measured: packed 1 x 4096 x 14336 n32 13.5
//    against n16 13.6 us (1.3-2.7% at M = 1..4), 1 x 3072 x 8192 a tie;
//    canonical 1 x 3072 x 8192 n16 by 2.5%, 4096 x 14336 a tie at M = 1
//    and n32 by up to 2% at M = 2..4.
//  * one step past a wave at M <= 8 (twenty-fifth session, H200,
//    .../call4-long-k/): where the rule's pick is n32 w2 unsplit (N > ~17000,
//    where w4 exceeds one wave), w4 unsplit within two waves is faster:
//    28672 x 8192 36.6 against 40.1 us (H100, geometry sweep above: 50.1
//    against 51.6), 28672 x 4096 20.3 against 21.3, 28672 x 14336 62.2
//    against 68.0, 20480 x 8192 32.6 against 39.5 (w8, 2.4 waves: 29.8).
//    Past a wave does not pay in general: w8 at 1.7 waves against the
//    rule's w4 at 0.85 on N = 14336 is 2-14% slower (K = 16384 / 8192 /
//    4096), and at M = 9..16 (8 warps per SM) w4 against w2 on 14336 x
//    4096 17.7 against 15.4 us (H200), 25.4 against 22.8 (H100).
//  * 16 < M <= 32 where the 128 x 64 tiles cover less than 3/4 of the SMs
//    (plan_gemm): the 16-token tile over ceil(M / 16) token tiles, the same
//    weights read by each from L2 (4096 x 4096 M = 32: 12.7 us vs 16.8 for
//    the 64-row rdq tile; 4096 x 14336: 35.0 vs 41.4).  Where 128 x 64 tiles
//    fill the GPU (N = 14336) the Hopper tile wins (31.2 vs 40.0 us).
Sm80MmaConfigId choose_decode(const Problem& p, const Device& d, bool packed, std::string* why) {
  using Id = Sm80MmaConfigId;
  const bool one_token_block = p.M <= 8;
  const long long wave = static_cast<long long>(d.sm_count) * (one_token_block ? 16 : 8);
  const auto warps_in_flight = [&](Id id) {
    const Sm80MmaConfig& c = config_of(id);
    std::string ignored;
    const long long tiles = static_cast<long long>(ceil_div(p.M, c.bm)) * ceil_div(p.N, c.bn);
    return tiles * c.warps_m * choose_dec_split(p, c, d, &ignored);
  };
  const Id m8[] = {Id::dec_m8n32k128s2w8, Id::dec_m8n32k128s2w4, Id::dec_m8n32k128s2w2};
  const Id m16[] = {Id::dec_m16n32k128s2w8, Id::dec_m16n32k128s2w4, Id::dec_m16n32k128s2w2};
  const Id* ids = one_token_block ? m8 : m16;
  Id best = ids[2];
  long long best_warps = -1;
  std::string scores;
  char buf[96];
  for (int i = 0; i < 3; ++i) {
    const long long warps = warps_in_flight(ids[i]);
    std::snprintf(buf, sizeof buf, "%sn32 w%d %lld", i == 0 ? "" : ", ", config_of(ids[i]).warps_m, warps);
    scores += buf;
    if (warps <= wave && warps > best_warps) {
      best = ids[i];
      best_warps = warps;
    }
  }
  if (one_token_block) {
    const long long warps = warps_in_flight(Id::dec_m8n16k128s3w8);
    std::snprintf(buf, sizeof buf, ", n16 w8 %lld", warps);
    scores += buf;
    const bool n16_on_ties = packed ? p.K <= 4096 : p.M <= 4 && p.K <= 8192;
    if (warps <= wave && (warps > best_warps || (warps == best_warps && n16_on_ties))) {
      best = Id::dec_m8n16k128s3w8;
      best_warps = warps;
    }
    // Many columns (N > ~17000): the most warps within a wave is n32 w2
    // unsplit, and w4 unsplit, at up to two waves, is faster (see above).
    const long long tiles32 = ceil_div(p.N, config_of(Id::dec_m8n32k128s2w2).bn);
    if (best == Id::dec_m8n32k128s2w2 && best_warps == 2 * tiles32) {
      const long long w4 = warps_in_flight(Id::dec_m8n32k128s2w4);
      if (w4 == 4 * tiles32 && w4 <= 2 * wave) {
        best = Id::dec_m8n32k128s2w4;
        scores += "; n32 w2 -> w4 unsplit within two waves";
      }
    }
  }
  *why = std::string(one_token_block ? "M <= 8" : p.M <= 16 ? "8 < M <= 16" : "16 < M <= 32, few 128-row tiles") +
         ": warps in flight with split-K (" + scores + "), the most within " + std::to_string(wave) +
         " slots (ties: more warps along K; n16 packed at K <= 4096, canonical at M <= 4 and K <= 8192): " +
         (best == Id::dec_m8n16k128s3w8 ? std::string("n16") : "n32") + " w" +
         std::to_string(config_of(best).warps_m);
  return best;
}

}  // namespace

GemmPlan plan_gemm(const Problem& p, const Device& d) {
  GemmPlan plan{};
  // M <= 16, and M <= 32 with few 128-row column tiles: the decode kernels,
  // on every arch (1.3-3.3x cuBLAS bf16 on H100; at M = 16 they also beat the
  // m16 rdq tile everywhere measured, 4096^2: 9.5 vs 13.0 us).
  const bool few_column_tiles = ceil_div(p.N, 128) * 4 < d.sm_count * 3;
  if (p.M <= 16 || (p.M <= 32 && few_column_tiles)) {
    plan.config = choose_decode(p, d, false, &plan.reason);
    plan.split_k = choose_split_for(p, config_of(plan.config), d, &plan.reason);
    finish(p, &plan);
    return plan;
  }
  const Sm80MmaConfig& mid = config_of(Sm80MmaConfigId::rdq_m64n128k64s4);
  const Sm80MmaConfig& big = config_of(Sm80MmaConfigId::sdq_m128n128k64s4);
  const int mid_tiles = ceil_div(p.M, mid.bm) * ceil_div(p.N, mid.bn);
  const int big_tiles = ceil_div(p.M, big.bm) * ceil_div(p.N, big.bn);
  const bool tiny = mid_tiles * 8 < d.sm_count;
  // Hopper: the CUTLASS kernels, where the rules above pick one it can run
  // (sm_90a built, N % 8, group size a multiple of 64 or K).  Not for tiny
  // problems (64-row tiles < SMs/8), where the m16 tile's 4x more CTAs win:
  // 256^3 4.1 us (rdq_m16) vs 6.3 us (ping-pong 64x128).
  if (d.arch == 90 && !tiny) {
    std::string why;
    const char* name = choose_sm90(p, d, &why);
    if (name != nullptr) {
      const kernels::Sm90MixedConfigId id = sm90_id(name);
      const std::string reject = sm90_reject_reason(p, d, kernels::kSm90MixedConfigs[static_cast<int>(id)],
                                                    kernels::sm90_mixed_available());
      if (reject.empty()) {
        plan.sm90 = true;
        plan.sm90_config = id;
        plan.reason = why;
        finish_sm90(p, d, &plan);
        return plan;
      }
      plan.reason = std::string("(sm90 ") + name + " cannot run: " + reject + ") ";
    }
  }
  // The sm_80 tiles (every arch; on Hopper where the rules above chose none
  // or it cannot run), fitted to the per-configuration sweep on H100
  // (bench/results/2026-11-25-h100-config-sweep.md):
  //  * 16 < M <= 64, and larger M whose 128-row tiles would cover less than
  //    3/4 of the SMs: the 64-row register-dequant tile (2 CTAs per SM).
  //  * otherwise the shared-memory-dequant 128-row tile, the fastest once it
  //    has about a wave of tiles (0.40-0.46x cuBLAS at M >= 1024 vs 0.25-0.36x
  //    for the 64-row tile).
  //  * Tiny problems (64-row tiles < 1/8 of the SMs): the m16 tile, for 4x
  //    more CTAs and a shorter k loop per CTA.
  if (tiny) {
    plan.config = Sm80MmaConfigId::rdq_m16n128k128s6;
    plan.reason += "tiny problem (64-row tiles < SMs/8): 16-row tiles for more CTAs";
  } else if (p.M <= 64 || big_tiles * 4 < d.sm_count * 3) {
    plan.config = Sm80MmaConfigId::rdq_m64n128k64s4;
    plan.reason += p.M <= 64 ? "16 < M <= 64: register-dequant 64-row tile"
                             : "128-row tiles < 3/4 of the SMs: register-dequant 64-row tile";
  } else {
    plan.config = Sm80MmaConfigId::sdq_m128n128k64s4;
    plan.reason += "128-row tiles fill >= 3/4 of the SMs: shared-dequant 128-row tile";
  }
  plan.split_k = choose_split(p, config_of(plan.config), d, &plan.reason);
  finish(p, &plan);
  return plan;
}

PackedLayout packed_layout_for(const Problem& p, const Device& d, bool sm90_built, std::string* why) {
  // The reason is written only when asked for: the forward checks the layout
  // on every call and needs no string.
  const auto say = [why](std::string text) {
    if (why != nullptr) *why = std::move(text);
  };
  if (d.arch != 90 || !sm90_built) {
    say(d.arch != 90 ? "canonical: not an sm_90 device" : "canonical: this build has no sm_90a kernels");
    return PackedLayout::canonical;
  }
  if (p.N % 16 != 0) {
    say("canonical: N % 16 != 0 (the fragment order tiles 16 rows)");
    return PackedLayout::canonical;
  }
  // g = 64 is packed too: the decode kernels' lanes then take both their k
  // tiles from one 64-deep half of the 128-deep k block, so each lane still
  // needs one group (sm80_dec_gemm.cuh, kHalfGroups), and the Hopper `_rp`
  // tiles are 64 deep.  g = 32 is not: CUTLASS's mixed-input mainloop needs
  // g % TILE_K == 0 and TILE_K >= 64 (a static assertion, K_BLOCK_MAX >= 4),
  // so M > 16 would have no kernel for the pack.
  if (p.group_size != p.K && p.group_size % 64 != 0) {
    if (why != nullptr)
      say("canonical: g = " + std::to_string(p.group_size) +
          " is not a multiple of 64 (the Hopper tiles are 64 deep; the packed kernels need g % 64 == 0 or g == K)");
    return PackedLayout::canonical;
  }
  say("sm90 fragment order: packed decode kernels and the Hopper _rp configurations");
  return PackedLayout::sm90_fragment;
}

namespace {

// The configuration named like `id` with `from` replaced by `to` ("dec_" ->
// "decr_"), which the configuration lists guarantee exists (dispatch tests).
Sm80MmaConfigId sm80_twin(Sm80MmaConfigId id, const std::string& from, const std::string& to) {
  std::string name = config_of(id).name;
  name.replace(0, from.size(), to);
  for (int i = 0; i < static_cast<int>(Sm80MmaConfigId::kCount); ++i)
    if (name == kSm80MmaConfigs[i].name) return static_cast<Sm80MmaConfigId>(i);
  return Sm80MmaConfigId::kCount;
}

}  // namespace

// Fitted to the packed sweeps on H100 (bench/results/2026-11-26-h100-packed-sweep/,
// M = 16..512 on (N, K) = (4096, 4096), (14336, 4096), (4096, 14336); then
// bench/results/2026-11-26-h100-kslices/ for the K-slice configurations and
// the 70B-class layers).  In order:
//  * M <= 8, and M <= 16 below the 70B-class weights (N * K < 2^27): the
//    decode kernels (decr), as canonical weights would take their dec twin.
//    At 8 < M <= 16 the decode tile with the decode rule's warps along K
//    beat the 256x32 K slices by 1-11% on 4096x8192, 8192x4096, 11008x4096,
//    14336x4096 and 4096x14336 (4096x14336 M = 16: 17.3 vs 19.1 us) and lost
//    by 11-19% on 8192x28672 and 28672x8192
//    (bench/results/2026-11-26-h100-m16-decode-vs-slices/).
//  * 8 < M <= 32 (M <= 16: the 70B-class weights only): K slices over
//    32-token tiles, 256 rows (14336x4096 M = 16 / 32: 19.3 / 20.2 us,
//    against 21.7 for decr as it was then and 21.9 for 128x32;
//    4096x14336 M = 32: 19.7 vs 27.8 stream-K; 8192x28672 M = 16: 52.6 vs
//    66.2 decr; at 16 < M <= 32 on small weights too, 2026-11-26 m16 sweep:
//    4096^2 M = 24 / 32 9.3 / 9.7 vs 9.8 / 9.9 for 128 rows, 6144x4096 11.9
//    / 12.2 vs 14.3 / 14.4), 128 rows where the 256-row slices would leave
//    half the SMs idle.  The 256-row tile moves the weights at about 2.4 TB/s per wave
//    against 1.6 for 128 rows (the per-k-block cost of the mixed-input
//    mainloop, docs/perf-notes.md), and K slices keep every SM busy without
//    stream-K's serialized fixup (about 1.9 us per K range).
//  * 32 < M <= 64: K slices of 256x64 tiles on the 70B-class weights
//    (N * K >= 2^27), else the 128x64 tile, persistent where it fills 3/4 of
//    the SMs (14336x4096 M = 64: 23.1 us; 128-deep k tiles where g allows,
//    3-8% faster, twentieth session) or in K slices (4096^2 M = 64: 11.5
//    vs 16.3 for ping-pong 64x32; 4096x14336 24.8 vs 30.1 stream-K).
//  * 128 < M <= 512 where 192-token tiles pad M less than 256-token ones
//    (M = 129..192 and 257..384): 128x192 tiles, in K slices where they take
//    half the SMs or fewer, else persistent
//    (bench/results/2026-11-27-h100-mid-m-tiles/, against the rules below:
//    14336x4096 M = 136 / 192 / 320 / 384 32.7 / 33.3 / 62.4 / 64.2 us vs
//    51.2 / 41.6 / 75.7 / 77.3; 4096x14336 M = 160 / 320 34.2 / 59.1 vs 41.8
//    / 77.0; 4096^2 M = 160 / 320 16.4 / 23.5 vs 19.1 / 27.3; 4096x11008
//    M = 160 / 320 43.8 / 48.6 vs 48.7 / 59.3).  A 160-token tile measured
//    slower than the 192-token one even where it computes fewer rows
//    (14336x4096 M = 136: 35.4 vs 32.7 us) and was not kept.
//  * M > 64 otherwise: the `_rp` twin of the canonical choice, except K slices where
//    its tiles are few: 64 < M <= 128 with 128x128 tiles below 3/4 of the SMs
//    (4096^2 M = 128: 13.9 vs 18.9 us ping-pong; 4096x14336 28.3 vs 37.9), and
//    128 < M <= 512 with 128x256 tiles on at most half the SMs, when K >= 8192
//    (M <= 192 too before the 192-token tiles) (sweep5-m160-512.log: 4096x14336 M = 160 / 320 / 512 41.7 /
//    77.3 / 85.1 vs 49.0 / 84.1 / 91.4 dispatched before; 4096^2 M = 160 /
//    192 19.0 / 19.5 vs 25.7 / 22.5; 4096^2 M = 256 keeps ping-pong, 19.1 vs
//    21.5); and 128x128 where canonical weights take 128x256 tiles whose last
//    token tile is at most half full at 256 < M <= 512 (14336x4096 M = 320:
//    76.0 vs 105.0 us).  Where K cannot be cut into two or more slices of
//    whole groups (per-channel, g == K) the old choice stays, and an unsliced
//    256-row tile only where its tiles fill more than half the SMs; else the
//    decode kernels at M <= 16 and stream-K above (see `sliced` below).
GemmPlan plan_packed(const Problem& p, const Device& d) {
  GemmPlan plan{};
  plan.packed = true;
  const long long weights = static_cast<long long>(p.N) * p.K;
  const bool large = weights >= (1LL << 25);
  const bool huge = weights >= (1LL << 27);
  const auto decode_twin = [&](const std::string& prefix) {
    plan.config = sm80_twin(choose_decode(p, d, true, &plan.reason), "dec_", "decr_");
    plan.reason = "packed weights; " + prefix + plan.reason;
    plan.split_k = choose_split_for(p, config_of(plan.config), d, &plan.reason);
    finish(p, &plan);
    return plan;
  };
  if (p.M <= 8 || (p.M <= 16 && !huge)) return decode_twin("");
  // A K-slice configuration with the slices kslices_for gives it, or an
  // empty name when fewer than 2 fit or when tiles x slices leave half the
  // SMs or more idle: K with few whole-group divisors (4096x11008, g = 128:
  // 86 groups, 2 slices of 16 tiles = 32 CTAs) took 38.4 us at M = 16
  // against 33.1 for the decode kernels forced to their worst warp split
  // (bench/results/2026-11-26-h100-m16-sweep/).  `whole_wave`: one slice is accepted
  // where the tiles alone take more than half the SMs (28672x8192 M = 16: 112
  // unsliced 256x32 tiles, 56.1-56.5 us; 128-row tiles took 79.1), never
  // where K simply cannot be cut (per-channel, g == K) and the tiles leave the
  // GPU idle: 256x32 tiles unsliced on 4096x14336 at M = 16 are 16 CTAs, 92.6
  // us (bench/results/2026-11-26-h100-decode-report-packed-5a1e7eb/, 70b and gK logs).
  // `any_fill`: no fill check, for the compute-bound 192-token tiles.
  const auto sliced = [&](const char* name, bool whole_wave, std::string* why, const char* rule,
                          bool any_fill = false) -> std::string {
    const kernels::Sm90MixedConfigId id = sm90_id(name);
    const kernels::Sm90MixedConfig& c = kernels::kSm90MixedConfigs[static_cast<int>(id)];
    const int s = kslices_for(p, d, c);
    if (s < 2 && !whole_wave) return "";
    if (!any_fill && output_tiles(p, c) * s * 2 <= d.sm_count) return "";
    plan.sm90_splits = s;
    *why = std::string(rule) + " (" + std::to_string(s) + " K slices)";
    return name;
  };
  // Output tiles of a 128-row tile with `tm` tokens.
  const auto tiles128 = [&](int tm) { return static_cast<long long>(ceil_div(p.N, 128)) * ceil_div(p.M, tm); };
  std::string why;
  std::string twin;
  if (p.M <= 32) {
    twin = sliced("sm90_coop_n256m32k64_ks_rp", large, &why, "8 < M <= 32: 256x32 tiles");
    if (twin.empty() && !large)
      twin = sliced("sm90_coop_n128m32k64_ks_rp", false, &why, "16 < M <= 32, N * K < 2^25: 128x32 tiles");
    // K not cut into slices and few tiles: at M <= 16 the decode kernels
    // (their split-K needs no whole groups; per-channel M = 16 on 4096x14336
    // with canonical weights: 21.4 us, bench/results/2026-11-26-h100-issue3-decode-report-3a6501f).
    if (twin.empty() && p.M <= 16) return decode_twin("8 < M <= 16, K not cut into slices of whole groups: ");
    if (twin.empty()) {
      twin = "sm90_coop_n128m32k64_sk_rp";
      why = "16 < M <= 32, K not cut into slices of whole groups: stream-K 128x32";
    }
  } else if (p.M <= 64) {
    const long long t64 = tiles128(64);
    if (huge) twin = sliced("sm90_coop_n256m64k64_ks_rp", true, &why, "32 < M <= 64, N * K >= 2^27: 256x64 tiles");
    if (twin.empty() && t64 * 4 >= static_cast<long long>(d.sm_count) * 3) {
      // 128-deep k tiles where the groups allow them (g % 128 == 0 or
      // g == K): 3-8% faster than 64-deep at M = 48 / 64 on six layers
      // (bench/results/2026-11-27-h200-k128-mid-m/, H200).
      const bool deep = p.group_size % 128 == 0 || p.group_size == p.K;
      twin = deep ? "sm90_coop_n128m64k128_rp" : "sm90_coop_n128m64k64_rp";
      why = deep ? "32 < M <= 64, 128x64 tiles fill >= 3/4 of the SMs, 128-deep k tiles"
                 : "32 < M <= 64, 128x64 tiles fill >= 3/4 of the SMs, 64-deep k tiles (g = 64)";
    } else if (twin.empty()) {
      twin = sliced("sm90_coop_n128m64k64_ks_rp", false, &why, "32 < M <= 64, few 128x64 tiles");
      if (twin.empty()) {
        twin = "sm90_coop_n128m64k64_sk_rp";
        why = "32 < M <= 64, few 128x64 tiles, K not cut into slices of whole groups: stream-K";
      }
    }
  } else {
    const char* name = choose_sm90(p, d, &why);
    const long long t128 = tiles128(128);
    const long long t256 = tiles128(256);
    // Token rows computed by 192- and 256-token tiles (ceil(M / tm) * tm).
    const long long pad192 = ceil_div(p.M, 192) * 192LL, pad256 = ceil_div(p.M, 256) * 256LL;
    if (p.M > 512) {
      twin = cheapest_large_m_tiling(p, d, kPackedLargeMTilings, &why);
    } else if (p.M <= 128 && t128 * 4 < static_cast<long long>(d.sm_count) * 3) {
      twin = sliced("sm90_coop_n128m128k64_ks_rp", false, &why, "64 < M <= 128, few 128x128 tiles");
    } else if (p.M > 128 && p.M <= 512 && pad192 < pad256) {
      // 192-token tiles where they pad M less than 256-token ones (M = 129..192
      // and 257..384): K slices where they are few (any fill: they are
      // compute-bound, 4096x11008 M = 160 ran 43.8 us in 2 slices of 32 tiles
      // against 48.7 for the next best), else persistent.
      const long long t192 = tiles128(192);
      if (t192 * 2 <= d.sm_count) {
        twin = sliced("sm90_coop_n128m192k64_ks_rp", false, &why,
                      "128 < M <= 512, 192-token tiles pad M least, half the SMs or fewer", true);
      } else {
        twin = "sm90_coop_n128m192k64_rp";
        why = "128 < M <= 512, 192-token tiles pad M least and fill more than half the SMs";
      }
    } else if (p.M <= 512 && t256 * 2 <= d.sm_count && p.K >= 8192) {
      // (M = 193..256 and 385..512 here: the 192-token rule takes the rest.)
      twin = sliced("sm90_coop_n128m256k64_ks_rp", false, &why,
                    "128 < M <= 512, 128x256 tiles fill half the SMs at most, K >= 8192");
    }
    if (twin.empty() && name != nullptr && std::string(name) == "sm90_coop_n128m256k64" && p.M > 256 &&
        p.M <= 512 && p.M % 256 != 0 && p.M % 256 <= 128) {
      twin = "sm90_coop_n128m128k64_rp";
      why = "256 < M <= 512 with the last 128x256 token tile at most half full: 128x128";
    }
    if (twin.empty()) {
      plan.sm90_splits = 0;
      if (name == nullptr) {
        twin = "sm90_pp_n64m32k64_rp";
        why = "tiny problem, canonical weights would take an sm_80 tile: ping-pong 64x32";
      } else if (std::string(name) == "sm90_coop_n128m256k64_sk" && p.M <= 384) {
        twin = "sm90_coop_n128m128k64_sk_rp";
        why = "128 < M <= 384, few tiles and K >= 8192: stream-K 128x128";
      } else {
        twin = std::string(name) + "_rp";
      }
    }
  }
  plan.sm90 = true;
  plan.sm90_config = sm90_id(twin.c_str());
  plan.reason = "packed weights; " + why;
  finish_sm90(p, d, &plan);
  return plan;
}

bool plan_forced(const Problem& p, const Device& d, const char* spec, GemmPlan* plan, std::string* error,
                 PackedLayout layout) {
  *plan = GemmPlan{};  // nothing of a caller's earlier plan (e.g. an sm90 flag) carries over
  const bool packed = layout == PackedLayout::sm90_fragment;
  std::string name(spec);
  int split = 0;
  const size_t colon = name.find(':');
  if (colon != std::string::npos) {
    const char* digits = name.c_str() + colon + 1;
    char* end = nullptr;
    const long v = std::strtol(digits, &end, 10);
    split = end != digits && *end == '\0' && v >= 1 && v <= 64 ? static_cast<int>(v) : 0;
    name.resize(colon);
    if (split < 1 || split > 64) {
      *error = "W4A16_FORCE_CONFIG: split_k must be 1..64 in '" + std::string(spec) + "'";
      return false;
    }
  }
  // The dispatch description names the sm80 configurations with their arch
  // prefix ("sm80_decr_m8n16k128s3w8"); the list names them without it.
  const std::string sm80_name = name.rfind("sm80_", 0) == 0 ? name.substr(5) : name;
  for (int i = 0; i < static_cast<int>(Sm80MmaConfigId::kCount); ++i) {
    if (sm80_name == kSm80MmaConfigs[i].name) {
      if (kernels::reads_packed(kSm80MmaConfigs[i].kind) != packed) {
        *error = "W4A16_FORCE_CONFIG: " + name +
                 (packed ? " reads canonical weights, not the packed sm90 fragment order"
                         : " reads packed weights (w4a16PackWeights): use w4a16GemmForwardPacked");
        return false;
      }
      plan->config = static_cast<Sm80MmaConfigId>(i);
      plan->packed = packed;
      plan->reason = "forced by W4A16_FORCE_CONFIG";
      const int heuristic = choose_split_for(p, kSm80MmaConfigs[i], d, &plan->reason);
      plan->split_k = split > 0 ? std::min(split, ceil_div(p.K, kSm80MmaConfigs[i].bk)) : heuristic;
      finish(p, plan);
      return true;
    }
  }
  for (int i = 0; i < static_cast<int>(kernels::Sm90MixedConfigId::kCount); ++i) {
    const kernels::Sm90MixedConfig& c = kernels::kSm90MixedConfigs[i];
    if (name != c.name) continue;
    if (split > 1 && c.scheduler == kernels::Sm90Scheduler::persistent) {
      *error = "W4A16_FORCE_CONFIG: " + name +
               " has no split-K (only the stream-K and K-slice configurations take :SPLIT)";
      return false;
    }
    if (split > 1 && c.scheduler == kernels::Sm90Scheduler::kslices &&
        (p.group_size >= p.K || p.K % (split * p.group_size) != 0)) {
      *error = "W4A16_FORCE_CONFIG: " + name + ": " + std::to_string(split) +
               " K slices do not cut K = " + std::to_string(p.K) + " into whole groups of " +
               std::to_string(p.group_size);
      return false;
    }
    const std::string why = sm90_reject_reason(p, d, c, kernels::sm90_mixed_available());
    if (!why.empty()) {
      *error = "W4A16_FORCE_CONFIG: " + name + " cannot run this problem: " + why;
      return false;
    }
    if (packed && c.weights != kernels::Sm90Weights::reordered) {
      *error = "W4A16_FORCE_CONFIG: " + name + " reads canonical weights, not the packed sm90 fragment order";
      return false;
    }
    plan->packed = packed;
    plan->sm90 = true;
    plan->sm90_config = static_cast<kernels::Sm90MixedConfigId>(i);
    if (c.scheduler == kernels::Sm90Scheduler::kslices)
      plan->sm90_splits = split > 0 ? split : kslices_for(p, d, c);
    else
      plan->sm90_splits = split > 1 ? std::min(split, ceil_div(p.K, c.tile_k)) : 0;
    plan->reason = "forced by W4A16_FORCE_CONFIG";
    finish_sm90(p, d, plan);
    return true;
  }
  *error = "W4A16_FORCE_CONFIG: no configuration named '" + name + "'";
  return false;
}

std::vector<Candidate> candidates(const Problem& p, const Device& d, std::vector<std::string>* rejected,
                                  PackedLayout layout) {
  // The decode kernels time M / 8 token blocks one after another on the
  // weights: past M = 64 they are never the fastest (measured 1.2-2.5x slower
  // than rdq_m64 already at M = 32..64, docs/perf-notes.md), so not timed.
  constexpr int kMaxDecodeM = 64;
  std::vector<Candidate> out;
  // Plans `name` as W4A16_FORCE_CONFIG would, or records why it cannot run.
  const auto add = [&](const char* name, const std::string& why_not, bool with_split) {
    Candidate cand;
    std::string error = why_not;
    if (error.empty() && plan_forced(p, d, name, &cand.plan, &error, layout)) {
      // The split goes into the spec where the heuristic's could change with
      // the heuristic (sm80 split-K, K slices); stream-K keeps CUTLASS's own.
      const int split = cand.plan.sm90 ? cand.plan.sm90_splits : cand.plan.split_k;
      cand.spec = with_split && split >= 1 ? std::string(name) + ":" + std::to_string(split) : std::string(name);
      out.push_back(std::move(cand));
    } else {
      rejected->push_back(std::string(name) + ": " + error);
    }
  };
  for (const Sm80MmaConfig& c : kSm80MmaConfigs)
    add(c.name, kernels::is_decode(c.kind) && p.M > kMaxDecodeM ? "decode kernel, M > 64" : "", true);
  for (const kernels::Sm90MixedConfig& c : kernels::kSm90MixedConfigs)
    add(c.name, sm90_reject_reason(p, d, c, kernels::sm90_mixed_available()),
        c.scheduler == kernels::Sm90Scheduler::kslices);
  return out;
}

std::string describe(const GemmPlan& plan, const Problem& p) {
  if (plan.sm90) {
    const kernels::Sm90MixedConfig& c = kernels::kSm90MixedConfigs[static_cast<int>(plan.sm90_config)];
    char buf[256];
    char split[32] = "";
    if (plan.sm90_splits > 1) std::snprintf(split, sizeof split, " split_k=%d", plan.sm90_splits);
    std::snprintf(buf, sizeof buf, "%s (CUTLASS sm90 %s, tile NxMxK=%dx%dx%d, %s)%s: ", c.name,
                  c.schedule == kernels::Sm90Schedule::coop ? "cooperative" : "ping-pong", c.tile_n, c.tile_m,
                  c.tile_k, plan.packed ? "packed weights" : "transposed group params", split);
    return std::string(buf) + plan.reason;
  }
  const Sm80MmaConfig& c = config_of(plan.config);
  const long long grid = static_cast<long long>(ceil_div(p.M, c.bm)) * ceil_div(p.N, c.bn) * plan.split_k;
  char buf[256];
  std::snprintf(buf, sizeof buf, "sm80_%s (BMxBNxBK=%dx%dx%d, %d warps, %d stages) split_k=%d grid=%lld: ",
                c.name, c.bm, c.bn, c.bk, c.warps_m * c.warps_n, c.stages, plan.split_k, grid);
  return std::string(buf) + plan.reason;
}

}  // namespace w4a16::dispatch
