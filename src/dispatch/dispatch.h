// The dispatcher: from a problem (M, N, K, g, zeros) and the device to a
// kernel configuration and a split-K factor, with a printable reason.  Pure
// host code with no CUDA calls, so it is testable without a GPU.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/sm80/sm80_mma_configs.h"
#include "kernels/sm90/sm90_mixed_configs.h"

namespace w4a16::dispatch {

struct Problem {
  int M, N, K, group_size;
  bool has_zeros;
};

struct Device {
  int arch;      // 90 for sm_90
  int sm_count;
};

// How w4a16PackWeights stored the weights (docs/format.md, section 5).
enum class PackedLayout : int {
  canonical = 0,      // a copy of the canonical [N, K/2] bytes and [N, K/g] params: every kernel
  sm90_fragment = 1,  // weights in the sm90 fragment order, params transposed [K/g, N]:
                      // the `decr` decode kernels and the sm90 `_rp` configurations
};

struct GemmPlan {
  kernels::Sm80MmaConfigId config;
  int split_k;
  size_t workspace_bytes;  // split_k > 1: split_k * M * N fp32 partials
  std::string reason;      // why this configuration and split
  // The Hopper CUTLASS path (issue #4) instead of config: its mainloop reads
  // the group params transposed, [K/g, N], from the workspace.
  bool sm90 = false;
  kernels::Sm90MixedConfigId sm90_config = kernels::Sm90MixedConfigId::kCount;
  int sm90_splits = 0;             // sm90 stream-K configs: > 1 = split-K with this many K ranges, else CUTLASS's heuristic
  bool weights_reordered = false;  // sm90 `_rp`: the forward first reorders the weights into the workspace
  size_t reordered_w_offset = 0;   // sm90 `_rp`: byte offset of the reordered weights (N * K / 2 bytes)
  size_t scales_t_offset = 0;  // sm90: byte offsets of the transposed scales and zeros in the workspace
  size_t zeros_t_offset = 0;
  bool sm90_programmatic_reduce = false;  // sm90 kslices: the reduction is a programmatic dependent launch
  size_t cutlass_ws_offset = 0;  // sm90 stream-K: CUTLASS's own workspace (partials, flags)
  size_t cutlass_ws_bytes = 0;
  // Packed weights in the sm90 fragment order: the kernel reads the pack's
  // weights and transposed params directly (no per-call reorder or transpose).
  bool packed = false;
};

// Why configuration `c` of the Hopper path cannot run problem `p` on `d`
// (empty when it can): arch, build, N % 8, group size vs the tile's K.
std::string sm90_reject_reason(const Problem& p, const Device& d, const kernels::Sm90MixedConfig& c,
                               bool sm90_built);

GemmPlan plan_gemm(const Problem& problem, const Device& device);

// K slices for a kslices configuration (sm90_mixed_configs.h): the most, up
// to kMaxKSlices, whose output tiles x slices fit one wave of the SMs, each
// slice whole groups (S * g divides K) and at least kMinKSliceTiles k tiles
// deep (the kernel's fixed cost, about 3.7 us on H100, buys nothing on fewer).
// 1 when g == K or nothing else fits.
inline constexpr int kMaxKSlices = 16;
inline constexpr int kMinKSliceTiles = 4;
int kslices_for(const Problem& p, const Device& d, const kernels::Sm90MixedConfig& c);

// The layout w4a16PackWeights uses for `p` (M ignored) on `d`: the sm90
// fragment order where the Hopper kernels are built and can read it (sm_90,
// N % 16 == 0, each 128-deep k block inside one group: g % 128 == 0 or
// g == K), else canonical.  *why (when not null) says which condition decided.
PackedLayout packed_layout_for(const Problem& p, const Device& d, bool sm90_built, std::string* why);

// The plan for weights packed in the sm90 fragment order: the `decr` twin of
// the decode choice for the decode range, else the `_rp` twin of the
// Hopper configuration plan_gemm's rules pick (ping-pong 64x128 where they
// would fall back to an sm_80 tile, which cannot read this layout).
GemmPlan plan_packed(const Problem& problem, const Device& device);

// Override for measurements and tuning: `spec` is "<config name>" or
// "<config name>:<split_k>" (the W4A16_FORCE_CONFIG environment variable).
// Returns false and fills *error if the spec names no configuration or an
// invalid split; the split defaults to the heuristic's for that config.
// With layout == sm90_fragment only the configurations that read packed
// weights (decr, `_rp`) are accepted, and the plan reads the pack directly.
bool plan_forced(const Problem& problem, const Device& device, const char* spec, GemmPlan* plan,
                 std::string* error, PackedLayout layout = PackedLayout::canonical);

// The autotune candidates: every configuration of this build that can run
// `p` on `d` from weights in `layout`, each with the split-K its heuristic
// would use (spec is what W4A16_FORCE_CONFIG takes: "name:split").
// *rejected gets "name: why" for the others (decode kernels beyond M = 64,
// Hopper limits, kernels that read the other layout, ...).
struct Candidate {
  std::string spec;
  GemmPlan plan;
};
std::vector<Candidate> candidates(const Problem& p, const Device& d, std::vector<std::string>* rejected,
                                  PackedLayout layout = PackedLayout::canonical);

// "sm80_rdq_m16n128k128s6 (BMxBNxBK=16x128x128, 4 warps, 6 stages) split_k=8 grid=256: <reason>"
std::string describe(const GemmPlan& plan, const Problem& problem);

}  // namespace w4a16::dispatch
