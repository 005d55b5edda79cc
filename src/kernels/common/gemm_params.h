// Arguments of one W4A16 GEMM launch, as plain types so that host code (.cpp)
// and device code (.cu) share the struct.  Validation happened before this
// struct is filled (src/core/validate.cpp): kernels trust it.
#pragma once

#include <cstdint>

namespace w4a16::kernels {

inline constexpr int kProgrammaticOverlap = 1;    // GemmParams::programmatic
inline constexpr int kProgrammaticWaitFirst = 2;  // GemmParams::programmatic
inline constexpr int kProgrammaticWaitFirstPrefetch = 3;  // GemmParams::programmatic

struct GemmParams {
  const uint16_t* x;       // [M, K] bf16 activations, row-major, 16 B aligned
  const uint8_t* wq;       // [N, K/2] canonical packed int4 (docs/format.md), 16 B aligned
  const uint16_t* scales;  // [N, K/g] bf16
  const uint16_t* zeros;   // [N, K/g] bf16, or nullptr (symmetric)
  uint16_t* y;             // [M, N] bf16, 16 B aligned
  float* partials;         // [split_k, M, N] fp32 split-K partial sums (split_k > 1 only)
  int M, N, K;
  int group_size;          // g; K % g == 0
  int groups_per_row;      // K / g
  int group_shift;         // log2(g) when groups_per_row > 1 (g is then a power of two)
  float alpha, beta;       // beta == 0: y is not read
  int split_k;             // >= 1; k-tiles are split into this many contiguous ranges
  // dec kernels: launch as a programmatic dependent of the previous kernel
  // in the stream (sm_90 and later; ignored by the others):
  //   0  not programmatic;
  //   1  W4A16_FORWARD_OVERLAP_PREVIOUS: the first stages' weights and group
  //      params are read before griddepcontrol.wait, the activations, y,
  //      beta's y and the partials only after it;
  //   2  the default (kProgrammaticWaitFirst): griddepcontrol.wait before
  //      the first global access, so only the launch overlaps the previous
  //      kernel's tail and nothing is assumed about what it writes;
  //   3  the default since the twenty-second session
  //      (kProgrammaticWaitFirstPrefetch): as 2, but the packed M <= 8 tiles
  //      first prefetch their first k blocks into L2 (no value is read).
  int programmatic;
  // dec kernels, split_k > 1: launch splitk_reduce as a programmatic
  // dependent of the GEMM (sm_90 and later).
  int programmatic_reduce;
};

}  // namespace w4a16::kernels
