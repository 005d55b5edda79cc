// GEMM correctness on the GPU: fp64-referenced checks over shapes, group sizes,
// zeros and alpha/beta; bit-exact checks on integer data; determinism; CUDA
// graph capture; multi-threaded use; the M == 0 no-op.  Every case prints its
// seed; W4A16_SEED=<seed> reruns a case with the same data.  Skips without a GPU.
#include <cuda_runtime_api.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/sm80/sm80_mma_configs.h"
#include "kernels/sm90/sm90_mixed_gemm.h"
#include "overlap_kernels.h"
#include "sm90_skip.h"
#include "testutil.h"
#include "w4a16/w4a16.h"

namespace {

using namespace w4a16::testutil;

class GemmGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!gpu_available(&why)) GTEST_SKIP() << "no CUDA GPU: " << why;
  }

  static CublasBf16& cublas() {
    static CublasBf16 handle;  // one per process: creating cuBLAS is slow
    return handle;
  }
};

// Seeds per case: W4A16_SEED fixes every case to that seed (so a printed case seed
// reproduces that case), otherwise each case gets its own random seed.
class CaseSeeds {
 public:
  CaseSeeds() : from_env_(std::getenv("W4A16_SEED") != nullptr), base_(seed_from_env_or_random()), rng_(base_) {}
  uint64_t next() { return from_env_ ? base_ : rng_.next_u64(); }

 private:
  bool from_env_;
  uint64_t base_;
  Rng rng_;
};

void run_checked_cases(const std::vector<GemmCase>& cases, CublasBf16& cublas) {
  CaseSeeds seeds;
  int failures = 0;
  for (const GemmCase& c : cases) {
    const GemmCheckReport rep = check_gemm(c, seeds.next(), cublas);
    std::printf("%s\n", rep.ok ? ("PASS " + rep.what).c_str() : rep.describe().c_str());
    std::fflush(stdout);
    EXPECT_TRUE(rep.ok) << rep.describe() << "\n  rerun with W4A16_SEED=" << rep.seed;
    if (!rep.ok && ++failures >= 10) {
      ADD_FAILURE() << "stopping after 10 failing cases";
      return;
    }
  }
}

void run_exact_cases(const std::vector<GemmCase>& cases) {
  CaseSeeds seeds;
  for (const GemmCase& c : cases) {
    const GemmCheckReport rep = check_gemm_exact(c, seeds.next());
    std::printf("%s\n", rep.ok ? ("PASS " + rep.what).c_str() : rep.describe().c_str());
    std::fflush(stdout);
    EXPECT_TRUE(rep.ok) << rep.describe() << "\n  rerun with W4A16_SEED=" << rep.seed;
  }
}

GemmCase make_case(int M, int N, int K, int g, bool zeros, float alpha = 1.0f, float beta = 0.0f) {
  GemmCase c;
  c.M = M;
  c.N = N;
  c.K = K;
  c.group_size = g;
  c.zeros = zeros;
  c.alpha = alpha;
  c.beta = beta;
  return c;
}

const std::vector<int>& m_sweep() {
  static const std::vector<int> ms = {1,  2,  3,  4,  5,  6,  7,   8,   9,   10,  11,  12,  13,
                                      14, 15, 16, 17, 33, 65, 127, 128, 129, 255, 256, 1000};
  return ms;
}

// ---- fp64-referenced checks (plus cuBLAS, plus GPU/host quantizer and dequantizer agreement) ----

TEST_F(GemmGpu, EveryBatchSizeNarrowN) {
  std::vector<GemmCase> cases;
  for (int M : m_sweep()) cases.push_back(make_case(M, 136, 4096, 128, M % 2 == 1));
  run_checked_cases(cases, cublas());
}

TEST_F(GemmGpu, SmallBatchesWideN) {
  std::vector<GemmCase> cases;
  for (int M = 1; M <= 17; ++M) cases.push_back(make_case(M, 4104, 4096, 128, M % 2 == 0));
  cases.push_back(make_case(33, 4104, 4096, 128, true));
  cases.push_back(make_case(128, 4104, 4096, 128, false));
  cases.push_back(make_case(65, 128, 4096, 128, true));
  run_checked_cases(cases, cublas());
}

// Canonical weights at M > 128: each tiling the 192-token rule and the cost
// model (dispatch.cpp, cheapest_large_m_tiling) pick on an H100/H200, through
// the dispatcher.
TEST_F(GemmGpu, LargeMTilingsDispatched) {
  run_checked_cases({make_case(1536, 4096, 4096, 128, true),    // stream-K 128x256, 1.5 waves
                     make_case(776, 4096, 4096, 128, false),    // 128x256, the last token tile 8 rows
                     make_case(600, 1024, 1024, 128, true),     // 128x128, under one wave
                     make_case(640, 4096, 4096, 128, false),    // 128x192, one wave
                     make_case(170, 14336, 4096, 128, true)},   // 128x192 at 128 < M <= 512, 22 rows padded
                    cublas());
}

TEST_F(GemmGpu, ModelShapedK) {
  std::vector<GemmCase> cases;
  for (bool zeros : {true, false}) {
    for (int M : {1, 16}) {
      cases.push_back(make_case(M, 4104, 7392, 32, zeros));
      cases.push_back(make_case(M, 4104, 10944, 64, zeros));
    }
    cases.push_back(make_case(100, 136, 7392, 32, zeros));
    cases.push_back(make_case(100, 136, 10944, 64, zeros));
  }
  run_checked_cases(cases, cublas());
}

TEST_F(GemmGpu, PartialKTiles) {
  std::vector<GemmCase> cases;
  const std::pair<int, int> k_and_g[] = {{96, 32}, {96, 96}, {160, 32}, {160, 160}, {4128, 32}, {4128, 4128}};
  for (const auto& [K, g] : k_and_g) {
    for (bool zeros : {true, false}) {
      for (int M : {1, 7, 64, 130}) cases.push_back(make_case(M, M % 2 == 0 ? 128 : 136, K, g, zeros));
    }
  }
  run_checked_cases(cases, cublas());
}

TEST_F(GemmGpu, GroupSizesAndZeros) {
  std::vector<GemmCase> cases;
  for (int g : {32, 64, 128, 256, 4096}) {
    for (bool zeros : {true, false}) {
      cases.push_back(make_case(1, 4104, 4096, g, zeros));
      cases.push_back(make_case(33, 4104, 4096, g, zeros));
      cases.push_back(make_case(256, 136, 4096, g, zeros));
    }
  }
  run_checked_cases(cases, cublas());
}

TEST_F(GemmGpu, AlphaBeta) {
  std::vector<GemmCase> cases;
  const std::pair<float, float> alpha_beta[] = {{0.5f, 0.0f}, {1.0f, 1.0f}, {-2.0f, 0.25f}};
  for (const auto& [alpha, beta] : alpha_beta) {
    cases.push_back(make_case(1, 4104, 4096, 128, true, alpha, beta));
    cases.push_back(make_case(17, 136, 4096, 64, false, alpha, beta));
    cases.push_back(make_case(256, 136, 4096, 128, true, alpha, beta));
    cases.push_back(make_case(3, 128, 7392, 32, true, alpha, beta));
  }
  run_checked_cases(cases, cublas());
}

// Decode path (issue #3): every M from 1 to 65 crosses each token bucket of
// the decode kernels (8, 16, 32, 64) and the hand-off to the GEMM path.  N =
// 1032 is not a multiple of any column tile (16, 32: 1032 = 64.5 * 16), K =
// 4096 with g = 128 and zeros on even M.
TEST_F(GemmGpu, DecodeEveryBatchSize1To65) {
  std::vector<GemmCase> cases;
  for (int M = 1; M <= 65; ++M) cases.push_back(make_case(M, 1032, 4096, 128, M % 2 == 0));
  run_checked_cases(cases, cublas());
}

// Decode shapes whose dispatched plan splits K across CTAs (in-kernel
// reduction by the last CTA of a tile), per-channel scales, g = 32, the
// 70B-class K = 28672, and each WARPS_K the dispatcher picks by N (n32 tiles
// with 8 / 4 / 2 warps along K at N = 8192 / 14336 / 28672, at N = 4096 the
// n16 tile (K = 4096) or n32 w4 split 4 (K = 14336); N = 8200 leaves a partial
// 32-column tile).
TEST_F(GemmGpu, DecodeModelShapes) {
  std::vector<GemmCase> cases;
  for (int M : {1, 8, 16, 32, 64}) {
    cases.push_back(make_case(M, 14336, 4096, 128, true));
    cases.push_back(make_case(M, 4096, 14336, 128, M != 8));
  }
  cases.push_back(make_case(1, 4096, 4096, 4096, true));
  cases.push_back(make_case(3, 4096, 4096, 32, false));
  cases.push_back(make_case(4, 4096, 8192, 128, true));  // n16 / n32 tie: n16 at M <= 4, K <= 8192
  cases.push_back(make_case(8, 1024, 28672, 128, true));
  cases.push_back(make_case(5, 8200, 4096, 128, false));
  cases.push_back(make_case(13, 8192, 2048, 64, true));
  cases.push_back(make_case(2, 28672, 1024, 128, true));
  cases.push_back(make_case(16, 28672, 1024, 1024, false));
  run_checked_cases(cases, cublas());
}

// ---- bit-exact checks on integer data ----------------------------------------------------------

// Every configuration of the default set, forced in turn (W4A16_FORCE_CONFIG),
// whether or not the dispatcher picks it today: M and N edges of its tile, a
// partial K tile, a forced split-K, zeros on and off, beta on.
TEST_F(GemmGpu, EveryConfigurationForced) {
  struct EnvGuard {
    ~EnvGuard() { unsetenv("W4A16_FORCE_CONFIG"); }
  } guard;
  for (const auto& config : w4a16::kernels::kSm80MmaConfigs) {
    if (w4a16::kernels::reads_packed(config.kind)) continue;  // PackedDecodeConfigurationsForced
    for (const char* split : {"", ":3"}) {
      const std::string spec = std::string(config.name) + split;
      SCOPED_TRACE("W4A16_FORCE_CONFIG=" + spec);
      std::printf("W4A16_FORCE_CONFIG=%s\n", spec.c_str());
      ASSERT_EQ(setenv("W4A16_FORCE_CONFIG", spec.c_str(), 1), 0);
      const int bm = config.bm, bn = config.bn;
      run_checked_cases({make_case(1, bn + 8, 4096, 128, true), make_case(bm, 2 * bn, 2080, 32, false),
                         make_case(bm + 1, bn - 8, 1088, 64, true, 0.5f, 1.0f),
                         make_case(3 * bm - 5, 3 * bn + 24, 7392, 32, true)},
                        cublas());
      run_exact_cases({make_case(bm + 3, bn + 8, 2080, 32, true), make_case(2, 2 * bn, 4096, 4096, false, 2.0f, 1.0f)});
    }
  }
}

// The Hopper CUTLASS configurations (issue #4), each forced on its tile edges:
// M around the token tile (1, 63..65, 129, 200), N a multiple of 8 but not of
// the 64/128-row weight tile, g = 64 / 128 / per-channel, K not a multiple of
// the group (a partial last group where the format allows it: per-channel
// K = 4160 is one group; per-channel K = 1056 ends in half a k tile),
// symmetric and zero-point, alpha/beta.  Skipped with
// the reason when the device is not sm_90 or the build has no sm_90a.
TEST_F(GemmGpu, Sm90ConfigurationsForced) {
  if (const std::string why = sm90_skip_reason(); !why.empty()) GTEST_SKIP() << why;
  struct EnvGuard {
    ~EnvGuard() { unsetenv("W4A16_FORCE_CONFIG"); }
  } guard;
  // W4A16_TEST_SM90_CONFIGS=a,b: only these configurations (a device call
  // checking one new configuration); the others are named as skipped.
  const char* only = std::getenv("W4A16_TEST_SM90_CONFIGS");
  for (const auto& config : w4a16::kernels::kSm90MixedConfigs) {
    if (only != nullptr && ("," + std::string(only) + ",").find("," + std::string(config.name) + ",") == std::string::npos) {
      std::printf("skipped %s (not in W4A16_TEST_SM90_CONFIGS)\n", config.name);
      continue;
    }
    SCOPED_TRACE(std::string("W4A16_FORCE_CONFIG=") + config.name);
    std::printf("W4A16_FORCE_CONFIG=%s\n", config.name);
    ASSERT_EQ(setenv("W4A16_FORCE_CONFIG", config.name, 1), 0);
    const int tm = config.tile_m;
    // N off the weight tile by the smallest step the configuration accepts
    // (8; 16 for reordered weights, whose atoms are 16 rows).
    const int e = config.weights == w4a16::kernels::Sm90Weights::reordered ? 16 : 8;
    // The smallest group the tile takes (its k depth; a 128-deep tile
    // refuses g = 64 with INVALID_ARGUMENT, checked on the host), and an odd
    // number of k tiles of that depth: 33 x 64 = 2112 or 33 x 128 = 4224.
    const int gs = config.tile_k;
    const int k_odd = 33 * config.tile_k;
    run_checked_cases({make_case(1, 128 + e, 4096, 128, true), make_case(tm - 1, 256 + e, k_odd, gs, false),
                       make_case(tm, 1024 + e, 4096, 128, true, 0.5f, 1.0f), make_case(tm + 1, 4096, 4160, 4160, true),
                       make_case(2 * tm + 1, 512 + e, 4096, gs, true), make_case(200, e, 1024, 128, false, 2.0f, 0.5f),
                       make_case(tm + 5, 128 + e, 1056, 1056, true)},
                      cublas());
    // Per-channel K = 1056 is not a multiple of the 64- or 128-deep k tile:
    // TMA zero-fills the last tile's missing part (weights and activations).
    run_exact_cases({make_case(tm + 3, 256 + e, k_odd, gs, true), make_case(2, 128 + e, 4096, 4096, false, 2.0f, 1.0f),
                     make_case(tm + 2, 64 + e, 1056, 1056, true)});
    if (config.scheduler != w4a16::kernels::Sm90Scheduler::persistent) {
      // A forced split of 3, with beta != 0 (C is added once, after the
      // reduction).  Stream-K (the dispatcher's use of its scheduler): ranges
      // that differ in length (33 k blocks at K = 2112) and per-channel.  K
      // slices: whole groups, 11 of 64 at K = 2112 and 11 of 128 at K = 4224;
      // the cases above ran the dispatcher's slice count (up to 16 at M = 1,
      // 1 per-channel).
      const bool slices = config.scheduler == w4a16::kernels::Sm90Scheduler::kslices;
      const std::string split = std::string(config.name) + ":3";
      SCOPED_TRACE("W4A16_FORCE_CONFIG=" + split);
      std::printf("W4A16_FORCE_CONFIG=%s\n", split.c_str());
      ASSERT_EQ(setenv("W4A16_FORCE_CONFIG", split.c_str(), 1), 0);
      run_checked_cases({make_case(33, 1024 + e, k_odd, gs, true),
                         make_case(tm + 1, 256 + e, slices ? 4224 : 4096, 128, true, 0.5f, 1.0f),
                         slices ? make_case(200, 4096, 4224, 128, false) : make_case(200, 4096, 4160, 4160, false)},
                        cublas());
      run_exact_cases({make_case(17, 128 + e, k_odd, gs, true, 1.0f, 1.0f)});
    }
  }
}

GemmCase packed_case(int M, int N, int K, int g, bool zeros, float alpha = 1.0f, float beta = 0.0f) {
  GemmCase c = make_case(M, N, K, g, zeros, alpha, beta);
  c.packed = true;
  return c;
}

// Packed weights (w4a16PackWeights, docs/format.md section 5) through the
// dispatcher: every M from 1 to 65 (the packed decode kernels, then the
// Hopper `_rp` configurations) on N = 1040 (a multiple of 16, not of any
// column tile), the model shapes up to M = 256 and the 192-token tiles at
// M = 160 / 320, per-channel K = 1056 (the
// last 128-deep k block is a quarter full) and K = 14336 (large weights that
// cannot be cut into K slices), g = 256, symmetric, alpha/beta,
// g = 64 (each decode lane takes its k tiles from one 64-deep half of the
// k block, and that half's group), and packs that keep the canonical layout
// (g = 32, N % 16 != 0), which must give the same results.  Bit-exact on integer data too.
TEST_F(GemmGpu, PackedWeightsDispatched) {
  std::vector<GemmCase> cases;
  for (int M = 1; M <= 65; ++M) cases.push_back(packed_case(M, 1040, 4096, 128, M % 2 == 1));
  for (int M : {1, 8, 16, 32, 64, 128, 256}) {
    cases.push_back(packed_case(M, 14336, 4096, 128, true));
    cases.push_back(packed_case(M, 4096, 14336, 128, M != 8));
  }
  cases.push_back(packed_case(160, 4096, 14336, 128, true));   // 192-token tiles in 4 K slices
  cases.push_back(packed_case(320, 14336, 4096, 128, false));  // 192-token tiles, the second one partial
  // M > 512, the cheapest tiling (dispatch.cpp, cheapest_large_m_tiling):
  cases.push_back(packed_case(640, 4096, 4096, 128, true));     // 192-token tiles, one wave
  cases.push_back(packed_case(768, 14336, 4096, 128, false));   // stream-K 128x256, 2.5 waves of tiles
  cases.push_back(packed_case(1030, 4096, 4096, 128, true));    // stream-K 128x256, 1.2 waves, last token tile 6 rows
  cases.push_back(packed_case(600, 1024, 1024, 128, false));    // 128x128, under one wave
  cases.push_back(packed_case(1, 4096, 4096, 4096, true));
  cases.push_back(packed_case(2, 4096, 8192, 128, false));      // n16 / n32 tie at K = 8192: n32 w4, split 4
  cases.push_back(packed_case(1, 28672, 4096, 128, true));      // n32 w4 past one wave (w2 within it)
  cases.push_back(packed_case(16, 4096, 14336, 14336, true));   // per-channel, large: the decode kernels
  cases.push_back(packed_case(32, 4096, 14336, 14336, false));  // per-channel, large: stream-K 128x32
  cases.push_back(packed_case(5, 2048, 1056, 1056, true));
  cases.push_back(packed_case(100, 2048, 1056, 1056, false));
  cases.push_back(packed_case(9, 8192, 2048, 256, true, 0.5f, 1.0f));
  cases.push_back(packed_case(300, 1024, 2048, 256, true, 2.0f, 0.5f));
  cases.push_back(packed_case(3, 4096, 4096, 64, true));  // g = 64: the decode kernels' half groups
  cases.push_back(packed_case(48, 4096, 4096, 64, true));  // g = 64: a Hopper K-slice tile on the pack
  cases.push_back(packed_case(16, 14336, 4096, 64, false));
  cases.push_back(packed_case(5, 4096, 4096, 32, true));  // canonical layout: no 32-deep Hopper tile
  cases.push_back(packed_case(7, 1032, 4096, 128, true)); // canonical layout: N % 16 != 0
  run_checked_cases(cases, cublas());
  run_exact_cases({packed_case(1, 1040, 2176, 128, true), packed_case(13, 2064, 1056, 1056, false, 2.0f, 1.0f),
                   packed_case(17, 1024, 4096, 128, true), packed_case(150, 1040, 2176, 128, true, 1.0f, 1.0f)});
}

// Every configuration that reads packed weights (the `decr` decode kernels
// and the Hopper `_rp` configurations), forced, with and without split-K 3,
// on its tile edges: g = 128 and per-channel (K = 1056 ends in a quarter of a
// 128-deep block), g = 64 (K = 4160 and 2112 end in half a 128-deep block,
// whose second half has no group), N a multiple of 16 off the tile, zeros on
// and off, beta.
// Needs the packed sm90 fragment order: skipped with the reason elsewhere.
TEST_F(GemmGpu, PackedConfigurationsForced) {
  if (const std::string why = sm90_skip_reason(); !why.empty()) GTEST_SKIP() << "packed fragment order: " << why;
  struct EnvGuard {
    ~EnvGuard() { unsetenv("W4A16_FORCE_CONFIG"); }
  } guard;
  // Each spec with the smallest group it takes: 64, or 128 for the 128-deep
  // Hopper tiles (which refuse g = 64 with INVALID_ARGUMENT).
  std::vector<std::pair<std::string, int>> specs;
  for (const auto& config : w4a16::kernels::kSm80MmaConfigs) {
    if (!w4a16::kernels::reads_packed(config.kind)) continue;
    specs.push_back({config.name, 64});
    specs.push_back({std::string(config.name) + ":3", 64});
  }
  for (const auto& config : w4a16::kernels::kSm90MixedConfigs)
    if (config.weights == w4a16::kernels::Sm90Weights::reordered) specs.push_back({config.name, config.tile_k});
  for (const auto& [spec, gs] : specs) {
    SCOPED_TRACE("W4A16_FORCE_CONFIG=" + spec);
    std::printf("W4A16_FORCE_CONFIG=%s (packed)\n", spec.c_str());
    ASSERT_EQ(setenv("W4A16_FORCE_CONFIG", spec.c_str(), 1), 0);
    // K = 65 (4160) and 33 (2112) groups of 64; 4224 and 2176: 33 and 17 of 128.
    const int k65 = gs == 64 ? 4160 : 4224, k33 = gs == 64 ? 2112 : 2176;
    run_checked_cases({packed_case(1, 144, 4096, 128, true), packed_case(16, 1040, 2048, 128, false),
                       packed_case(17, 272, 1056, 1056, true, 0.5f, 1.0f), packed_case(65, 4096, 4160, 4160, true),
                       packed_case(8, 48, 7424, 128, true), packed_case(129, 528, 2048, 256, false, 2.0f, 0.5f),
                       packed_case(2, 1040, k65, gs, true), packed_case(33, 272, 2048, gs, false, 1.0f, 1.0f)},
                      cublas());
    run_exact_cases({packed_case(3, 1040, 2176, 128, true), packed_case(16, 144, 1056, 1056, false, 2.0f, 1.0f),
                     packed_case(9, 1040, k33, gs, true)});
  }
}

// g = 64 on packed weights: every decode tile (`decr`), forced, with and
// without split-K 3, runs its half-groups instantiation (each lane takes its
// two k tiles from one 64-deep half of the 128-deep k block, and that half's
// group parameters).  K = 4160 and 2112 end in half a block whose second
// half is past K; M = 1..16 over the token tiles.
// Small shapes, so that compute-sanitizer (memcheck, racecheck) can run it.
TEST_F(GemmGpu, PackedHalfGroupsEveryDecodeTile) {
  if (const std::string why = sm90_skip_reason(); !why.empty()) GTEST_SKIP() << "packed fragment order: " << why;
  struct EnvGuard {
    ~EnvGuard() { unsetenv("W4A16_FORCE_CONFIG"); }
  } guard;
  for (const auto& config : w4a16::kernels::kSm80MmaConfigs) {
    if (!w4a16::kernels::reads_packed(config.kind)) continue;
    for (const std::string& spec : {std::string(config.name), std::string(config.name) + ":3"}) {
      SCOPED_TRACE("W4A16_FORCE_CONFIG=" + spec);
      std::printf("W4A16_FORCE_CONFIG=%s (packed, g = 64)\n", spec.c_str());
      ASSERT_EQ(setenv("W4A16_FORCE_CONFIG", spec.c_str(), 1), 0);
      run_checked_cases({packed_case(1, 1040, 4160, 64, true), packed_case(config.bm, 272, 2048, 64, false),
                         packed_case(config.bm - 1, 144, 2112, 64, true, 0.5f, 1.0f)},
                        cublas());
      run_exact_cases({packed_case(2, 528, 2112, 64, true), packed_case(config.bm, 144, 4096, 64, false, 2.0f, 1.0f)});
    }
  }
}

// The reordered weight layout of the `_rp` configurations, written by
// sm90_prepack_weights, against a host reordering derived independently from
// the PTX ISA's register fragment of the wgmma A operand (m64nNk16, bf16):
// lane l of a warp's 16 x 16 slice holds rows l/4 and l/4 + 8, k pairs
// 2*(l%4) + {0,1} and + 8, as a0..a7 = (r, c), (r, c+1), (r+8, c), (r+8, c+1),
// (r, c+8), (r, c+9), (r+8, c+8), (r+8, c+9); the layout stores lane l's eight
// nibbles contiguously at 8*l in the order a0 a2 a4 a6 a1 a3 a5 a7, slices
// along N first, then K (docs/sm90-weight-reorder.md).
TEST_F(GemmGpu, Sm90PrepackMatchesTheFragmentOrder) {
  for (const auto& [N, K] : {std::pair{16, 16}, std::pair{48, 32}, std::pair{272, 2112}}) {
    const uint64_t seed = seed_from_env_or_random();
    std::printf("prepack N=%d K=%d seed=%llu\n", N, K, static_cast<unsigned long long>(seed));
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> wq(static_cast<size_t>(N) * K / 2);
    for (auto& b : wq) b = static_cast<uint8_t>(rng());
    const auto nibble = [&](int n, int k) { return (wq[(static_cast<size_t>(n) * K + k) / 2] >> (4 * (k & 1))) & 0xF; };
    std::vector<uint8_t> want(wq.size(), 0);
    for (int n = 0; n < N; ++n) {
      for (int k = 0; k < K; ++k) {
        const int r = n % 16, c = k % 16;
        const int lane = (r % 8) * 4 + (c % 8) / 2;
        const int a = (c % 2) + 2 * (r / 8) + 4 * (c / 8);  // a0..a7 as above
        const int pos = a % 2 == 0 ? a / 2 : 4 + a / 2;       // where a_i sits in a0 a2 a4 a6 a1 a3 a5 a7
        const size_t e = static_cast<size_t>(k / 16) * 16 * N + static_cast<size_t>(n / 16) * 256 + lane * 8 + pos;
        want[e / 2] |= static_cast<uint8_t>(nibble(n, k) << (4 * (e % 2)));
      }
    }
    DeviceBuffer d_in(wq.size()), d_out(wq.size());
    ASSERT_EQ(cudaMemcpy(d_in.get(), wq.data(), wq.size(), cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(cudaMemset(d_out.get(), 0xA5, wq.size()), cudaSuccess);
    ASSERT_EQ(w4a16::kernels::sm90_prepack_weights(d_in.get(), d_out.get(), N, K, nullptr), cudaSuccess);
    std::vector<uint8_t> got(wq.size());
    ASSERT_EQ(cudaMemcpy(got.data(), d_out.get(), got.size(), cudaMemcpyDeviceToHost), cudaSuccess);
    size_t bad = 0;
    for (size_t i = 0; i < got.size(); ++i) bad += got[i] != want[i];
    EXPECT_EQ(bad, 0u) << "of " << got.size() << " bytes";
  }
  EXPECT_EQ(w4a16::kernels::sm90_prepack_weights(nullptr, nullptr, 24, 16, nullptr), cudaErrorInvalidValue);
}

// Autotune mode: the first call per problem times the candidates and writes
// the table; results stay within the fp64 / cuBLAS checks whichever wins; a
// second call (same process) reuses the table; a beta != 0 call does not tune.
// Packed weights are tuned separately (the layout is part of the key) over
// the kernels that read the pack; a pack in the canonical layout (g = 32:
// no Hopper tile is that shallow) is keyed as canonical weights.
TEST_F(GemmGpu, AutotuneChoosesACheckedConfigurationAndPersistsIt) {
  const std::string path = testing::TempDir() + "/w4a16_autotune_gpu_" + std::to_string(::getpid()) + ".txt";
  std::remove(path.c_str());
  struct EnvGuard {
    ~EnvGuard() {
      unsetenv("W4A16_AUTOTUNE");
      unsetenv("W4A16_AUTOTUNE_FILE");
    }
  } guard;
  ASSERT_EQ(setenv("W4A16_AUTOTUNE", "1", 1), 0);
  ASSERT_EQ(setenv("W4A16_AUTOTUNE_FILE", path.c_str(), 1), 0);
  std::vector<GemmCase> cases = {make_case(1, 4096, 4096, 128, true), make_case(256, 4096, 4096, 128, true),
                                 make_case(96, 1032, 2080, 32, false)};
  int entries = 3;
  if (sm90_skip_reason().empty()) {
    cases.push_back(packed_case(1, 4096, 4096, 128, true));    // the same problem, packed: a separate entry
    cases.push_back(packed_case(48, 4096, 14336, 128, true));  // K-slice candidates among them
    cases.push_back(packed_case(3, 4096, 4096, 32, true));     // canonical pack: a third entry (g = 32)
    entries += 3;
  } else {
    std::printf("packed autotune not run: %s\n", sm90_skip_reason().c_str());
  }
  run_checked_cases(cases, cublas());
  run_checked_cases(cases, cublas());  // from the table this time
  run_checked_cases({make_case(33, 4096, 4096, 128, true, 1.0f, 0.5f)}, cublas());  // beta != 0: heuristic
  FILE* f = std::fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr) << "autotune wrote no file at " << path;
  char line[256];
  int lines = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) ++lines;
  std::fclose(f);
  EXPECT_EQ(lines, 4 + entries) << "header + one entry per tuned problem and layout (none for beta != 0)";
  std::remove(path.c_str());
}

TEST_F(GemmGpu, ExactEveryBatchSize) {
  std::vector<GemmCase> cases;
  for (int M = 1; M <= 17; ++M) {
    cases.push_back(make_case(M, 136, 4096, 128, true));
    cases.push_back(make_case(M, 128, 160, 32, false, 0.5f, 1.0f));
    cases.push_back(make_case(M, 264, 10944, 64, true, 2.0f, 0.25f));
  }
  for (int M : {33, 64, 129, 256}) {
    cases.push_back(make_case(M, 136, 4096, 256, M % 2 == 0, 1.0f, M % 2 == 0 ? 0.0f : 1.0f));
    cases.push_back(make_case(M, 264, 7392, 32, M % 2 == 1));
  }
  cases.push_back(make_case(4, 128, 16384, 16384, true, 1.0f, 1.0f));  // the largest K the exact check allows
  cases.push_back(make_case(5, 136, 4128, 4128, false));
  run_exact_cases(cases);
}

// ---- a problem held in device memory, run directly, in a graph, from threads ----------------------

struct DeviceProblem {
  GemmCase c;
  DeviceBuffer x, packed, scales, zeros, y, y0, workspace, pack;
  size_t workspace_bytes = 0;
  w4a16PackedWeights pw{};  // c.packed: the weights packed by w4a16PackWeights

  DeviceProblem(const GemmCase& gc, uint64_t seed, const DeviceProblem* shared_weights = nullptr) : c(gc) {
    Rng rng(seed);
    const size_t groups = size_t(c.N) * (c.K / c.group_size);
    if (shared_weights == nullptr) {
      const std::vector<uint16_t> w = random_bf16_normal(rng, size_t(c.N) * c.K);
      DeviceBuffer d_w(w.size() * 2);
      d_w.upload(w.data(), w.size() * 2);
      packed = DeviceBuffer(size_t(c.N) * c.K / 2);
      scales = DeviceBuffer(groups * 2);
      if (c.zeros) zeros = DeviceBuffer(groups * 2);
      const w4a16Status_t st =
          quantizeWeightToINT4Ex(d_w.get(), packed.get(), scales.get(), zeros.get(), c.N, c.K, c.group_size, nullptr);
      if (st != W4A16_STATUS_SUCCESS) throw std::runtime_error(w4a16GetLastErrorMessage());
      cuda_check(cudaDeviceSynchronize(), "quantize");
    }
    const std::vector<uint16_t> hx = random_bf16_normal(rng, size_t(c.M) * c.K);
    x = DeviceBuffer(std::max<size_t>(hx.size() * 2, 16));
    x.upload(hx.data(), hx.size() * 2);
    y = DeviceBuffer(std::max<size_t>(size_t(c.M) * c.N * 2, 16));
    y0 = DeviceBuffer(y.size());
    const std::vector<uint16_t> hy0 = random_bf16_normal(rng, size_t(c.M) * c.N);
    y0.upload(hy0.data(), hy0.size() * 2);
    if (c.packed && shared_weights == nullptr) {
      size_t bytes = 0;
      if (w4a16GetPackedWeightsSize(c.N, c.K, c.group_size, c.zeros, &bytes) != W4A16_STATUS_SUCCESS ||
          (pack = DeviceBuffer(bytes),
           w4a16PackWeights(packed.get(), scales.get(), zeros.get(), c.N, c.K, c.group_size, pack.get(), bytes, &pw,
                            nullptr) != W4A16_STATUS_SUCCESS) ||
          w4a16GetWorkspaceSizePacked(c.M, &pw, &workspace_bytes) != W4A16_STATUS_SUCCESS)
        throw std::runtime_error(w4a16GetLastErrorMessage());
      cuda_check(cudaDeviceSynchronize(), "pack");
    } else if (w4a16GetWorkspaceSize(c.M, c.N, c.K, c.group_size, c.zeros, &workspace_bytes) !=
               W4A16_STATUS_SUCCESS) {
      throw std::runtime_error(w4a16GetLastErrorMessage());
    }
    workspace = DeviceBuffer(workspace_bytes);
  }

  // Resets the output (NaN poison when beta == 0, else Y0) and enqueues the GEMM.
  w4a16Status_t enqueue(cudaStream_t stream, const DeviceProblem* shared = nullptr) {
    const DeviceProblem& wsrc = shared ? *shared : *this;
    if (c.beta == 0.0f) {
      cuda_check(cudaMemsetAsync(y.get(), 0xFF, y.size(), stream), "cudaMemsetAsync");
    } else {
      cuda_check(cudaMemcpyAsync(y.get(), y0.get(), y.size(), cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync");
    }
    if (c.packed && shared == nullptr)
      return w4a16GemmForwardPacked(x.get(), &pw, y.get(), c.M, c.alpha, c.beta, workspace.get(), workspace_bytes,
                                    stream);
    return w4a16GemmForwardEx(x.get(), wsrc.packed.get(), wsrc.scales.get(), wsrc.zeros.get(), y.get(), c.M, c.N, c.K,
                              c.group_size, c.alpha, c.beta, workspace.get(), workspace_bytes, stream);
  }

  std::vector<uint16_t> output() const {
    std::vector<uint16_t> h(size_t(c.M) * c.N);
    y.download(h.data(), h.size() * 2);
    return h;
  }

  std::vector<uint16_t> run(cudaStream_t stream, const DeviceProblem* shared = nullptr) {
    const w4a16Status_t st = enqueue(stream, shared);
    if (st != W4A16_STATUS_SUCCESS) {
      throw std::runtime_error(std::string(w4a16StatusString(st)) + ": " + w4a16GetLastErrorMessage());
    }
    cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    return output();
  }
};

std::string shape_of(const GemmCase& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "M=%d N=%d K=%d g=%d zeros=%d alpha=%g beta=%g", c.M, c.N, c.K, c.group_size,
                c.zeros ? 1 : 0, static_cast<double>(c.alpha), static_cast<double>(c.beta));
  return buf;
}

int64_t count_differences(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b) {
  if (a.size() != b.size()) return -1;
  int64_t d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += a[i] != b[i];
  return d;
}

TEST_F(GemmGpu, DeterministicAcrossRuns) {
  CaseSeeds seeds;
  std::vector<GemmCase> cases;
  for (int M = 1; M <= 8; ++M) cases.push_back(make_case(M, 4096, 4096, 128, true));
  cases.push_back(make_case(3, 4096, 4096, 128, false, 1.0f, 1.0f));
  cases.push_back(make_case(512, 4096, 4096, 128, true));
  // Decode plans with split-K (the last-arriving CTA adds the partials).
  for (int M : {1, 16, 33, 64}) cases.push_back(make_case(M, 14336, 4096, 128, true));
  cases.push_back(make_case(16, 4096, 14336, 128, true, 1.0f, 1.0f));
  CudaStream stream;
  for (const GemmCase& c : cases) {
    const uint64_t seed = seeds.next();
    SCOPED_TRACE(shape_of(c) + " seed=" + std::to_string(seed));
    std::printf("determinism %s seed=%" PRIu64 "\n", shape_of(c).c_str(), seed);
    DeviceProblem p(c, seed);
    const std::vector<uint16_t> first = p.run(stream.get());
    for (int run = 1; run < 10; ++run) EXPECT_EQ(count_differences(p.run(stream.get()), first), 0) << "run " << run;
  }
}

// Enqueues the case once directly and once captured in a CUDA graph (global
// capture mode: any forbidden call inside the forward breaks the capture),
// then replays the graph: every replay must equal the direct run bit for bit.
void expect_graph_matches_direct(const GemmCase& c, uint64_t seed) {
  SCOPED_TRACE(shape_of(c) + " seed=" + std::to_string(seed));
  std::printf("graph %s seed=%" PRIu64 "\n", shape_of(c).c_str(), seed);
  DeviceProblem p(c, seed);
  CudaStream stream;
  const std::vector<uint16_t> direct = p.run(stream.get());

  cudaGraph_t graph = nullptr;
  ASSERT_EQ(cudaStreamBeginCapture(stream.get(), cudaStreamCaptureModeGlobal), cudaSuccess);
  const w4a16Status_t st = p.enqueue(stream.get());
  const cudaError_t end = cudaStreamEndCapture(stream.get(), &graph);
  ASSERT_EQ(st, W4A16_STATUS_SUCCESS) << "during capture: " << w4a16GetLastErrorMessage();
  ASSERT_EQ(end, cudaSuccess) << cudaGetErrorString(end);
  cudaGraphExec_t exec = nullptr;
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  for (int replay = 0; replay < 3; ++replay) {
    ASSERT_EQ(cudaGraphLaunch(exec, stream.get()), cudaSuccess);
    stream.synchronize();
    EXPECT_EQ(count_differences(p.output(), direct), 0) << "replay " << replay;
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
}

TEST_F(GemmGpu, GraphCaptureMatchesDirectRun) {
  CaseSeeds seeds;
  for (const GemmCase& c : {make_case(4, 4096, 4096, 128, true), make_case(256, 4096, 4096, 64, false, 1.0f, 1.0f)})
    expect_graph_matches_direct(c, seeds.next());
}

// Packed weights: ten runs bitwise identical, and a CUDA graph of the forward
// equal to the direct run, over the packed decode kernels (with split-K at
// M = 1 on N = 1040), the 32-token tiles and the 64- to 256-token `_rp` tiles.
TEST_F(GemmGpu, PackedDeterministicAndGraphCapturable) {
  CaseSeeds seeds;
  std::vector<GemmCase> cases;
  for (int M : {1, 16, 24, 48, 128, 300}) {
    cases.push_back(packed_case(M, 4096, 4096, 128, true));
    cases.push_back(packed_case(M, 4096, 14336, 128, M % 2 == 0, 1.0f, M == 24 ? 1.0f : 0.0f));
  }
  cases.push_back(packed_case(1, 1040, 4096, 128, true));
  cases.push_back(packed_case(32, 14336, 4096, 128, true));
  cases.push_back(packed_case(768, 14336, 4096, 128, true));  // stream-K 128x256
  CudaStream stream;
  for (const GemmCase& c : cases) {
    const uint64_t seed = seeds.next();
    SCOPED_TRACE(shape_of(c) + " packed seed=" + std::to_string(seed));
    std::printf("packed determinism %s seed=%" PRIu64 "\n", shape_of(c).c_str(), seed);
    DeviceProblem p(c, seed);
    const std::vector<uint16_t> first = p.run(stream.get());
    for (int run = 1; run < 10; ++run) EXPECT_EQ(count_differences(p.run(stream.get()), first), 0) << "run " << run;
    expect_graph_matches_direct(c, seed);
  }
}

// The CUTLASS Hopper kernels in a graph: their host-side set-up (the kernel
// Params with their TMA descriptors, memoized per argument set; the
// shared-memory limit, once per device) runs in the captured call too.
TEST_F(GemmGpu, Sm90GraphCaptureMatchesDirectRun) {
  if (const std::string why = sm90_skip_reason(); !why.empty()) GTEST_SKIP() << why;
  struct EnvGuard {
    ~EnvGuard() { unsetenv("W4A16_FORCE_CONFIG"); }
  } guard;
  CaseSeeds seeds;
  for (const auto& config : w4a16::kernels::kSm90MixedConfigs) {
    SCOPED_TRACE(std::string("W4A16_FORCE_CONFIG=") + config.name);
    ASSERT_EQ(setenv("W4A16_FORCE_CONFIG", config.name, 1), 0);
    expect_graph_matches_direct(make_case(256, 4096, 4096, 128, true, 1.0f, 1.0f), seeds.next());
  }
}

// ---- W4A16_FORWARD_OVERLAP_PREVIOUS (programmatic dependent launch) ----------

// The packed forward with the flag over the kernels it changes (the `decr`
// decode tiles, the K-slice tiles and their reduction, the persistent `_rp`
// tiles, and on packs that keep the canonical layout the `dec` tiles), and
// over one that ignores it (an sm_80 tile), against the fp64 reference and
// cuBLAS: every check_gemm call enqueues the NaN poison (a memset) just
// before the forward, so the flag must also be harmless after an operation
// that is not a kernel.
TEST_F(GemmGpu, PackedOverlapPreviousChecked) {
  std::vector<GemmCase> cases;
  for (int M : {1, 5, 8, 12, 16, 24, 32, 48, 64, 128, 256}) {
    cases.push_back(packed_case(M, 4096, 4096, 128, M % 2 == 0));
    cases.push_back(packed_case(M, 4096, 14336, 128, true, 1.0f, M == 24 ? 1.0f : 0.0f));
  }
  cases.push_back(packed_case(1, 14336, 4096, 128, true));
  cases.push_back(packed_case(64, 14336, 4096, 128, true));
  cases.push_back(packed_case(3, 1040, 4160, 64, true));    // g = 64, K tail: the half-groups decode tile
  cases.push_back(packed_case(16, 2048, 1056, 1056, false));  // per-channel, K % 128 != 0
  cases.push_back(packed_case(5, 4096, 4096, 32, true));      // canonical-layout pack: the `dec` tiles
  cases.push_back(packed_case(7, 1032, 4096, 128, false));    // canonical-layout pack: N % 16 != 0
  cases.push_back(packed_case(48, 4096, 4096, 32, true));     // canonical-layout pack: an sm_80 tile (no flag)
  for (GemmCase& c : cases) c.overlap_previous = true;
  run_checked_cases(cases, cublas());
}

// The contract with the kernel before the call, with the flag and without
// it (the default launch is programmatic too, waiting first; fifteenth
// session).  That kernel lets its dependents start at once, waits 200 us,
// then copies: (1) into the activations the GEMM reads (the GEMM must see
// the new values), (2) out of the output the GEMM writes (the copy must see
// the old values), and, without the flag only, (3) a second pack of other
// weights into the pack the GEMM reads (the GEMM must see the new weights:
// without the flag nothing may be read before the previous kernel ends).  A
// forward that touched any of them before griddepcontrol.wait would fail.
// Directly on a stream and inside a CUDA graph; every result bitwise equal
// to a call on the same inputs with the previous kernel long finished.
TEST_F(GemmGpu, ForwardWaitsForThePreviousKernel) {
  constexpr unsigned long long kSpinNs = 200000;
  CaseSeeds seeds;
  std::vector<GemmCase> cases;
  for (int M : {1, 8, 16, 32, 64, 128}) cases.push_back(packed_case(M, 4096, 4096, 128, true));
  cases.push_back(packed_case(32, 4096, 14336, 128, true));  // K slices + programmatic reduction
  cases.push_back(packed_case(4, 14336, 4096, 128, false));
  // Canonical-layout packs (g = 32): the `dec` tiles, 8- and 16-token.
  cases.push_back(packed_case(3, 4096, 4096, 32, true));
  cases.push_back(packed_case(12, 4096, 4096, 32, true));
  CudaStream stream;
  const cudaStream_t s = stream.get();
  enum class Previous { writes_x, reads_y, writes_pack };
  for (const GemmCase& c : cases) {
    const uint64_t seed = seeds.next();
    SCOPED_TRACE(shape_of(c) + " seed=" + std::to_string(seed));
    std::printf("wait-for-previous %s seed=%" PRIu64 "\n", shape_of(c).c_str(), seed);
    DeviceProblem p(c, seed);                   // its x: the old activations; its pack: the old weights
    DeviceProblem other(c, seed ^ 0x5eed5eed);  // its pack: the new weights
    ASSERT_EQ(other.pack.size(), p.pack.size());
    ASSERT_EQ(p.pack.size() % 16, 0u);
    const size_t x_bytes = size_t(c.M) * c.K * 2, y_bytes = size_t(c.M) * c.N * 2;
    Rng rng(seed ^ 0x0e71a9);
    const std::vector<uint16_t> x_new_host = random_bf16_normal(rng, size_t(c.M) * c.K);
    DeviceBuffer x_new(x_bytes), x_live(x_bytes), y_live(y_bytes), y_seen(y_bytes), y_plain(y_bytes);
    DeviceBuffer pack_live(p.pack.size());
    w4a16PackedWeights pw_live = p.pw;
    pw_live.data = pack_live.get();
    x_new.upload(x_new_host.data(), x_bytes);
    auto forward = [&](const w4a16PackedWeights* pw, const void* x, void* y, unsigned flags) {
      return w4a16GemmForwardPackedEx(x, pw, y, c.M, c.alpha, c.beta, p.workspace.get(), p.workspace_bytes, flags, s);
    };
    auto download = [&](const DeviceBuffer& b) {
      std::vector<uint16_t> h(b.size() / 2);
      b.download(h.data(), b.size());
      return h;
    };
    auto reference = [&](const w4a16PackedWeights* pw, const void* x) {
      EXPECT_EQ(forward(pw, x, y_plain.get(), 0u), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
      stream.synchronize();
      return download(y_plain);
    };
    // Plain references: old / new activations, and new weights.
    const std::vector<uint16_t> y_old = reference(&p.pw, p.x.get());
    const std::vector<uint16_t> y_new = reference(&p.pw, x_new.get());
    const std::vector<uint16_t> y_new_w = reference(&other.pw, x_new.get());
    ASSERT_GT(count_differences(y_old, y_new), 0) << "the two activations must give different outputs";
    ASSERT_GT(count_differences(y_new, y_new_w), 0) << "the two packs must give different outputs";

    auto enqueue_pair = [&](Previous prev, unsigned flags) {
      cudaError_t err = cudaSuccess;
      switch (prev) {
        case Previous::writes_x:
          err = launch_early_trigger_copy(x_live.get(), x_new.get(), x_bytes, kSpinNs, s);
          break;
        case Previous::reads_y:
          err = launch_early_trigger_copy(y_seen.get(), y_live.get(), y_bytes, kSpinNs, s);
          break;
        case Previous::writes_pack:
          err = launch_early_trigger_copy(pack_live.get(), other.pack.get(), p.pack.size(), kSpinNs, s);
          break;
      }
      if (err != cudaSuccess) return W4A16_STATUS_CUDA_ERROR;
      const void* x = prev == Previous::writes_x ? x_live.get() : x_new.get();
      return forward(prev == Previous::writes_pack ? &pw_live : &p.pw, x, y_live.get(), flags);
    };
    auto reset = [&]() {
      ASSERT_EQ(cudaMemcpy(x_live.get(), p.x.get(), x_bytes, cudaMemcpyDeviceToDevice), cudaSuccess);
      ASSERT_EQ(cudaMemcpy(pack_live.get(), p.pack.get(), p.pack.size(), cudaMemcpyDeviceToDevice), cudaSuccess);
      y_live.upload(y_old.data(), y_bytes);
      ASSERT_EQ(cudaMemset(y_seen.get(), 0xFF, y_bytes), cudaSuccess);
    };
    auto check = [&](Previous prev, const char* where) {
      EXPECT_EQ(count_differences(download(y_live), prev == Previous::writes_pack ? y_new_w : y_new), 0) << where;
      if (prev == Previous::reads_y) {
        EXPECT_EQ(count_differences(download(y_seen), y_old), 0) << where << ": the output was overwritten early";
      }
    };
    for (const unsigned flags : {unsigned{W4A16_FORWARD_OVERLAP_PREVIOUS}, 0u}) {
      for (const Previous prev : {Previous::writes_x, Previous::reads_y, Previous::writes_pack}) {
        if (prev == Previous::writes_pack && flags != 0u) continue;  // the flag's caller guarantees it never happens
        SCOPED_TRACE(std::string(flags != 0u ? "overlap flag, " : "default, ") +
                     (prev == Previous::writes_x    ? "previous kernel writes the activations"
                      : prev == Previous::reads_y   ? "previous kernel reads the output"
                                                    : "previous kernel writes the pack"));
        reset();
        ASSERT_EQ(enqueue_pair(prev, flags), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
        stream.synchronize();
        check(prev, "direct");

        cudaGraph_t graph = nullptr;
        ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
        const w4a16Status_t st = enqueue_pair(prev, flags);
        ASSERT_EQ(cudaStreamEndCapture(s, &graph), cudaSuccess);
        ASSERT_EQ(st, W4A16_STATUS_SUCCESS) << "during capture: " << w4a16GetLastErrorMessage();
        cudaGraphExec_t exec = nullptr;
        ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
        for (int replay = 0; replay < 2; ++replay) {
          reset();
          ASSERT_EQ(cudaGraphLaunch(exec, s), cudaSuccess);
          stream.synchronize();
          check(prev, replay == 0 ? "graph replay 0" : "graph replay 1");
        }
        cudaGraphExecDestroy(exec);
        cudaGraphDestroy(graph);
      }
    }
  }
}

TEST_F(GemmGpu, ConcurrentHostThreads) {
  CaseSeeds seeds;
  const uint64_t weight_seed = seeds.next();
  std::printf("concurrency seed=%" PRIu64 "\n", weight_seed);
  SCOPED_TRACE("seed=" + std::to_string(weight_seed));
  const int N = 4096, K = 4096, g = 128;
  DeviceProblem weights(make_case(1, N, K, g, true), weight_seed);
  const int batch[4] = {1, 8, 64, 300};
  std::vector<std::unique_ptr<DeviceProblem>> problems;
  std::vector<std::vector<uint16_t>> expected;
  {
    CudaStream stream;
    for (int t = 0; t < 4; ++t) {
      problems.push_back(std::make_unique<DeviceProblem>(make_case(batch[t], N, K, g, true, 1.0f, t % 2 ? 1.0f : 0.0f),
                                                         weight_seed + 1 + t, &weights));
      expected.push_back(problems.back()->run(stream.get(), &weights));
    }
  }
  std::atomic<int64_t> mismatching_calls{0};
  std::atomic<int> failed_calls{0};
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        CudaStream stream;
        for (int call = 0; call < 20; ++call) {
          if (count_differences(problems[t]->run(stream.get(), &weights), expected[t]) != 0) ++mismatching_calls;
        }
      } catch (const std::exception& e) {
        ++failed_calls;
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed_calls.load(), 0) << errors[0] << errors[1] << errors[2] << errors[3];
  EXPECT_EQ(mismatching_calls.load(), 0) << "results differ from the single-threaded run";
}

TEST_F(GemmGpu, EmptyBatchLeavesOutputUntouched) {
  const int N = 256, K = 512, g = 128;
  DeviceProblem weights(make_case(1, N, K, g, true), 1);
  DeviceBuffer x(K * 2), y(N * 2 + 256);
  std::vector<uint8_t> poison(y.size());
  for (size_t i = 0; i < poison.size(); ++i) poison[i] = static_cast<uint8_t>(i * 29 + 7);
  y.upload(poison.data(), poison.size());
  size_t ws = 12345;
  ASSERT_EQ(w4a16GetWorkspaceSize(0, N, K, g, 1, &ws), W4A16_STATUS_SUCCESS);
  EXPECT_EQ(ws, 0u);
  CudaStream stream;
  for (float beta : {0.0f, 1.0f}) {
    EXPECT_EQ(w4a16GemmForwardEx(x.get(), weights.packed.get(), weights.scales.get(), weights.zeros.get(), y.get(), 0,
                                 N, K, g, 1.0f, beta, nullptr, 0, stream.get()),
              W4A16_STATUS_SUCCESS)
        << w4a16GetLastErrorMessage();
  }
  EXPECT_EQ(w4a16GemmForward(x.get(), weights.packed.get(), weights.scales.get(), weights.zeros.get(), y.get(), 0, N, K,
                             1.0f, 0.0f, nullptr, 0, stream.get()),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  stream.synchronize();
  std::vector<uint8_t> after(y.size());
  y.download(after.data(), after.size());
  EXPECT_TRUE(after == poison) << "M == 0 wrote to the output";
}

// The spec's signature is the Ex form with g = 128.
TEST_F(GemmGpu, SpecSignatureEqualsExWithGroupSize128) {
  CaseSeeds seeds;
  const uint64_t seed = seeds.next();
  std::printf("spec signature seed=%" PRIu64 "\n", seed);
  DeviceProblem p(make_case(5, 1024, 2048, 128, true, 1.0f, 0.5f), seed);
  CudaStream stream;
  const std::vector<uint16_t> ex = p.run(stream.get());
  cuda_check(cudaMemcpyAsync(p.y.get(), p.y0.get(), p.y.size(), cudaMemcpyDeviceToDevice, stream.get()),
             "cudaMemcpyAsync");
  ASSERT_EQ(w4a16GemmForward(p.x.get(), p.packed.get(), p.scales.get(), p.zeros.get(), p.y.get(), 5, 1024, 2048, 1.0f,
                             0.5f, p.workspace.get(), p.workspace_bytes, stream.get()),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  stream.synchronize();
  EXPECT_EQ(count_differences(p.output(), ex), 0);
}

}  // namespace
