// Dispatcher tests that run on the host (no GPU): the plan chosen per shape and
// device, the split-K rules, and the invariants of every listed configuration.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dispatch/autotune_cache.h"
#include "dispatch/dispatch.h"
#include "dispatch/plan_cache.h"
#include "kernels/sm80/sm80_mma_configs.h"
#include "kernels/sm90/sm90_launch_memo.h"
#include "kernels/sm90/sm90_mixed_gemm.h"

namespace {

using w4a16::dispatch::describe;
using w4a16::dispatch::Device;
using w4a16::dispatch::GemmPlan;
using w4a16::dispatch::plan_forced;
using w4a16::dispatch::plan_gemm;
using w4a16::dispatch::Problem;
using w4a16::dispatch::sm90_reject_reason;
using w4a16::kernels::kSm80MmaConfigs;
using w4a16::kernels::Sm80MmaConfigId;

constexpr Device kH100{90, 132};
// The sm_80 tile rules at H100's SM count: what every non-Hopper arch runs
// (and an H100 when the build has no sm_90a kernels).
constexpr Device kSm80Rules{80, 132};
constexpr Device kOrin{87, 16};   // Jetson AGX Orin: 16 SMs
constexpr Device kThor{110, 20};  // Jetson Thor: 20 SMs

const char* name_of(Sm80MmaConfigId id) { return kSm80MmaConfigs[static_cast<int>(id)].name; }

TEST(Dispatch, ConfigListInvariants) {
  for (const auto& c : kSm80MmaConfigs) {
    SCOPED_TRACE(c.name);
    if (w4a16::kernels::is_decode(c.kind)) {
      // Decode tiles: n8 token blocks, m16 column blocks per warp, 128-deep k blocks.
      EXPECT_EQ(c.bm % 8, 0);
      EXPECT_EQ(c.bn % (16 * c.warps_n), 0);
      EXPECT_EQ(c.bk, 128);
      EXPECT_GE(c.stages, 1);
    } else {
      EXPECT_EQ(c.bm % (16 * c.warps_m), 0);
      EXPECT_EQ(c.bn % (8 * c.warps_n), 0);
      EXPECT_TRUE(c.bk == 64 || c.bk == 128);
      EXPECT_GE(c.stages, 2);
    }
    EXPECT_LE(c.threads(), 1024);
    // Fits the smallest opt-in shared memory of a supported GPU (sm_80/sm_87: 163 KiB per block).
    EXPECT_LE(c.smem_bytes(), 163 * 1024);
    // MIN_BLOCKS CTAs fit an sm_90/sm_100 SM (228 KiB, 1 KiB reserved per CTA).
    EXPECT_LE((c.smem_bytes() + 1024) * c.min_blocks, 228 * 1024);
    if (c.kind == w4a16::kernels::Sm80Kind::sdq) {
      EXPECT_EQ(c.bk, 64);
    }
  }
}

// The Hopper rows: what CUTLASS's collectives accept (cooperative: 2 consumer
// warpgroups of 64-row WGMMAs; ping-pong: 64 rows), and at most 256 rows,
// since the scales and zeros travel in TMA boxes of TILE_N rows and a box
// holds at most 256 (sm90_mixed_gemm.cuh; a 512-row tile crashed on H100).
TEST(Dispatch, Sm90ConfigListInvariants) {
  for (const auto& c : w4a16::kernels::kSm90MixedConfigs) {
    SCOPED_TRACE(c.name);
    EXPECT_LE(c.tile_n, 256);
    EXPECT_EQ(c.tile_n % (c.schedule == w4a16::kernels::Sm90Schedule::coop ? 128 : 64), 0);
    EXPECT_TRUE(c.tile_m % 8 == 0 && c.tile_m <= 256);  // WGMMA's N
    EXPECT_TRUE(c.tile_k == 64 || c.tile_k == 128);
    if (c.scheduler == w4a16::kernels::Sm90Scheduler::kslices) {
      EXPECT_EQ(c.weights, w4a16::kernels::Sm90Weights::reordered);
    }
  }
}

TEST(Dispatch, EveryConfigIsReachable) {
  std::set<int> reached;
  for (int M = 1; M <= 8192; M = M < 64 ? M + 1 : M * 2) {
    reached.insert(static_cast<int>(plan_gemm(Problem{M, 4096, 4096, 128, true}, kSm80Rules).config));
    reached.insert(static_cast<int>(plan_gemm(Problem{M, 4096, 14336, 128, true}, kSm80Rules).config));
  }
  for (int N : {8192, 14336, 28672, 57344})  // the decode tiles' WARPS_K follows the 32-column tile count
    for (int M : {1, 16}) reached.insert(static_cast<int>(plan_gemm(Problem{M, N, 4096, 128, true}, kSm80Rules).config));
  reached.insert(static_cast<int>(plan_gemm(Problem{256, 256, 256, 128, true}, kSm80Rules).config));  // tiny
  size_t canonical = 0;
  for (const auto& c : kSm80MmaConfigs) canonical += w4a16::kernels::reads_packed(c.kind) ? 0 : 1;
  EXPECT_EQ(reached.size(), canonical);
  for (int id : reached) EXPECT_FALSE(w4a16::kernels::reads_packed(kSm80MmaConfigs[id].kind)) << kSm80MmaConfigs[id].name;
}

// Packed weights in the sm90 fragment order (plan_packed's rules, dispatch.cpp):
// the packed decode twin of the canonical decode choice at M <= 8 (M <= 16 on
// small weights), K slices of 32-, 64- and 128/256-token tiles where the
// tiles are few, the `_rp` twin of the Hopper choice elsewhere; no per-call
// reorder or transpose in the workspace (only CUTLASS's and the K slices'
// partials), and the configurations the rules pick all reachable.
TEST(Dispatch, PackedWeightsPickTheTwins) {
  using w4a16::dispatch::plan_packed;
  const auto ceil_div = [](int a, int b) { return (a + b - 1) / b; };
  std::set<std::string> reached;
  // The fitted rules at the measured points (bench/results/2026-11-26-h100-kslices/).
  const auto packed_name = [](const Problem& p) {
    const GemmPlan plan = plan_packed(p, kH100);
    std::string name = plan.sm90 ? w4a16::kernels::kSm90MixedConfigs[static_cast<int>(plan.sm90_config)].name
                                 : kSm80MmaConfigs[static_cast<int>(plan.config)].name;
    if (plan.sm90 && plan.sm90_splits > 1) name += ":" + std::to_string(plan.sm90_splits);
    return name;
  };
  EXPECT_EQ(packed_name(Problem{8, 14336, 4096, 128, true}), "decr_m8n32k128s2w4");
  EXPECT_EQ(packed_name(Problem{16, 4096, 4096, 128, true}), "decr_m16n32k128s2w8");
  EXPECT_EQ(packed_name(Problem{16, 14336, 4096, 128, true}), "decr_m16n32k128s2w2");
  EXPECT_EQ(packed_name(Problem{16, 4096, 14336, 128, true}), "decr_m16n32k128s2w8");
  EXPECT_EQ(packed_name(Problem{12, 8192, 4096, 128, true}), "decr_m16n32k128s2w4");
  EXPECT_EQ(packed_name(Problem{16, 8192, 28672, 128, true}), "sm90_coop_n256m32k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{32, 28672, 8192, 128, true}), "sm90_coop_n256m32k64_ks_rp");
  EXPECT_EQ(packed_name(Problem{32, 4096, 4096, 128, true}), "sm90_coop_n256m32k64_ks_rp:8");
  EXPECT_EQ(packed_name(Problem{64, 4096, 4096, 128, true}), "sm90_coop_n128m64k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{48, 4096, 14336, 128, true}), "sm90_coop_n128m64k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{64, 14336, 4096, 128, true}), "sm90_coop_n128m64k128_rp");
  EXPECT_EQ(packed_name(Problem{48, 14336, 4096, 128, true}), "sm90_coop_n128m64k128_rp");
  EXPECT_EQ(packed_name(Problem{48, 14336, 4096, 64, true}), "sm90_coop_n128m64k64_rp");  // g = 64: 64-deep
  EXPECT_EQ(packed_name(Problem{64, 14336, 4096, 4096, true}), "sm90_coop_n128m64k128_rp");  // per-channel
  EXPECT_EQ(packed_name(Problem{64, 8192, 28672, 128, true}), "sm90_coop_n256m64k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{128, 4096, 4096, 128, true}), "sm90_coop_n128m128k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{128, 4096, 14336, 128, true}), "sm90_coop_n128m128k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{128, 14336, 4096, 128, true}), "sm90_coop_n128m128k64_rp");
  EXPECT_EQ(packed_name(Problem{256, 4096, 14336, 128, true}), "sm90_coop_n128m256k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{256, 4096, 4096, 128, true}), "sm90_pp_n64m128k64_rp");
  EXPECT_EQ(packed_name(Problem{256, 14336, 4096, 128, true}), "sm90_coop_n128m256k64_rp");
  EXPECT_EQ(packed_name(Problem{160, 4096, 4096, 128, true}), "sm90_coop_n128m192k64_ks_rp:4");
  EXPECT_EQ(packed_name(Problem{160, 14336, 4096, 128, true}), "sm90_coop_n128m192k64_rp");
  EXPECT_EQ(packed_name(Problem{192, 4096, 14336, 128, true}), "sm90_coop_n128m192k64_ks_rp:4");
  // 4096x11008: 86 groups of 128 cut into 2 slices only; 64 CTAs are accepted.
  EXPECT_EQ(packed_name(Problem{160, 4096, 11008, 128, true}), "sm90_coop_n128m192k64_ks_rp:2");
  EXPECT_EQ(packed_name(Problem{384, 4096, 14336, 128, true}), "sm90_coop_n128m192k64_ks_rp:2");
  // M = 193..256 and 385..512: the 256-token tiles pad M no more than 192-token ones.
  EXPECT_EQ(packed_name(Problem{448, 4096, 4096, 128, true}), "sm90_coop_n128m128k64_rp");
  EXPECT_EQ(packed_name(Problem{320, 4096, 14336, 128, true}), "sm90_coop_n128m192k64_ks_rp:2");
  EXPECT_EQ(packed_name(Problem{320, 4096, 4096, 128, true}), "sm90_coop_n128m192k64_ks_rp:2");
  EXPECT_EQ(packed_name(Problem{320, 14336, 4096, 128, true}), "sm90_coop_n128m192k64_rp");
  EXPECT_EQ(packed_name(Problem{512, 14336, 4096, 128, true}), "sm90_coop_n128m256k64_rp");
  // M > 512: the cheapest tiling by waves x token rows x cost per row, at the
  // points measured on an H200 (bench/results/2026-11-28-h200-session24/):
  // 192-token tiles where they fill one more wave than 256-token ones leave
  // half empty, stream-K 128x256 where 128x256 runs 3.4 waves.
  EXPECT_EQ(packed_name(Problem{640, 4096, 4096, 128, true}), "sm90_coop_n128m192k64_rp");
  EXPECT_EQ(packed_name(Problem{768, 4096, 14336, 128, true}), "sm90_coop_n128m192k64_rp");
  EXPECT_EQ(packed_name(Problem{1024, 4096, 4096, 128, true}), "sm90_coop_n128m256k64_rp");
  EXPECT_EQ(packed_name(Problem{1536, 4096, 4096, 128, true}), "sm90_coop_n128m192k64_rp");
  EXPECT_EQ(packed_name(Problem{2048, 4096, 14336, 128, true}), "sm90_coop_n128m256k64_rp");
  EXPECT_EQ(packed_name(Problem{768, 14336, 4096, 128, true}), "sm90_coop_n128m256k64_sk_rp");
  EXPECT_EQ(packed_name(Problem{1024, 14336, 4096, 128, true}), "sm90_coop_n128m256k64_sk_rp");
  EXPECT_EQ(packed_name(Problem{1536, 14336, 4096, 128, true}), "sm90_coop_n128m192k64_rp");
  EXPECT_EQ(packed_name(Problem{4096, 14336, 4096, 128, true}), "sm90_coop_n128m256k64_rp");
  EXPECT_EQ(packed_name(Problem{4096, 5120, 8192, 128, true}), "sm90_coop_n128m256k64_rp");
  EXPECT_EQ(packed_name(Problem{600, 1024, 1024, 128, true}), "sm90_coop_n128m128k64_rp");  // < 1 wave
  // Per-channel weights cannot be cut into slices: the old choices.
  EXPECT_EQ(packed_name(Problem{64, 4096, 4096, 4096, true}), "sm90_coop_n128m64k64_sk_rp");
  EXPECT_EQ(packed_name(Problem{24, 4096, 4096, 4096, true}), "sm90_coop_n128m32k64_sk_rp");
  // ... and on large weights no unsliced 256-row K-slice tile that leaves
  // most SMs idle (16 CTAs of 256x32 on 4096x14336 at M = 16 measured 92.6 us):
  // the decode kernels at M <= 16, stream-K above; one slice stays where the
  // tiles alone fill more than half the SMs (28672x8192).
  EXPECT_EQ(packed_name(Problem{16, 4096, 14336, 14336, true}), "decr_m16n32k128s2w8");
  EXPECT_EQ(packed_name(Problem{12, 14336, 4096, 4096, false}), "decr_m16n32k128s2w2");
  EXPECT_EQ(packed_name(Problem{32, 4096, 14336, 14336, true}), "sm90_coop_n128m32k64_sk_rp");
  EXPECT_EQ(packed_name(Problem{16, 28672, 8192, 8192, true}), "sm90_coop_n256m32k64_ks_rp");
  EXPECT_EQ(packed_name(Problem{64, 8192, 28672, 28672, true}), "sm90_coop_n128m64k64_sk_rp");
  EXPECT_EQ(packed_name(Problem{64, 28672, 8192, 8192, true}), "sm90_coop_n256m64k64_ks_rp");
  // K with few whole-group divisors: 4096x11008 at g = 128 is 86 groups, so
  // 2 slices of 16 (256x32) or 32 (128x32) tiles, 32 / 64 CTAs on 132 SMs
  // (38.4 us at M = 16 against 33.1 for the decode kernels at their worst warp
  // split, bench/results/2026-11-26-h100-m16-sweep/): no K slices there.
  EXPECT_EQ(packed_name(Problem{16, 4096, 11008, 128, true}), "decr_m16n32k128s2w8");
  EXPECT_EQ(packed_name(Problem{24, 4096, 11008, 128, true}), "sm90_coop_n128m32k64_sk_rp");
  EXPECT_EQ(packed_name(Problem{24, 4096, 4096, 128, true}), "sm90_coop_n256m32k64_ks_rp:8");
  EXPECT_EQ(packed_name(Problem{24, 1024, 4096, 128, true}), "sm90_coop_n128m32k64_ks_rp:16");
  for (int N : {1024, 2048, 4096, 8192, 14336, 28672})
    for (int K : {4096, 8192, 14336})
      for (int M = 1; M <= 8192; M = M < 64 ? M + 1 : M * 2) {
        const Problem p{M, N, K, 128, true};
        SCOPED_TRACE("M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
        const GemmPlan canonical = plan_gemm(p, kH100);
        const GemmPlan packed = plan_packed(p, kH100);
        const bool large = static_cast<long long>(N) * K >= (1LL << 25);
        const bool huge = static_cast<long long>(N) * K >= (1LL << 27);
        EXPECT_TRUE(packed.packed);
        EXPECT_NE(packed.reason.find("packed weights"), std::string::npos) << packed.reason;
        if (!packed.sm90) {
          const std::string name = kSm80MmaConfigs[static_cast<int>(packed.config)].name;
          reached.insert(name);
          EXPECT_TRUE(M <= 8 || (M <= 16 && !huge));
          ASSERT_EQ(name.rfind("decr_", 0), 0u) << name;
          ASSERT_FALSE(canonical.sm90);
          // The one designed difference (choose_decode): where n16 and n32
          // tie in warps in flight, the tie goes by layout, as measured:
          // packed weights take n16 at K <= 4096 (also at M = 5..8, where
          // canonical weights take n32 w4), canonical weights at M <= 4 and
          // K <= 8192 (packed weights take n32 w4 at 4096 < K <= 8192).
          if (M >= 5 && K <= 4096 && name == "decr_m8n16k128s3w8" &&
              canonical.config != Sm80MmaConfigId::dec_m8n16k128s3w8) {
            EXPECT_EQ(canonical.config, Sm80MmaConfigId::dec_m8n32k128s2w4);
            continue;
          }
          if (M <= 4 && K > 4096 && K <= 8192 && canonical.config == Sm80MmaConfigId::dec_m8n16k128s3w8 &&
              name != "decr_m8n16k128s3w8") {
            EXPECT_EQ(name, "decr_m8n32k128s2w4");
            continue;
          }
          EXPECT_EQ(name.substr(5), std::string(name_of(canonical.config)).substr(4));
          EXPECT_EQ(packed.split_k, canonical.split_k);
          EXPECT_EQ(packed.workspace_bytes, canonical.workspace_bytes);
          continue;
        }
        const auto& c = w4a16::kernels::kSm90MixedConfigs[static_cast<int>(packed.sm90_config)];
        const std::string name = c.name;
        reached.insert(name);
        EXPECT_EQ(c.weights, w4a16::kernels::Sm90Weights::reordered) << name;
        EXPECT_GT(M, 8);
        if (c.scheduler == w4a16::kernels::Sm90Scheduler::kslices) {
          EXPECT_LE(M, 512);
          EXPECT_EQ(0, K % (packed.sm90_splits * 128)) << packed.sm90_splits;
          EXPECT_LE(static_cast<long long>(ceil_div(N, c.tile_n)) * ceil_div(M, c.tile_m) * packed.sm90_splits,
                    std::max(132LL, static_cast<long long>(ceil_div(N, c.tile_n)) * ceil_div(M, c.tile_m)));
          EXPECT_GE(packed.workspace_bytes, static_cast<size_t>(packed.sm90_splits) * M * N * 4);
        }
        if (M <= 32) {
          // 256x32 K slices, or (16 < M <= 32, small weights) 128x32 where
          // the 256-row tiles x slices would leave half the SMs idle.
          const auto& n256 = *std::find_if(
              std::begin(w4a16::kernels::kSm90MixedConfigs), std::end(w4a16::kernels::kSm90MixedConfigs),
              [](const auto& x) { return std::string(x.name) == "sm90_coop_n256m32k64_ks_rp"; });
          const bool wide_fill = static_cast<long long>(ceil_div(N, 256)) * ceil_div(M, 32) *
                                     w4a16::dispatch::kslices_for(p, kH100, n256) * 2 >
                                 132;
          EXPECT_EQ(name, wide_fill || large ? "sm90_coop_n256m32k64_ks_rp" : "sm90_coop_n128m32k64_ks_rp");
        } else if (M <= 64) {
          EXPECT_TRUE(name == "sm90_coop_n256m64k64_ks_rp" || name == "sm90_coop_n128m64k128_rp" ||
                      name == "sm90_coop_n128m64k64_ks_rp")
              << name;
        } else if (M > 512) {
          // The large-M tilings only; stream-K only past one full wave of tiles.
          EXPECT_TRUE(name == "sm90_coop_n128m256k64_rp" || name == "sm90_coop_n128m192k64_rp" ||
                      name == "sm90_coop_n128m128k64_rp" || name == "sm90_coop_n128m256k64_sk_rp")
              << name;
          if (c.scheduler == w4a16::kernels::Sm90Scheduler::streamk) {
            EXPECT_GT(static_cast<long long>(ceil_div(N, 128)) * ceil_div(M, 256), 132);
          }
          EXPECT_NE(packed.reason.find("cheapest tiling"), std::string::npos) << packed.reason;
        } else if (c.scheduler != w4a16::kernels::Sm90Scheduler::kslices) {
          const std::string twin =
              canonical.sm90
                  ? std::string(w4a16::kernels::kSm90MixedConfigs[static_cast<int>(canonical.sm90_config)].name) + "_rp"
                  : std::string("sm90_pp_n64m32k64_rp");
          if (twin == "sm90_coop_n128m256k64_sk_rp" && M <= 384) {
            EXPECT_EQ(name, "sm90_coop_n128m128k64_sk_rp");
          } else if (twin == "sm90_coop_n128m256k64_rp" && M > 256 && M <= 512 && M % 256 != 0 && M % 256 <= 128) {
            EXPECT_EQ(name, "sm90_coop_n128m128k64_rp");  // the last 128x256 token tile at most half full
          } else {
            EXPECT_EQ(name, twin);
          }
          if (M <= 512) {
            EXPECT_NE(c.scheduler, w4a16::kernels::Sm90Scheduler::streamk) << name;  // sliced instead
          }
        }
        // No per-call reorder or transpose: only CUTLASS's workspace and the slices' partials.
        EXPECT_EQ(packed.workspace_bytes, packed.cutlass_ws_bytes);
        EXPECT_EQ(packed.cutlass_ws_offset, 0u);
      }
  // Every packed decode tile is dispatched somewhere (the 16-token ones with
  // 2 or 4 warps along K at M = 9..16 on 14336- and 8192-wide layers; n32 w2
  // at M <= 8 only where w4 exceeds two waves, N > 33792).
  reached.insert(packed_name(Problem{1, 57344, 4096, 128, true}));
  for (const auto& c : kSm80MmaConfigs) {
    if (w4a16::kernels::reads_packed(c.kind)) {
      EXPECT_EQ(reached.count(c.name), 1u) << c.name << " never picked";
    }
  }
  for (const char* name : {"sm90_coop_n128m64k128_rp", "sm90_coop_n128m128k64_rp", "sm90_coop_n128m256k64_rp",
                           "sm90_pp_n64m128k64_rp", "sm90_coop_n128m32k64_ks_rp", "sm90_coop_n128m64k64_ks_rp",
                           "sm90_coop_n128m128k64_ks_rp", "sm90_coop_n128m256k64_ks_rp", "sm90_coop_n256m32k64_ks_rp",
                           "sm90_coop_n256m64k64_ks_rp"})
    EXPECT_EQ(reached.count(name), 1u) << name << " never picked";
}

// Packs with g = 64 (the sm90 fragment order since the decode kernels' half
// groups) take the same kernels, slices and workspace as g = 128 on the LLM
// shapes, whose K cuts into whole 64- and 128-deep groups alike: the decode
// kernels at M <= 8, the Hopper `_rp` tiles above.
TEST(Dispatch, PackedG64TakesTheG128Kernels) {
  for (const auto& [N, K] : {std::pair{4096, 4096}, std::pair{14336, 4096}, std::pair{4096, 14336}}) {
    for (int M : {1, 4, 8, 9, 16, 24, 32, 48, 64, 96, 128, 160, 256, 320, 512, 1024, 4096}) {
      SCOPED_TRACE(std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K));
      const GemmPlan p64 = w4a16::dispatch::plan_packed(Problem{M, N, K, 64, true}, kH100);
      const GemmPlan p128 = w4a16::dispatch::plan_packed(Problem{M, N, K, 128, true}, kH100);
      EXPECT_TRUE(p64.packed);
      EXPECT_EQ(p64.sm90, p128.sm90);
      if (p64.sm90) {
        // (Where g = 128 takes the 128-deep 128x64 tile, g = 64 takes its 64-deep twin.)
        const std::string name128 = w4a16::kernels::kSm90MixedConfigs[static_cast<int>(p128.sm90_config)].name;
        EXPECT_EQ(w4a16::kernels::kSm90MixedConfigs[static_cast<int>(p64.sm90_config)].name,
                  name128 == "sm90_coop_n128m64k128_rp" ? std::string("sm90_coop_n128m64k64_rp") : name128);
        EXPECT_EQ(p64.sm90_splits, p128.sm90_splits);
      } else {
        EXPECT_EQ(p64.config, p128.config);
        EXPECT_EQ(p64.split_k, p128.split_k);
      }
      EXPECT_EQ(p64.workspace_bytes, p128.workspace_bytes);
    }
  }
}

TEST(Dispatch, PackedLayoutRules) {
  using w4a16::dispatch::PackedLayout;
  using w4a16::dispatch::packed_layout_for;
  std::string why;
  EXPECT_EQ(packed_layout_for(Problem{0, 4096, 4096, 128, true}, kH100, true, &why), PackedLayout::sm90_fragment);
  EXPECT_EQ(packed_layout_for(Problem{0, 4096, 4096, 4096, false}, kH100, true, &why), PackedLayout::sm90_fragment);
  EXPECT_EQ(packed_layout_for(Problem{0, 4096, 4096, 256, true}, kH100, true, &why), PackedLayout::sm90_fragment);
  EXPECT_EQ(packed_layout_for(Problem{0, 4096, 4096, 128, true}, kH100, false, &why), PackedLayout::canonical);
  EXPECT_NE(why.find("no sm_90a"), std::string::npos) << why;
  EXPECT_EQ(packed_layout_for(Problem{0, 4096, 4096, 128, true}, kThor, true, &why), PackedLayout::canonical);
  EXPECT_NE(why.find("not an sm_90"), std::string::npos) << why;
  EXPECT_EQ(packed_layout_for(Problem{0, 4104, 4096, 128, true}, kH100, true, &why), PackedLayout::canonical);
  EXPECT_NE(why.find("N % 16"), std::string::npos) << why;
  // g = 64: the decode kernels' half-group instantiation and the 64-deep
  // Hopper tiles read the pack; g = 32 has no Hopper tile (CUTLASS's k tile
  // is at least 64 deep).
  EXPECT_EQ(packed_layout_for(Problem{0, 4096, 4096, 64, true}, kH100, true, &why), PackedLayout::sm90_fragment);
  EXPECT_EQ(packed_layout_for(Problem{0, 4096, 4096, 32, true}, kH100, true, &why), PackedLayout::canonical);
  EXPECT_NE(why.find("not a multiple of 64"), std::string::npos) << why;
}

// W4A16_FORCE_CONFIG must name a configuration that reads the weights as
// they are: canonical calls refuse the packed kernels and packed calls the
// canonical ones, each with the reason.
TEST(Dispatch, ForcedConfigMustMatchTheWeightLayout) {
  using w4a16::dispatch::PackedLayout;
  const Problem p{4, 4096, 4096, 128, true};
  GemmPlan plan{};
  std::string error;
  EXPECT_FALSE(plan_forced(p, kH100, "decr_m8n32k128s2w4", &plan, &error));
  EXPECT_NE(error.find("w4a16GemmForwardPacked"), std::string::npos) << error;
  EXPECT_FALSE(plan_forced(p, kH100, "dec_m8n32k128s2w4", &plan, &error, PackedLayout::sm90_fragment));
  EXPECT_NE(error.find("canonical"), std::string::npos) << error;
  EXPECT_FALSE(plan_forced(p, kH100, "rdq_m64n128k64s4", &plan, &error, PackedLayout::sm90_fragment));
  ASSERT_TRUE(plan_forced(p, kH100, "decr_m8n32k128s2w4:2", &plan, &error, PackedLayout::sm90_fragment)) << error;
  EXPECT_TRUE(plan.packed);
  EXPECT_EQ(plan.split_k, 2);
  // The name as the dispatch description prints it, with its arch prefix.
  ASSERT_TRUE(plan_forced(p, kH100, "sm80_decr_m8n32k128s2w4:2", &plan, &error, PackedLayout::sm90_fragment)) << error;
  EXPECT_EQ(std::string(w4a16::kernels::kSm80MmaConfigs[static_cast<int>(plan.config)].name), "decr_m8n32k128s2w4");
  EXPECT_FALSE(plan_forced(p, kH100, "sm80_nosuch", &plan, &error, PackedLayout::sm90_fragment));
  EXPECT_NE(error.find("no configuration named 'sm80_nosuch'"), std::string::npos) << error;
  if (w4a16::kernels::sm90_mixed_available()) {
    EXPECT_FALSE(plan_forced(p, kH100, "sm90_coop_n128m64k64", &plan, &error, PackedLayout::sm90_fragment));
    EXPECT_NE(error.find("canonical"), std::string::npos) << error;
    ASSERT_TRUE(plan_forced(p, kH100, "sm90_coop_n128m64k64_rp", &plan, &error, PackedLayout::sm90_fragment)) << error;
    EXPECT_TRUE(plan.packed);
    EXPECT_EQ(plan.workspace_bytes, 0u);
    // The canonical call to the same configuration reorders into its workspace.
    ASSERT_TRUE(plan_forced(p, kH100, "sm90_coop_n128m64k64_rp", &plan, &error)) << error;
    EXPECT_FALSE(plan.packed);
    EXPECT_GE(plan.workspace_bytes, size_t{4096} * 4096 / 2);
  }
}

// K slices (the kslices configurations): whole groups per slice, one wave of
// tiles x slices, at least 4 k tiles per slice; forced counts that cut a
// group are refused with the reason.  The slices' fp32 partials are the
// workspace.
TEST(Dispatch, KSliceCounts) {
  using w4a16::dispatch::kslices_for;
  const auto cfg = [](const char* name) -> const w4a16::kernels::Sm90MixedConfig& {
    for (const auto& c : w4a16::kernels::kSm90MixedConfigs)
      if (std::string(c.name) == name) return c;
    throw std::runtime_error(std::string("no configuration ") + name);
  };
  const auto& n128m32 = cfg("sm90_coop_n128m32k64_ks_rp");
  const auto& n256m32 = cfg("sm90_coop_n256m32k64_ks_rp");
  EXPECT_EQ(kslices_for(Problem{16, 4096, 14336, 128, true}, kH100, n128m32), 4);  // 32 tiles x 4 = 128 <= 132
  EXPECT_EQ(kslices_for(Problem{16, 4096, 14336, 128, true}, kH100, n256m32), 8);  // 16 tiles x 8
  EXPECT_EQ(kslices_for(Problem{16, 14336, 4096, 128, true}, kH100, n128m32), 1);  // 112 tiles: one wave already
  EXPECT_EQ(kslices_for(Problem{16, 4096, 4160, 4160, true}, kH100, n128m32), 1);  // per-channel: one group
  EXPECT_EQ(kslices_for(Problem{1, 144, 4096, 128, true}, kH100, n128m32), 16);    // capped at 16, 256 deep each
  EXPECT_EQ(kslices_for(Problem{33, 1040, 2112, 64, true}, kH100, n128m32), 3);    // 33 groups: 3 slices of 11
  EXPECT_EQ(kslices_for(Problem{8, 48, 512, 128, true}, kH100, n128m32), 2);       // >= 4 k tiles of 64 per slice
  if (!w4a16::kernels::sm90_mixed_available()) return;
  GemmPlan plan{};
  std::string error;
  const Problem p{16, 4096, 14336, 128, true};
  ASSERT_TRUE(plan_forced(p, kH100, "sm90_coop_n128m32k64_ks_rp", &plan, &error)) << error;
  EXPECT_EQ(plan.sm90_splits, 4);
  EXPECT_GE(plan.cutlass_ws_bytes, size_t{4} * 16 * 4096 * 4);  // fp32 partials of 4 slices
  ASSERT_TRUE(plan_forced(p, kH100, "sm90_coop_n128m32k64_ks_rp:7", &plan, &error)) << error;
  EXPECT_EQ(plan.sm90_splits, 7);
  EXPECT_FALSE(plan_forced(p, kH100, "sm90_coop_n128m32k64_ks_rp:3", &plan, &error));
  EXPECT_NE(error.find("whole groups"), std::string::npos) << error;
  EXPECT_FALSE(plan_forced(Problem{16, 4096, 4160, 4160, true}, kH100, "sm90_coop_n128m32k64_ks_rp:2", &plan, &error));
  EXPECT_FALSE(plan_forced(p, kH100, "sm90_coop_n128m32k64_rp:2", &plan, &error));
  EXPECT_NE(error.find("no split-K"), std::string::npos) << error;
  // The reduction is a programmatic launch after every K-slice tile but
  // 128x128 (measured slower there); the other schedulers have none.
  for (const auto& c : w4a16::kernels::kSm90MixedConfigs) {
    if (!plan_forced(Problem{64, 4096, 14336, 128, true}, kH100, c.name, &plan, &error)) continue;
    const bool want = c.scheduler == w4a16::kernels::Sm90Scheduler::kslices && c.tile_m != 128;
    EXPECT_EQ(plan.sm90_programmatic_reduce, want) << c.name;
  }
  ASSERT_TRUE(plan_forced(p, kH100, "sm90_coop_n128m128k64_ks_rp", &plan, &error)) << error;
  EXPECT_FALSE(plan.sm90_programmatic_reduce);
  ASSERT_TRUE(plan_forced(p, kH100, "sm90_coop_n256m32k64_ks_rp", &plan, &error)) << error;
  EXPECT_TRUE(plan.sm90_programmatic_reduce);
}

TEST(Dispatch, MBuckets) {
  // Decode (M <= 16), on 132 SMs: n32 tiles with 8 / 4 / 2 warps along K as
  // the 32-column tiles grow (one wave of 16 warps per SM at M <= 8, 8 at
  // M <= 16); at M <= 8 the n16 tile where its tiles fill one wave (N = 4096)
  // and M is small (below).
  struct Row {
    int N;
    Sm80MmaConfigId m8, m16;
  };
  const Row rows[] = {
      {8192, Sm80MmaConfigId::dec_m8n32k128s2w8, Sm80MmaConfigId::dec_m16n32k128s2w4},
      {14336, Sm80MmaConfigId::dec_m8n32k128s2w4, Sm80MmaConfigId::dec_m16n32k128s2w2},
      // M <= 8: w4 within two waves rather than w2 within one (H200 forced rows).
      {28672, Sm80MmaConfigId::dec_m8n32k128s2w4, Sm80MmaConfigId::dec_m16n32k128s2w2},
      {57344, Sm80MmaConfigId::dec_m8n32k128s2w2, Sm80MmaConfigId::dec_m16n32k128s2w2},
  };
  for (const Row& r : rows) {
    for (int K : {4096, 14336, 28672}) {
      for (int M : {1, 2, 7, 8})
        EXPECT_EQ(plan_gemm(Problem{M, r.N, K, 128, true}, kSm80Rules).config, r.m8) << M << " " << r.N;
      for (int M : {9, 12, 16})
        EXPECT_EQ(plan_gemm(Problem{M, r.N, K, 128, true}, kSm80Rules).config, r.m16) << M << " " << r.N;
    }
  }
  // The nineteenth session's forced sweeps (bench/results/2026-11-27-h100-decode-xring/
  // call6-canon-decode-forced, call7-n16-threshold, call8-small-n): at each
  // measured point the rule picks the fastest decode row, or one within 5%
  // of it (noted), canonical and packed.
  struct Measured {
    int M, N, K;
    bool packed;
    const char* want;  // decode row without its dec_ / decr_ prefix
    int split;
  };
  const Measured measured[] = {
      {1, 1024, 4096, false, "m8n16k128s3w8", 4},    {8, 1024, 8192, true, "m8n16k128s3w8", 4},
      {1, 2048, 4096, false, "m8n32k128s2w8", 4},    {8, 2048, 8192, true, "m8n32k128s2w8", 4},
      {1, 3072, 4096, false, "m8n16k128s3w8", 1},    {8, 3072, 8192, false, "m8n32k128s2w4", 4},
      {8, 3072, 4096, true, "m8n16k128s3w8", 1},     {8, 3072, 8192, true, "m8n32k128s2w4", 4},
      {1, 4096, 4096, false, "m8n16k128s3w8", 1},    {4, 4096, 14336, true, "m8n32k128s2w4", 4},
      {6, 4096, 4096, false, "m8n32k128s2w4", 4},    {8, 4096, 4096, true, "m8n16k128s3w8", 1},
      {6, 4096, 14336, true, "m8n32k128s2w4", 4},    {8, 4096, 14336, false, "m8n32k128s2w4", 4},
      {1, 6144, 4096, false, "m8n32k128s2w8", 1},    {8, 6144, 4096, true, "m8n32k128s2w8", 1},
      {1, 14336, 4096, false, "m8n32k128s2w4", 1},   {1, 8192, 28672, true, "m8n32k128s2w8", 1},
      {8, 28672, 8192, false, "m8n32k128s2w4", 1},  // a tie with w2 (55.9 / 55.9 us)
      {16, 1024, 4096, false, "m16n32k128s2w8", 4},  {16, 1024, 8192, true, "m16n32k128s2w8", 4},
      {16, 2048, 4096, false, "m16n32k128s2w4", 4},  {16, 2048, 8192, true, "m16n32k128s2w4", 4},
      {16, 3072, 4096, false, "m16n32k128s2w8", 1},  {16, 3072, 8192, true, "m16n32k128s2w8", 1},
      {16, 4096, 4096, false, "m16n32k128s2w8", 1},  {12, 4096, 14336, false, "m16n32k128s2w8", 1},  // 1%
      {16, 14336, 4096, false, "m16n32k128s2w2", 1}, {12, 8192, 28672, false, "m16n32k128s2w4", 1},
  };
  // The n16 ties at M <= 4 forced on an H200 (twenty-fifth session,
  // bench/results/2026-11-28-h200-session25/call2-n16-ties/), same rule.
  const Measured measured_h200[] = {
      {1, 3072, 8192, true, "m8n32k128s2w4", 4},   {4, 3072, 8192, true, "m8n32k128s2w4", 4},
      {1, 4096, 8192, true, "m8n32k128s2w4", 4},   {2, 4096, 14336, true, "m8n32k128s2w4", 4},
      {1, 4096, 4096, true, "m8n16k128s3w8", 1},   {4, 4096, 4096, true, "m8n16k128s3w8", 1},
      {1, 3072, 8192, false, "m8n16k128s3w8", 1},  {1, 4096, 8192, false, "m8n16k128s3w8", 1},
      {1, 4096, 14336, false, "m8n32k128s2w4", 4}, {4, 4096, 14336, false, "m8n32k128s2w4", 4},
      {1, 4096, 4096, false, "m8n16k128s3w8", 1},
      // n32 w4 within two waves where w2 is the most within one (call4-long-k).
      {1, 28672, 8192, true, "m8n32k128s2w4", 1},  {8, 28672, 8192, true, "m8n32k128s2w4", 1},
      {1, 28672, 4096, true, "m8n32k128s2w4", 1},  {1, 28672, 14336, true, "m8n32k128s2w4", 1},
      {1, 14336, 16384, true, "m8n32k128s2w4", 1}, {8, 14336, 16384, true, "m8n32k128s2w4", 1},
      {1, 20480, 8192, true, "m8n32k128s2w4", 1},  // 9% off w8 at 2.4 waves; w2 32% off
  };
  std::vector<Measured> all(std::begin(measured), std::end(measured));
  all.insert(all.end(), std::begin(measured_h200), std::end(measured_h200));
  for (const Measured& m : all) {
    const Problem p{m.M, m.N, m.K, 128, true};
    const GemmPlan plan = m.packed ? w4a16::dispatch::plan_packed(p, kH100) : plan_gemm(p, kH100);
    const std::string want = std::string(m.packed ? "decr_" : "dec_") + m.want;
    EXPECT_EQ(std::string(name_of(plan.config)), want) << m.M << "x" << m.N << "x" << m.K << ": " << plan.reason;
    EXPECT_EQ(plan.split_k, m.split) << m.M << "x" << m.N << "x" << m.K;
  }
  // N = 4096 over M = 1..16 and three K, canonical: n16 at M <= 4 and
  // K <= 8192 (a tie in warps in flight with n32 w4 split 4, which takes
  // M = 5..8 and longer K); M = 9..16: w8 unsplit and w2 split 4 both put
  // 1024 warps in flight, the tie goes to w8.
  for (int K : {4096, 14336, 28672}) {
    for (int M = 1; M <= 16; ++M) {
      const GemmPlan plan = plan_gemm(Problem{M, 4096, K, 128, true}, kSm80Rules);
      const Sm80MmaConfigId want = M > 8                ? Sm80MmaConfigId::dec_m16n32k128s2w8
                                   : M <= 4 && K <= 8192 ? Sm80MmaConfigId::dec_m8n16k128s3w8
                                                         : Sm80MmaConfigId::dec_m8n32k128s2w4;
      EXPECT_EQ(plan.config, want) << M << " " << K << ": " << plan.reason;
    }
  }
  EXPECT_EQ(plan_gemm(Problem{1, 7424, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::dec_m8n32k128s2w8);
  // 16 < M <= 32 with few 128-row column tiles (N = 4096: 32 < 3/4 of 132): the
  // 16-token decode tile over 2 token tiles; many column tiles: the 64-row tile.
  for (int M : {17, 24, 32}) {
    EXPECT_EQ(plan_gemm(Problem{M, 4096, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::dec_m16n32k128s2w4);
    EXPECT_EQ(plan_gemm(Problem{M, 4096, 14336, 128, true}, kSm80Rules).config, Sm80MmaConfigId::dec_m16n32k128s2w4);
    EXPECT_EQ(plan_gemm(Problem{M, 14336, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::rdq_m64n128k64s4);
  }
  EXPECT_EQ(plan_gemm(Problem{33, 4096, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::rdq_m64n128k64s4);
  EXPECT_EQ(plan_gemm(Problem{64, 4096, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::rdq_m64n128k64s4);
  // M = 128/256 on N = 4096: 32/64 tiles of 128 rows, under 3/4 of 132 SMs -> 64-row tiles.
  EXPECT_EQ(plan_gemm(Problem{128, 4096, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::rdq_m64n128k64s4);
  EXPECT_EQ(plan_gemm(Problem{256, 4096, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::rdq_m64n128k64s4);
  // M = 256 on N = 14336: 224 tiles of 128 rows -> the shared-dequant kernel.
  EXPECT_EQ(plan_gemm(Problem{256, 14336, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::sdq_m128n128k64s4);
  EXPECT_EQ(plan_gemm(Problem{2048, 2048, 2048, 128, true}, kSm80Rules).config, Sm80MmaConfigId::sdq_m128n128k64s4);
  EXPECT_EQ(plan_gemm(Problem{8192, 4096, 4096, 128, true}, kSm80Rules).config, Sm80MmaConfigId::sdq_m128n128k64s4);
  // Tiny: the spec's 256^3 has 8 tiles of 64 rows -> 16-row tiles.
  EXPECT_EQ(plan_gemm(Problem{256, 256, 256, 128, true}, kSm80Rules).config, Sm80MmaConfigId::rdq_m16n128k128s6);
}

TEST(Dispatch, SplitKNeverExceedsOneWave) {
  for (int M : {1, 8, 16, 33, 64, 128, 256}) {
    for (int N : {4096, 14336}) {
      const Problem p{M, N, 4096, 128, true};
      const GemmPlan plan = plan_gemm(p, kSm80Rules);
      const auto& c = kSm80MmaConfigs[static_cast<int>(plan.config)];
      const int tiles = ((M + c.bm - 1) / c.bm) * ((N + c.bn - 1) / c.bn);
      if (plan.split_k > 1) {
        EXPECT_LE(tiles * plan.split_k, kSm80Rules.sm_count * c.min_blocks) << "M=" << M << " N=" << N;
      }
      // Partial-sum traffic stays below the packed weight bytes (or the split is 2).
      if (plan.split_k > 2) {
        EXPECT_LE(static_cast<double>(plan.split_k) * M * N * 8, N * 4096.0 / 2 + 1) << "M=" << M << " N=" << N;
      }
    }
  }
}

// The Hopper rules (fitted to bench/results/2026-11-25-h100-issue4-sweep{1,2}):
// per (M, N, K) on 132 SMs, the configuration the sweep measured fastest or
// within 5% of it.  Without sm_90a kernels in the build, the sm_80 rules.
TEST(Dispatch, HopperBuckets) {
  struct Row {
    int M, N, K;
    const char* want;
  };
  const Row rows[] = {
      {1, 4096, 4096, "dec_m8n16k128s3w8"},       {12, 4096, 4096, "dec_m16n32k128s2w8"},
      {16, 14336, 4096, "dec_m16n32k128s2w2"},    {16, 4096, 14336, "dec_m16n32k128s2w8"},
      {24, 4096, 4096, "dec_m16n32k128s2w4"},     {33, 4096, 4096, "rdq_m64n128k64s4"},
      {17, 14336, 4096, "sm90_coop_n128m64k64"},  {64, 14336, 4096, "sm90_coop_n128m64k64"},
      {128, 14336, 4096, "sm90_coop_n128m128k64"}, {256, 14336, 4096, "sm90_coop_n128m256k64"},
      {512, 14336, 4096, "sm90_coop_n128m256k64"}, {512, 4096, 4096, "sm90_coop_n128m128k64"},
      {128, 4096, 14336, "sm90_coop_n128m128k64_sk"}, {256, 4096, 14336, "sm90_coop_n128m256k64_sk"},
      {48, 4096, 14336, "sm90_coop_n128m64k64_sk"}, {64, 4096, 14336, "sm90_coop_n128m64k64_sk"},
      {32, 4096, 14336, "dec_m16n32k128s2w4"},     {64, 4096, 4096, "rdq_m64n128k64s4"},
      {128, 4096, 4096, "sm90_pp_n64m128k64"},    {256, 4096, 4096, "sm90_pp_n64m128k64"},
      {1024, 4096, 4096, "sm90_coop_n128m256k64"}, {8192, 4096, 14336, "sm90_coop_n128m256k64"},
      {4096, 5120, 8192, "sm90_coop_n128m256k64"}, {600, 1024, 1024, "sm90_coop_n128m128k64"},
      {256, 256, 256, "rdq_m16n128k128s6"},       {2048, 2048, 2048, "sm90_coop_n128m256k64"},
      // M > 512, the cheapest tiling: stream-K where 128x256 tiles run 1.5 or 3.4 waves.
      {1536, 4096, 4096, "sm90_coop_n128m256k64_sk"}, {1024, 14336, 4096, "sm90_coop_n128m256k64_sk"},
      {776, 4096, 4096, "sm90_coop_n128m256k64"},   {640, 4096, 4096, "sm90_coop_n128m192k64"},
      {576, 14336, 4096, "sm90_coop_n128m192k64"},
      // 128 < M <= 512: 192-token tiles where they pad M less and fill more than half the SMs.
      {160, 14336, 4096, "sm90_coop_n128m192k64"}, {384, 14336, 4096, "sm90_coop_n128m192k64"},
      {160, 4096, 4096, "sm90_pp_n64m128k64"},
  };
  const bool built = w4a16::kernels::sm90_mixed_available();
  for (const Row& r : rows) {
    const Problem p{r.M, r.N, r.K, 128, true};
    const GemmPlan plan = plan_gemm(p, kH100);
    const std::string got = plan.sm90 ? w4a16::kernels::kSm90MixedConfigs[static_cast<int>(plan.sm90_config)].name
                                      : name_of(plan.config);
    SCOPED_TRACE("M=" + std::to_string(r.M) + " N=" + std::to_string(r.N) + " K=" + std::to_string(r.K) + ": " +
                 plan.reason);
    if (built || std::string(r.want).rfind("sm90_", 0) != 0) {
      EXPECT_EQ(got, r.want);
    } else {
      EXPECT_FALSE(plan.sm90);
      EXPECT_NE(plan.reason.find("no sm_90a"), std::string::npos);
    }
  }
  // The CUTLASS kernels cannot take g = 32 or N % 8 != 0: the sm_80 tiles, with the reason.
  for (const Problem& p : {Problem{256, 14336, 4096, 32, true}, Problem{256, 14340, 4096, 128, true}}) {
    const GemmPlan plan = plan_gemm(p, kH100);
    EXPECT_FALSE(plan.sm90);
    EXPECT_NE(plan.reason.find("cannot run"), std::string::npos) << plan.reason;
  }
  // Other archs never get them.
  EXPECT_FALSE(plan_gemm(Problem{256, 14336, 4096, 128, true}, kThor).sm90);
}

TEST(Dispatch, ForcedConfig) {
  const Problem p{3, 4096, 4096, 128, true};
  GemmPlan plan;
  std::string error;
  for (const auto& c : kSm80MmaConfigs) {
    const auto layout = w4a16::kernels::reads_packed(c.kind) ? w4a16::dispatch::PackedLayout::sm90_fragment
                                                             : w4a16::dispatch::PackedLayout::canonical;
    ASSERT_TRUE(w4a16::dispatch::plan_forced(p, kH100, c.name, &plan, &error, layout)) << error;
    EXPECT_STREQ(name_of(plan.config), c.name);
  }
  ASSERT_TRUE(w4a16::dispatch::plan_forced(p, kH100, "rdq_m16n128k128s6:3", &plan, &error)) << error;
  EXPECT_EQ(plan.split_k, 3);
  EXPECT_EQ(plan.workspace_bytes, 3u * 3 * 4096 * sizeof(float));
  EXPECT_FALSE(w4a16::dispatch::plan_forced(p, kH100, "no_such_config", &plan, &error));
  EXPECT_NE(error.find("no_such_config"), std::string::npos);
  EXPECT_FALSE(w4a16::dispatch::plan_forced(p, kH100, "rdq_m16n128k128s6:0", &plan, &error));
  EXPECT_FALSE(w4a16::dispatch::plan_forced(p, kH100, "rdq_m16n128k128s6:3x", &plan, &error));
  EXPECT_NE(error.find("split_k must be 1..64"), std::string::npos) << error;
  // A plan object reused for another forced configuration keeps nothing of the first.
  if (w4a16::kernels::sm90_mixed_available()) {
    ASSERT_TRUE(w4a16::dispatch::plan_forced(p, kH100, "sm90_coop_n128m128k64_rp", &plan, &error)) << error;
    ASSERT_TRUE(plan.sm90 && plan.weights_reordered);
  }
  ASSERT_TRUE(w4a16::dispatch::plan_forced(p, kH100, "rdq_m16n128k128s6", &plan, &error)) << error;
  EXPECT_FALSE(plan.sm90);
  EXPECT_FALSE(plan.weights_reordered);
  EXPECT_EQ(plan.sm90_splits, 0);
}

TEST(Dispatch, SplitKFillsTheGpuForSmallProblems) {
  // M = 40, N = 4096 on the sm_80 rules: 32 tiles of 64 x 128 on 132 SMs x 2 resident -> split.
  const Problem p{40, 4096, 4096, 128, true};
  const GemmPlan plan = plan_gemm(p, kSm80Rules);
  EXPECT_EQ(plan.config, Sm80MmaConfigId::rdq_m64n128k64s4);
  EXPECT_GT(plan.split_k, 1);
  EXPECT_LE(plan.split_k, 16);
  EXPECT_EQ(plan.workspace_bytes, static_cast<size_t>(plan.split_k) * 40 * 4096 * sizeof(float));
  // Every split keeps at least four k-tiles.
  const auto& c = kSm80MmaConfigs[static_cast<int>(plan.config)];
  EXPECT_GE((p.K / c.bk) / plan.split_k, 4);
}

TEST(Dispatch, NoSplitWhenTilesFillTheGpu) {
  for (int M : {1024, 4096, 8192}) {
    const GemmPlan plan = plan_gemm(Problem{M, 14336, 4096, 128, true}, kSm80Rules);
    EXPECT_EQ(plan.split_k, 1) << "M=" << M;
    EXPECT_EQ(plan.workspace_bytes, 0u) << "M=" << M;
  }
}

TEST(Dispatch, SplitKBoundedByKDepth) {
  // K = 64: one k-tile; no split whatever the occupancy.
  EXPECT_EQ(plan_gemm(Problem{1, 128, 64, 64, false}, kH100).split_k, 1);
  // K = 256 with BK = 128: two tiles, fewer than 4 per split -> no split.
  EXPECT_EQ(plan_gemm(Problem{1, 128, 256, 128, false}, kH100).split_k, 1);
  // K = 1024, BK = 128: 8 tiles -> at most 2 splits.
  EXPECT_LE(plan_gemm(Problem{1, 128, 1024, 128, false}, kH100).split_k, 2);
}

TEST(Dispatch, DecodeSplitsOnlyWhenTilesLeaveThreeQuartersOfTheGpuIdle) {
  // 256 tiles of 16 columns fill more than a quarter of the 132 x 2 resident
  // CTAs: no split (a split shortens latency-bound CTAs and measured slower:
  // the n16 tile at 1 x 2048 x 4096 took 5.3 us unsplit, 5.9 at split 2).
  // N = 2048 now takes the n32 tile split 4 instead (choose_decode: 5.4 us
  // against 5.9 for n16 unsplit, nineteenth session).
  EXPECT_EQ(plan_gemm(Problem{1, 4096, 4096, 128, true}, kH100).split_k, 1);
  EXPECT_EQ(plan_gemm(Problem{1, 14336, 4096, 128, true}, kH100).split_k, 1);
  EXPECT_EQ(plan_gemm(Problem{1, 2048, 4096, 128, true}, kH100).split_k, 4);
  EXPECT_EQ(plan_gemm(Problem{16, 2048, 4096, 128, true}, kH100).split_k, 4);
  // 32 tiles (N = 512) and 32 16-token tiles of 32 columns (N = 1024, 132
  // resident): split 4, the cap (1 x 512 x 4096: 3.9 us at 4, 4.2 at 8).
  EXPECT_EQ(plan_gemm(Problem{1, 512, 4096, 128, true}, kH100).split_k, 4);
  EXPECT_EQ(plan_gemm(Problem{16, 1024, 4096, 128, true}, kH100).split_k, 4);
  // At least one k block per warp: K = 1024 is 8 blocks for 8 warps along K.
  EXPECT_EQ(plan_gemm(Problem{1, 512, 1024, 128, true}, kH100).split_k, 1);
  // 64 tiles (N = 1024): split 4; the workspace holds the fp32 partials
  // only (splitk_reduce adds them).
  const Problem small{1, 1024, 8192, 128, true};
  const GemmPlan plan = plan_gemm(small, kH100);
  EXPECT_EQ(plan.config, Sm80MmaConfigId::dec_m8n16k128s3w8);
  EXPECT_GT(plan.split_k, 1);
  EXPECT_LE(64 * plan.split_k, 132 * 2);
  EXPECT_GE(64 / plan.split_k / 8, 2);
  EXPECT_EQ(plan.workspace_bytes, static_cast<size_t>(plan.split_k) * 1024 * sizeof(float));
  // 16-token decode at N = 4096, K = 14336: 128 tiles of 32 columns, one
  // 8-warp CTA per SM -> no split.
  EXPECT_EQ(plan_gemm(Problem{16, 4096, 14336, 128, true}, kH100).split_k, 1);
}

TEST(Dispatch, SmallGpusSplitLess) {
  const Problem p{12, 4096, 4096, 128, true};
  EXPECT_LE(plan_gemm(p, kOrin).split_k, plan_gemm(p, kH100).split_k);
  EXPECT_LE(plan_gemm(p, kThor).split_k, plan_gemm(p, kH100).split_k);
}

TEST(Dispatch, DescribeNamesTheConfigAndReason) {
  const Problem p{1, 4096, 4096, 128, true};
  const GemmPlan plan = plan_gemm(p, kH100);
  const std::string text = w4a16::dispatch::describe(plan, p);
  EXPECT_NE(text.find(name_of(plan.config)), std::string::npos) << text;
  EXPECT_NE(text.find("split_k=" + std::to_string(plan.split_k)), std::string::npos) << text;
  EXPECT_NE(text.find("M <= 8"), std::string::npos) << text;
}

TEST(Dispatch, DeterministicPlan) {
  const Problem p{7, 14336, 4096, 64, false};
  const GemmPlan a = plan_gemm(p, kH100), b = plan_gemm(p, kH100);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.split_k, b.split_k);
  EXPECT_EQ(a.workspace_bytes, b.workspace_bytes);
}

void expect_same_plan(const GemmPlan& a, const GemmPlan& b) {
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.split_k, b.split_k);
  EXPECT_EQ(a.workspace_bytes, b.workspace_bytes);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.sm90, b.sm90);
  EXPECT_EQ(a.sm90_config, b.sm90_config);
  EXPECT_EQ(a.sm90_splits, b.sm90_splits);
  EXPECT_EQ(a.weights_reordered, b.weights_reordered);
  EXPECT_EQ(a.reordered_w_offset, b.reordered_w_offset);
  EXPECT_EQ(a.scales_t_offset, b.scales_t_offset);
  EXPECT_EQ(a.zeros_t_offset, b.zeros_t_offset);
  EXPECT_EQ(a.sm90_programmatic_reduce, b.sm90_programmatic_reduce);
  EXPECT_EQ(a.cutlass_ws_offset, b.cutlass_ws_offset);
  EXPECT_EQ(a.cutlass_ws_bytes, b.cutlass_ws_bytes);
  EXPECT_EQ(a.packed, b.packed);
}

GemmPlan direct_plan(const Problem& p, const Device& d, w4a16::dispatch::PackedLayout layout) {
  return layout == w4a16::dispatch::PackedLayout::sm90_fragment ? w4a16::dispatch::plan_packed(p, d) : plan_gemm(p, d);
}

// The API's memo of plans (dispatch/plan_cache.h) returns what the dispatcher
// would, for each key apart: shapes, devices and both weight layouts that
// plan differently, asked twice, from several threads at once, and after the
// memo has been emptied at its capacity.
TEST(Dispatch, CachedPlansAreTheDispatchersPlans) {
  using w4a16::dispatch::cached_plan;
  using w4a16::dispatch::PackedLayout;
  std::vector<std::pair<Problem, Device>> keys;
  for (const Device& d : {kH100, kSm80Rules, kThor})
    for (const int m : {1, 16, 17, 64, 128, 300, 4096})
      for (const bool zeros : {true, false})
        keys.push_back({Problem{m, 4096 + (zeros ? 0 : 16), 14336, zeros ? 128 : 64, zeros}, d});
  for (const auto& [p, d] : keys)
    for (const PackedLayout layout : {PackedLayout::canonical, PackedLayout::sm90_fragment}) {
      SCOPED_TRACE(describe(direct_plan(p, d, layout), p));
      const GemmPlan want = direct_plan(p, d, layout);
      expect_same_plan(cached_plan(p, d, layout), want);
      const size_t held = w4a16::dispatch::plan_cache_size();
      expect_same_plan(cached_plan(p, d, layout), want);  // the hit
      EXPECT_EQ(w4a16::dispatch::plan_cache_size(), held);
    }
  // The same key under another layout or device is another entry.
  const Problem p{1, 14336, 4096, 128, true};
  EXPECT_NE(cached_plan(p, kH100, PackedLayout::canonical).config, Sm80MmaConfigId::kCount);
  EXPECT_NE(describe(cached_plan(p, kH100, PackedLayout::canonical), p),
            describe(cached_plan(p, kH100, PackedLayout::sm90_fragment), p));

  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const auto& [q, d] = keys[(i * 7 + t) % keys.size()];
        const PackedLayout layout = i % 2 ? PackedLayout::sm90_fragment : PackedLayout::canonical;
        const GemmPlan got = cached_plan(q, d, layout), want = direct_plan(q, d, layout);
        if (got.config != want.config || got.split_k != want.split_k || got.sm90_config != want.sm90_config ||
            got.sm90_splits != want.sm90_splits || got.reason != want.reason)
          ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;

  // More distinct keys than the capacity: the memo stays bounded and right.
  for (size_t i = 0; i < w4a16::dispatch::kPlanCacheCapacity + 100; ++i) {
    const Problem q{1 + static_cast<int>(i % 512), 1024 + 16 * static_cast<int>(i / 512), 4096, 128, true};
    const GemmPlan got = cached_plan(q, kH100, PackedLayout::canonical);
    EXPECT_LE(w4a16::dispatch::plan_cache_size(), w4a16::dispatch::kPlanCacheCapacity);
    if (i % 997 == 0) expect_same_plan(got, plan_gemm(q, kH100));
  }
  expect_same_plan(cached_plan(keys[0].first, keys[0].second, PackedLayout::canonical),
                   plan_gemm(keys[0].first, keys[0].second));
}

// The memo of CUTLASS's kernel Params (sm90_launch_memo.h) keys on every
// argument the Params depend on: a change to any one of them misses; the two
// launch flags (how the kernels are launched, not what they are given) hit.
struct FakeCutlassParams {
  alignas(64) unsigned char descriptor[128];  // as a TMA descriptor: 64-byte aligned
  int id;
};

w4a16::kernels::Sm90MixedParams memo_base_params() {
  alignas(16) static char arena[8][64];
  w4a16::kernels::Sm90MixedParams p{};
  p.x = arena[0];
  p.wq = arena[1];
  p.scales_t = arena[2];
  p.zeros_t = arena[3];
  p.y = arena[4];
  p.workspace = arena[5];
  p.workspace_bytes = 1 << 20;
  p.M = 48;
  p.N = 512;
  p.K = 1024;
  p.group_size = 128;
  p.alpha = 1.0f;
  p.beta = 0.0f;
  p.device = 0;
  p.sm_count = 132;
  p.splits = 2;
  return p;
}

TEST(Sm90LaunchMemo, KeysOnEveryArgumentButTheLaunchFlags) {
  using w4a16::kernels::Sm90MixedParams;
  w4a16::kernels::Sm90LaunchMemo<FakeCutlassParams> memo;
  const Sm90MixedParams base = memo_base_params();
  FakeCutlassParams params{};
  params.id = 7;
  memo.insert(base, params);
  FakeCutlassParams out{};
  ASSERT_TRUE(memo.find(base, &out));
  EXPECT_EQ(out.id, 7);
  static char other[64];
  const std::vector<std::pair<const char*, void (*)(Sm90MixedParams&)>> changes = {
      {"x", [](Sm90MixedParams& p) { p.x = other; }},
      {"wq", [](Sm90MixedParams& p) { p.wq = other; }},
      {"scales_t", [](Sm90MixedParams& p) { p.scales_t = other; }},
      {"zeros_t", [](Sm90MixedParams& p) { p.zeros_t = other; }},
      {"y", [](Sm90MixedParams& p) { p.y = other; }},
      {"workspace", [](Sm90MixedParams& p) { p.workspace = other; }},
      {"workspace_bytes", [](Sm90MixedParams& p) { p.workspace_bytes += 256; }},
      {"M", [](Sm90MixedParams& p) { p.M += 1; }},
      {"N", [](Sm90MixedParams& p) { p.N += 16; }},
      {"K", [](Sm90MixedParams& p) { p.K += 128; }},
      {"group_size", [](Sm90MixedParams& p) { p.group_size = 64; }},
      {"alpha", [](Sm90MixedParams& p) { p.alpha = 0.5f; }},
      {"beta", [](Sm90MixedParams& p) { p.beta = 1.0f; }},
      {"beta -0.0", [](Sm90MixedParams& p) { p.beta = -0.0f; }},
      {"device", [](Sm90MixedParams& p) { p.device = 1; }},
      {"sm_count", [](Sm90MixedParams& p) { p.sm_count = 114; }},
      {"splits", [](Sm90MixedParams& p) { p.splits = 4; }},
  };
  for (const auto& [name, change] : changes) {
    Sm90MixedParams p = base;
    change(p);
    EXPECT_FALSE(memo.find(p, &out)) << "a change of " << name << " hit the memo";
    // The comparison itself, not only the hash (which could tell most keys apart on its own).
    EXPECT_FALSE(w4a16::kernels::launch_key(p) == w4a16::kernels::launch_key(base)) << name;
  }
  Sm90MixedParams flags = base;
  flags.programmatic = !base.programmatic;
  flags.programmatic_reduce = !base.programmatic_reduce;
  EXPECT_TRUE(memo.find(flags, &out));
  EXPECT_EQ(memo.size(), 1u);
}

TEST(Sm90LaunchMemo, BoundedAndThreadSafe) {
  using w4a16::kernels::kSm90LaunchMemoCapacity;
  using w4a16::kernels::Sm90MixedParams;
  w4a16::kernels::Sm90LaunchMemo<FakeCutlassParams> memo;
  const Sm90MixedParams base = memo_base_params();
  // More argument sets than the capacity (a sweep): bounded, each found right after it went in.
  for (size_t i = 0; i < kSm90LaunchMemoCapacity + 100; ++i) {
    Sm90MixedParams p = base;
    p.M = 1 + static_cast<int>(i);
    FakeCutlassParams params{};
    params.id = p.M;
    memo.insert(p, params);
    FakeCutlassParams out{};
    ASSERT_TRUE(memo.find(p, &out));
    EXPECT_EQ(out.id, p.M);
    EXPECT_LE(memo.size(), kSm90LaunchMemoCapacity);
  }
  // Four threads inserting and reading 64 argument sets: every hit is its own set's entry.
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0), hits(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4000; ++i) {
        Sm90MixedParams p = base;
        p.M = 5000 + (i * 13 + t) % 64;
        FakeCutlassParams out{};
        if (memo.find(p, &out)) {
          ++hits[t];
          if (out.id != p.M) ++wrong[t];
        } else {
          FakeCutlassParams params{};
          params.id = p.M;
          memo.insert(p, params);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(wrong[t], 0) << "thread " << t;
    EXPECT_GT(hits[t], 0) << "thread " << t;
  }
}

}  // namespace

// What each Hopper CUTLASS configuration refuses, forced, is decided on the
// host, with the reason.
TEST(Dispatch, Sm90ForcedConfigurationsSayWhyTheyCannotRun) {
  using w4a16::kernels::kSm90MixedConfigs;
  const auto& c = kSm90MixedConfigs[0];
  const bool built = w4a16::kernels::sm90_mixed_available();
  EXPECT_EQ(sm90_reject_reason(Problem{256, 4096, 4096, 128, true}, kH100, c, true), "");
  EXPECT_EQ(sm90_reject_reason(Problem{256, 4096, 4096, 4096, false}, kH100, c, true), "");
  EXPECT_NE(sm90_reject_reason(Problem{256, 4096, 4096, 32, true}, kH100, c, true).find("group size 32"),
            std::string::npos);
  EXPECT_NE(sm90_reject_reason(Problem{256, 4100, 4096, 128, true}, kH100, c, true).find("multiple of 8"),
            std::string::npos);
  EXPECT_NE(sm90_reject_reason(Problem{256, 4096, 4096, 128, true}, kOrin, c, true).find("sm_90"),
            std::string::npos);
  EXPECT_NE(sm90_reject_reason(Problem{256, 4096, 4096, 128, true}, kH100, c, false).find("no sm_90a"),
            std::string::npos);
  // A 128-deep tile takes g = 128 (and per-channel), not g = 64.
  const auto& deep = *std::find_if(std::begin(kSm90MixedConfigs), std::end(kSm90MixedConfigs),
                                   [](const auto& x) { return std::string(x.name) == "sm90_coop_n128m64k128_rp"; });
  EXPECT_EQ(sm90_reject_reason(Problem{64, 4096, 4096, 128, true}, kH100, deep, true), "");
  EXPECT_EQ(sm90_reject_reason(Problem{64, 4096, 4096, 4096, true}, kH100, deep, true), "");
  EXPECT_NE(sm90_reject_reason(Problem{64, 4096, 4096, 64, true}, kH100, deep, true)
                .find("group size 64 is neither K nor a multiple of the tile's K = 128"),
            std::string::npos);

  GemmPlan plan{};
  std::string error;
  const Problem p{256, 4096, 4096, 128, true};
  if (built) {
    ASSERT_TRUE(plan_forced(p, kH100, c.name, &plan, &error)) << error;
    EXPECT_TRUE(plan.sm90);
    EXPECT_EQ(plan.split_k, 1);
    // Transposed scales and zeros, [K/g, N] bf16 each, 256-byte aligned.
    EXPECT_EQ(plan.scales_t_offset, 0u);
    EXPECT_EQ(plan.zeros_t_offset, 32u * 4096 * 2);
    EXPECT_EQ(plan.workspace_bytes, 2u * 32 * 4096 * 2);
    EXPECT_NE(describe(plan, p).find("CUTLASS sm90"), std::string::npos) << describe(plan, p);
  } else {
    EXPECT_FALSE(plan_forced(p, kH100, c.name, &plan, &error));
    EXPECT_NE(error.find("no sm_90a"), std::string::npos) << error;
  }
  if (built) {
    // Stream-K: CUTLASS's own workspace after the transposed group params
    // (its size is host arithmetic: here 14336 x 4096 at M = 4096 on 132 SMs).
    const Problem big{4096, 14336, 4096, 128, true};
    ASSERT_TRUE(plan_forced(big, kH100, "sm90_coop_n128m128k64_sk", &plan, &error)) << error;
    EXPECT_GT(plan.cutlass_ws_bytes, 0u);
    EXPECT_EQ(plan.cutlass_ws_offset % 256, 0u);
    EXPECT_GE(plan.cutlass_ws_offset, 2u * 32 * 14336 * 2);
    EXPECT_EQ(plan.workspace_bytes, plan.cutlass_ws_offset + plan.cutlass_ws_bytes);
    ASSERT_TRUE(plan_forced(big, kH100, "sm90_coop_n128m128k64", &plan, &error)) << error;
    EXPECT_EQ(plan.cutlass_ws_bytes, 0u);
    EXPECT_EQ(plan.sm90_splits, 0);
    // Forced split-K on the stream-K configuration: CUTLASS's workspace holds
    // an fp32 accumulator per 128x128 output tile (the splits add into it in
    // a fixed order) plus its flags; other configurations take no :SPLIT.
    const Problem mid{128, 4096, 4096, 128, true};
    ASSERT_TRUE(plan_forced(mid, kH100, "sm90_coop_n128m128k64_sk:4", &plan, &error)) << error;
    EXPECT_EQ(plan.sm90_splits, 4);
    EXPECT_GE(plan.cutlass_ws_bytes, 32u * 128 * 128 * 4);
    EXPECT_NE(describe(plan, mid).find("split_k=4"), std::string::npos) << describe(plan, mid);
    EXPECT_FALSE(plan_forced(mid, kH100, "sm90_coop_n128m128k64:2", &plan, &error));
    EXPECT_NE(error.find("only the stream-K"), std::string::npos) << error;
    EXPECT_EQ(plan_gemm(mid, kH100).sm90_splits, 0);  // the dispatcher never splits (measured, see dispatch.cpp)
  }
  if (built) {
    // Reordered weights: their copy first (N * K / 2 bytes), then the
    // transposed group params; N and K must be multiples of 16.
    ASSERT_TRUE(plan_forced(p, kH100, "sm90_coop_n128m128k64_rp", &plan, &error)) << error;
    EXPECT_TRUE(plan.weights_reordered);
    EXPECT_EQ(plan.reordered_w_offset, 0u);
    EXPECT_EQ(plan.scales_t_offset, 4096u * 4096 / 2);
    EXPECT_EQ(plan.workspace_bytes, 4096u * 4096 / 2 + 2u * 32 * 4096 * 2);
    EXPECT_FALSE(plan_forced(Problem{256, 4104, 4096, 128, true}, kH100, "sm90_coop_n128m128k64_rp", &plan, &error));
    EXPECT_NE(error.find("multiples of 16"), std::string::npos) << error;
    ASSERT_TRUE(plan_forced(Problem{256, 4104, 4096, 128, true}, kH100, c.name, &plan, &error)) << error;
    EXPECT_FALSE(plan.weights_reordered);
  }
  EXPECT_FALSE(plan_forced(Problem{256, 4096, 4096, 32, true}, kH100, c.name, &plan, &error));
  std::string spec = std::string(c.name) + ":2";
  EXPECT_FALSE(plan_forced(p, kH100, spec.c_str(), &plan, &error));
}

// ---- autotune: the persisted table and the candidate list ------------------

namespace autotune_test {

using w4a16::dispatch::AutotuneCache;
using w4a16::dispatch::TuneChoice;
using w4a16::dispatch::TuneFingerprint;
using w4a16::dispatch::TuneKey;

TuneFingerprint h100_fingerprint() {
  TuneFingerprint fp;
  fp.library = "0.1.0";
  fp.gpu = "NVIDIA H100 80GB HBM3";
  fp.arch = 90;
  fp.sm_count = 132;
  return fp;
}

std::string temp_path(const char* name) {
  return (testing::TempDir() + "/w4a16_" + name + "_" + std::to_string(::getpid()) + ".txt");
}

void write_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

const char* kHeader = "w4a16-autotune 2\nlibrary 0.1.0\ngpu NVIDIA H100 80GB HBM3\narch 90 sm_count 132\n";

}  // namespace autotune_test

TEST(Autotune, SavedTableLoadsBack) {
  using namespace autotune_test;
  const std::string path = temp_path("roundtrip");
  AutotuneCache cache;
  cache.put(TuneKey{1, 4096, 4096, 128, true}, TuneChoice{"dec_m8n16k128s3w8:1", 6.875});
  cache.put(TuneKey{256, 14336, 4096, 64, false}, TuneChoice{"sm90_coop_n128m64k64", 41.5});
  cache.put(TuneKey{256, 14336, 4096, 64, false, 1}, TuneChoice{"sm90_coop_n128m256k64_ks_rp:2", 40.25});
  std::string error;
  ASSERT_TRUE(cache.save(path, h100_fingerprint(), &error)) << error;
  AutotuneCache loaded;
  std::string warning;
  ASSERT_TRUE(loaded.load(path, h100_fingerprint(), &warning)) << warning;
  EXPECT_EQ(loaded.size(), 3u);
  const TuneChoice* c = loaded.find(TuneKey{256, 14336, 4096, 64, false});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->spec, "sm90_coop_n128m64k64");
  EXPECT_NEAR(c->time_us, 41.5, 1e-3);
  const TuneChoice* packed = loaded.find(TuneKey{256, 14336, 4096, 64, false, 1});  // the layout is part of the key
  ASSERT_NE(packed, nullptr);
  EXPECT_EQ(packed->spec, "sm90_coop_n128m256k64_ks_rp:2");
  EXPECT_EQ(loaded.find(TuneKey{256, 14336, 4096, 64, true}), nullptr);  // zeros are part of the key
  std::remove(path.c_str());
}

TEST(Autotune, MissingFileIsSilentStaleAndCorruptFilesWarnAndLoadNothing) {
  using namespace autotune_test;
  AutotuneCache cache;
  std::string warning;
  EXPECT_FALSE(cache.load(temp_path("missing"), h100_fingerprint(), &warning));
  EXPECT_EQ(warning, "");

  const std::string path = temp_path("bad");
  struct Case {
    std::string text, expect;
  };
  const Case cases[] = {
      {std::string(kHeader) + "1 4096 4096 128 1 0 dec_m8n16k128s3w8:1 6.9\n", ""},  // good
      // the previous format (no layout column), otherwise valid
      {"w4a16-autotune 1\nlibrary 0.1.0\ngpu NVIDIA H100 80GB HBM3\narch 90 sm_count 132\n"
       "1 4096 4096 128 1 dec_m8n16k128s3w8:1 6.9\n", "stale"},
      {"w4a16-autotune 2\nlibrary 0.0.9\ngpu NVIDIA H100 80GB HBM3\narch 90 sm_count 132\n", "stale"},
      {"w4a16-autotune 2\nlibrary 0.1.0\ngpu NVIDIA H200\narch 90 sm_count 132\n", "stale"},
      {"w4a16-autotune 2\nlibrary 0.1.0\ngpu NVIDIA H100 80GB HBM3\narch 90 sm_count 114\n", "stale"},
      {"garbage\n", "not an autotune header"},
      {"w4a16-autotune 2\nlibrary 0.1.0\n", "truncated"},
      {std::string(kHeader) + "1 4096 4096 128 1 0 dec_m8n16k128s3w8:1\n", "line 5"},
      {std::string(kHeader) + "1 4096 4096 128 1 dec_m8n16k128s3w8:1 6.9\n", "does not parse"},  // no layout
      {std::string(kHeader) + "1 4096 4096 128 2 0 dec_m8n16k128s3w8:1 6.9\n", "impossible problem"},
      {std::string(kHeader) + "1 4096 4096 128 1 2 dec_m8n16k128s3w8:1 6.9\n", "impossible problem"},
      {std::string(kHeader) + "1 4096 4096 128 1 0 ../../etc/passwd 6.9\n", "invalid configuration spec"},
      {std::string(kHeader) + "1 4096 4096 128 1 0 dec_m8n16k128s3w8:1 -3\n", "impossible time"},
      {std::string(kHeader) + "1 4096 4096 128 1 0 dec_m8n16k128s3w8:1 6.9 extra\n", "does not parse"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    write_file(path, c.text);
    cache.put(TuneKey{7, 7, 7, 7, false}, TuneChoice{"x", 1.0});
    const bool ok = cache.load(path, h100_fingerprint(), &warning);
    if (c.expect.empty()) {
      EXPECT_TRUE(ok) << warning;
      EXPECT_EQ(cache.size(), 1u);
    } else {
      EXPECT_FALSE(ok);
      EXPECT_NE(warning.find(c.expect), std::string::npos) << warning;
      EXPECT_EQ(cache.size(), 0u) << "a rejected file must leave nothing behind";
    }
  }
  std::remove(path.c_str());
}

TEST(Autotune, CandidatesListEveryRunnableConfigurationAndSayWhyOthersAreNot) {
  using w4a16::dispatch::candidates;
  std::vector<std::string> rejected;
  // M = 1: every sm80 configuration that reads canonical weights, decode ones
  // included; the packed-weight kernels are refused with the reason.
  auto c1 = candidates(Problem{1, 4096, 4096, 128, true}, kH100, &rejected);
  std::set<std::string> names1;
  for (const auto& c : c1) names1.insert(c.spec.substr(0, c.spec.find(':')));
  for (const auto& c : kSm80MmaConfigs)
    EXPECT_EQ(names1.count(c.name), w4a16::kernels::reads_packed(c.kind) ? 0u : 1u) << c.name;
  bool packed_reason = false;
  for (const auto& r : rejected) packed_reason |= r.find("decr_m8n16k128s3w8: ") == 0 && r.find("packed") != std::string::npos;
  EXPECT_TRUE(packed_reason);
  // M = 256: no decode kernels, each rejection named with its reason.
  rejected.clear();
  auto c256 = candidates(Problem{256, 4096, 4096, 32, true}, kH100, &rejected);
  for (const auto& c : c256) EXPECT_EQ(c.spec.find("dec_"), std::string::npos) << c.spec;
  bool dec_reason = false, sm90_reason = false;
  for (const auto& r : rejected) {
    dec_reason |= r.find("dec_m8n16k128s3w8: decode kernel, M > 64") != std::string::npos;
    sm90_reason |= r.find("sm90_") == 0;
  }
  EXPECT_TRUE(dec_reason);
  EXPECT_TRUE(sm90_reason);  // g = 32 (or no sm_90a in this build)
  // Every candidate's spec is accepted back by plan_forced with the same plan.
  for (const auto& c : c256) {
    GemmPlan p{};
    std::string error;
    ASSERT_TRUE(plan_forced(Problem{256, 4096, 4096, 32, true}, kH100, c.spec.c_str(), &p, &error)) << error;
    EXPECT_EQ(p.workspace_bytes, c.plan.workspace_bytes) << c.spec;
  }
}

TEST(Autotune, PackedCandidatesAreTheKernelsThatReadThePackedLayout) {
  using w4a16::dispatch::candidates;
  using w4a16::dispatch::PackedLayout;
  using w4a16::dispatch::plan_packed;
  const bool built = w4a16::kernels::sm90_mixed_available();
  for (const Problem& p : {Problem{1, 4096, 4096, 128, true}, Problem{48, 4096, 14336, 128, true},
                           Problem{300, 14336, 4096, 128, false}}) {
    SCOPED_TRACE("M=" + std::to_string(p.M) + " N=" + std::to_string(p.N) + " K=" + std::to_string(p.K));
    std::vector<std::string> rejected;
    const auto cands = candidates(p, kH100, &rejected, PackedLayout::sm90_fragment);
    std::set<std::string> names;
    for (const auto& c : cands) {
      names.insert(c.spec.substr(0, c.spec.find(':')));
      EXPECT_TRUE(c.plan.packed) << c.spec;
      if (c.plan.sm90) {  // the pack needs no workspace for a per-call reorder or transpose
        EXPECT_EQ(c.plan.workspace_bytes, c.plan.cutlass_ws_bytes) << c.spec;
      }
      GemmPlan back{};
      std::string error;
      ASSERT_TRUE(plan_forced(p, kH100, c.spec.c_str(), &back, &error, PackedLayout::sm90_fragment)) << error;
      EXPECT_EQ(back.workspace_bytes, c.plan.workspace_bytes) << c.spec;
      EXPECT_EQ(back.sm90_splits, c.plan.sm90_splits) << c.spec;
      EXPECT_EQ(back.split_k, c.plan.split_k) << c.spec;
    }
    for (const auto& c : kSm80MmaConfigs) {
      const bool want = w4a16::kernels::reads_packed(c.kind) && p.M <= 64;
      EXPECT_EQ(names.count(c.name), want ? 1u : 0u) << c.name;
    }
    for (const auto& c : w4a16::kernels::kSm90MixedConfigs) {
      const bool want = c.weights == w4a16::kernels::Sm90Weights::reordered && sm90_reject_reason(p, kH100, c, built).empty();
      EXPECT_EQ(names.count(c.name), want ? 1u : 0u) << c.name;
    }
    bool canonical_reason = false;
    for (const auto& r : rejected) canonical_reason |= r.find("reads canonical weights") != std::string::npos;
    EXPECT_TRUE(canonical_reason) << "kernels of the canonical layout are listed as rejected, with the reason";
    if (built) {  // the heuristic's own choice is always a candidate
      const GemmPlan h = plan_packed(p, kH100);
      const char* name = h.sm90 ? w4a16::kernels::kSm90MixedConfigs[static_cast<int>(h.sm90_config)].name
                                : name_of(h.config);
      EXPECT_EQ(names.count(name), 1u) << name;
    }
  }
}
