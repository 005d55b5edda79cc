// Host-facing entry points of the Hopper W4A16 GEMM on CUTLASS 3.x collectives
// (TMA, warp-specialized, WGMMA with the int4 weights converted in registers).
// Built only for sm_90a (the arch-specific WGMMA/TMA instructions) and only
// when CUTLASS is found; sm90_mixed_available() says whether this build has it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/sm90/sm90_mixed_configs.h"

namespace w4a16::kernels {

// Arguments (validated by the caller, docs/cutlass-mixed-input.md):
//   | name     | dtype | shape          | layout                     | alignment |
//   |----------|-------|----------------|----------------------------|-----------|
//   | x        | bf16  | [M, K]         | row-major                  | 16 B      |
//   | wq       | int4  | [N, K/2] bytes | canonical (low nibble = even k), or reordered for `_rp` configs | 16 B |
//   | scales_t | bf16  | [K/g, N]       | row-major (transposed)     | 16 B      |
//   | zeros_t  | bf16  | [K/g, N]       | row-major (transposed; zeros when symmetric) | 16 B |
//   | y        | bf16  | [M, N]         | row-major                  | 16 B      |
//   K % 32 == 0, N % 8 == 0, g == K or g % TILE_K == 0.
struct Sm90MixedParams {
  const void* x;
  const void* wq;
  const void* scales_t;
  const void* zeros_t;
  void* y;
  int M, N, K, group_size;
  float alpha, beta;
  int device;        // CUDA device ordinal the call runs on
  int sm_count;      // the device's SMs (saves CUTLASS a device query per call)
  int splits;        // stream-K configurations: > 1 forces split-K with this many K ranges, else CUTLASS's heuristic;
                     // kslices configurations: the number of K slices (S * g divides K; 1 when <= 1)
  void* workspace;   // stream-K partials and flags, or kslices fp32 partials [S, M, N] (sm90_mixed_workspace_size
                     // bytes, 256 B aligned), else unused
  size_t workspace_bytes;
  bool programmatic_reduce;  // kslices: launch the reduction as a programmatic dependent launch (splitk_reduce.h)
  // Packed-weight configurations other than stream-K (compiled with
  // CUTLASS_ENABLE_GDC_FOR_SM90): launch the GEMM itself as a programmatic
  // dependent of the previous kernel in the stream.
  bool programmatic;
};

bool sm90_mixed_available();

#define W4A16_X(name, ...)                                                                 \
  cudaError_t sm90_mixed_gemm_##name(const Sm90MixedParams& p, cudaStream_t stream);        \
  size_t sm90_mixed_workspace_##name(const Sm90MixedParams& p);
W4A16_SM90_MIXED_CONFIGS(W4A16_X)
#undef W4A16_X

// Runs configuration `id` on `stream` (cudaErrorNotSupported when this build
// has no sm_90a CUTLASS kernels; cudaErrorInvalidValue when CUTLASS's
// can_implement rejects the problem, which the caller's checks should prevent).
cudaError_t sm90_mixed_gemm(Sm90MixedConfigId id, const Sm90MixedParams& p, cudaStream_t stream);

// Bytes of workspace configuration `id` needs for this problem (0 for the
// persistent scheduler; stream-K partials and flags; kslices fp32 partials).
// Host arithmetic only: no CUDA call.  0 when this build has no sm_90a
// kernels or when a kslices split does not cut K into whole groups.
size_t sm90_mixed_workspace_size(Sm90MixedConfigId id, const Sm90MixedParams& p);

// Copies canonical weights ([N, K/2] bytes, low nibble = even k) into the
// reordered layout of the `_rp` configurations (docs/sm90-weight-reorder.md):
// N * K / 2 bytes at `out` (16 B aligned), N % 16 == 0, K % 16 == 0.  One
// thread per 16 output bytes: two 8-byte row loads, one 16-byte store.
// Capturable, no allocation.
cudaError_t sm90_prepack_weights(const void* wq, void* out, int N, int K, cudaStream_t stream);

// Transposes the group parameters [N, G] -> [G, N] (G = K / g) for the CUTLASS
// mainloop, which reads them N-contiguous; zeros == nullptr writes zeros (the
// symmetric format: w = s*q + 0).  Capturable, no allocation.
cudaError_t transpose_group_params(const void* scales, const void* zeros, void* scales_t, void* zeros_t, int N,
                                   int groups, cudaStream_t stream);

}  // namespace w4a16::kernels
