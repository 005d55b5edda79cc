// The Hopper (sm_90a) W4A16 GEMM configurations, written once: this list
// drives the generated translation units (src/CMakeLists.txt, one per row),
// the launcher table (sm90_mixed_gemm.cpp), the dispatcher and the tests.
//
//   X(name, SCHEDULE, TILE_N, TILE_M, TILE_K)
//   SCHEDULE : coop = KernelTmaWarpSpecializedCooperative (2 consumer
//              warpgroups along the weight rows; TILE_N >= 128),
//              pp   = KernelTmaWarpSpecializedPingpong (TILE_N == 64)
//   TILE_N   : output columns (weight rows, the WGMMA's M: the int4 weights
//              are the register-sourced A operand, converted in registers)
//   TILE_M   : tokens (activation rows, the WGMMA's N: small tiles for mid M)
//   TILE_K   : k depth of a stage; the group size must be a multiple of it
//              (or equal K), so 64 keeps g = 64 (docs/cutlass-mixed-input.md)
// Clusters are 1x1x1 (NVIDIA/cutlass#2176: wrong results with 8x1x1 in 4.x).
//
// Default set (TODO(#4): fit to a measured sweep; none has run on a GPU yet).
#pragma once

#define W4A16_SM90_MIXED_CONFIGS(X)                \
  X(sm90_coop_n128m128k64, coop, 128, 128, 64)     \
  X(sm90_coop_n128m64k64, coop, 128, 64, 64)       \
  X(sm90_pp_n64m128k64, pp, 64, 128, 64)

namespace w4a16::kernels {

enum class Sm90Schedule : int { coop, pp };

struct Sm90MixedConfig {
  const char* name;
  Sm90Schedule schedule;
  int tile_n, tile_m, tile_k;
};

enum class Sm90MixedConfigId : int {
#define W4A16_X(name, ...) name,
  W4A16_SM90_MIXED_CONFIGS(W4A16_X)
#undef W4A16_X
  kCount
};

inline constexpr Sm90MixedConfig kSm90MixedConfigs[] = {
#define W4A16_X(name, sched, tn, tm, tk) {#name, Sm90Schedule::sched, tn, tm, tk},
    W4A16_SM90_MIXED_CONFIGS(W4A16_X)
#undef W4A16_X
};

}  // namespace w4a16::kernels
