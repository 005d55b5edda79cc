/*
 * w4a16 — 4-bit-weight x bf16-activation GEMM.  Public C API.
 *
 *   Y[M,N] = alpha * X[M,K] * What[N,K]^T + beta * Y[M,N]
 *
 * X is bf16 activations (row-major), What the dequantized int4 weights
 * (What[n,k] = s[n,k/g] * q[n,k] + z[n,k/g], q in [-8,7]), Y bf16 (row-major).
 *
 * Every function returns a w4a16Status_t and never throws.  On failure a
 * specific, human-readable message is available from w4a16GetLastErrorMessage()
 * (thread-local: it describes the last failing call made by this host thread),
 * and nothing has been written to any output buffer.
 *
 * Canonical packed format (docs/format.md has the bit diagrams):
 *   int4_packed [N, K/2] uint8, row-major.  Byte (n, j) holds q[n, 2j] in bits
 *               0..3 and q[n, 2j+1] in bits 4..7, each a two's-complement
 *               signed nibble in [-8, 7].
 *   scales      [N, K/g] bf16, row-major.
 *   zeros       [N, K/g] bf16, row-major, or NULL (symmetric: z = 0).
 *
 * Shape rules (checked by every entry point; see docs/format.md):
 *   N >= 1, K >= 32, K % 32 == 0, g in {32, 64, 128, 256} or g == K,
 *   K % g == 0, M >= 0 (M == 0 is a no-op), and M*K, N*K, M*N < 2^31.
 *
 * Pointer rules for the GPU entry points: device (or managed) memory; the
 * activation, packed-weight and output pointers 16-byte aligned, scales,
 * zeros and the quantizer's bf16 weights 2-byte aligned, the dequantizer's
 * bf16 output 4-byte aligned; the output must not overlap any input.
 *
 * Check order (every entry point): shapes and group size, null pointers and
 * scalar arguments, alignment -- none of which touch the GPU -- then the
 * device, pointer kinds, aliasing and workspace.  M == 0 returns SUCCESS once
 * the weight arguments pass, without looking at activation or output.
 */
#ifndef W4A16_W4A16_H_
#define W4A16_W4A16_H_

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#if defined(_WIN32)
#define W4A16_API __declspec(dllexport)
#else
#define W4A16_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define W4A16_VERSION_MAJOR 0
#define W4A16_VERSION_MINOR 1
#define W4A16_VERSION_PATCH 0

/* The spec's default group size. */
#define W4A16_DEFAULT_GROUP_SIZE 128

typedef enum w4a16Status {
  W4A16_STATUS_SUCCESS = 0,
  W4A16_STATUS_NULL_POINTER = 1,        /* a required pointer is NULL */
  W4A16_STATUS_NOT_DEVICE_POINTER = 2,  /* host / unregistered memory where device memory is required */
  W4A16_STATUS_MISALIGNED_POINTER = 3,  /* pointer does not meet its alignment rule */
  W4A16_STATUS_INVALID_SHAPE = 4,       /* M < 0, N <= 0, K <= 0, K % 32 != 0, ... */
  W4A16_STATUS_SHAPE_OVERFLOW = 5,      /* M*K, N*K or M*N does not fit 32-bit indexing */
  W4A16_STATUS_INVALID_GROUP_SIZE = 6,  /* g unsupported or K % g != 0 */
  W4A16_STATUS_WORKSPACE_TOO_SMALL = 7, /* workspace NULL or smaller than w4a16GetWorkspaceSize() */
  W4A16_STATUS_UNSUPPORTED_GPU = 8,     /* compute capability < 8.0 or no kernel image for it */
  W4A16_STATUS_ALIASING = 9,            /* output overlaps an input */
  W4A16_STATUS_CUDA_ERROR = 10,         /* a CUDA runtime call failed (message has the CUDA error) */
  W4A16_STATUS_INVALID_ARGUMENT = 11,   /* any other bad argument (e.g. non-finite alpha) */
  W4A16_STATUS_INTERNAL_ERROR = 12
} w4a16Status_t;

/* Static name of a status ("W4A16_STATUS_SUCCESS", ...). Never NULL. */
W4A16_API const char* w4a16StatusString(w4a16Status_t status);

/* Message describing the last failure on this host thread ("" if none). */
W4A16_API const char* w4a16GetLastErrorMessage(void);

/* "0.1.0" */
W4A16_API const char* w4a16VersionString(void);

/* ---------------------------------------------------------------------------
 * Quantization (offline).  The GPU and host implementations produce
 * bit-identical packed weights, scales and zeros (docs/format.md gives the
 * formulas).  zeros == NULL selects symmetric quantization.
 * ------------------------------------------------------------------------- */

/* GPU: bf16_weights [N,K] bf16 (device) -> int4_packed [N,K/2], scales/zeros [N,K/g] (device). */
W4A16_API w4a16Status_t quantizeWeightToINT4Ex(const void* bf16_weights, void* int4_packed, void* scales,
                                               void* zeros, int N, int K, int group_size, cudaStream_t stream);

/* Spec-compatible name and argument order (same as the Ex form). */
W4A16_API w4a16Status_t quantizeWeightToINT4(const void* bf16_weights, void* int4_packed, void* scales,
                                             void* zeros, int N, int K, int group_size, cudaStream_t stream);

/* Host reference: same arguments, host memory, bit-identical to the GPU path. */
W4A16_API w4a16Status_t w4a16QuantizeHost(const uint16_t* bf16_weights, uint8_t* int4_packed, uint16_t* scales,
                                          uint16_t* zeros, int N, int K, int group_size);

/* GPU: dequantize the canonical format to bf16 [N,K]: What = bf16_rn(s*q + z) (exact, one rounding). */
W4A16_API w4a16Status_t w4a16DequantizeToBF16(const void* int4_packed, const void* scales, const void* zeros,
                                              void* bf16_out, int N, int K, int group_size, cudaStream_t stream);

/* Host reference of w4a16DequantizeToBF16 (bit-identical). */
W4A16_API w4a16Status_t w4a16DequantizeHost(const uint8_t* int4_packed, const uint16_t* scales,
                                            const uint16_t* zeros, uint16_t* bf16_out, int N, int K,
                                            int group_size);

typedef struct w4a16QuantError {
  double rel_fro_error;   /* ||W - What||_F / ||W||_F over finite groups (0 if ||W|| == 0) */
  double max_abs_error;   /* max |W - What| over finite groups */
  double max_rel_group;   /* max over groups of ||W_g - What_g||_2 / ||W_g||_2 (groups with ||W_g|| > 0) */
  int64_t nonfinite_groups; /* groups with a NaN/Inf input (their scale is NaN) */
  int64_t groups;         /* N * K / g */
} w4a16QuantError_t;

/* Host: quantization quality of (packed, scales, zeros) against the original bf16 W (host memory). */
W4A16_API w4a16Status_t w4a16QuantizationErrorHost(const uint16_t* bf16_weights, const uint8_t* int4_packed,
                                                   const uint16_t* scales, const uint16_t* zeros, int N, int K,
                                                   int group_size, w4a16QuantError_t* result);

/* ---------------------------------------------------------------------------
 * GEMM.
 * ------------------------------------------------------------------------- */

/* Bytes of device workspace w4a16GemmForwardEx needs for this problem on the
 * current device (0 is possible; pass workspace = NULL then). The answer
 * depends only on the arguments, the device's multiprocessor count and the
 * environment: W4A16_FORCE_CONFIG asks for that configuration's bytes, and
 * W4A16_AUTOTUNE=1 for the largest any autotune candidate needs (README). */
W4A16_API w4a16Status_t w4a16GetWorkspaceSize(int M, int N, int K, int group_size, int has_zeros,
                                              size_t* workspace_size);

/* Y = alpha * X * What^T + beta * Y.  beta == 0 does not read Y (NaN in Y does
 * not propagate).  Stream-ordered, no host synchronization, no allocation:
 * capturable in a CUDA graph.  Deterministic: the same inputs give bitwise the
 * same output on the same device.  On sm_90 and later the small-M (decode)
 * kernels are launched as programmatic dependents of the kernel before them
 * on `stream` and wait for it to complete before their first memory access,
 * so only their launch overlaps its tail (W4A16_PDL=0 turns that off). */
W4A16_API w4a16Status_t w4a16GemmForwardEx(const void* activation, const void* int4_packed, const void* scales,
                                           const void* zeros, void* output, int M, int N, int K, int group_size,
                                           float alpha, float beta, void* workspace, size_t workspace_size,
                                           cudaStream_t stream);

/* The spec's signature: group size 128. */
W4A16_API w4a16Status_t w4a16GemmForward(const void* activation, const void* int4_packed, const void* scales,
                                         const void* zeros, void* output, int M, int N, int K, float alpha,
                                         float beta, void* workspace, size_t workspace_size, cudaStream_t stream);

/* ---------------------------------------------------------------------------
 * Packed weights: a one-time reorder (at load or engine-build time) into the
 * layout the fastest kernels of the current device read, so that a forward
 * call reorders and transposes nothing (docs/format.md, section 5).
 *
 * The pack lives in a caller-owned device buffer of
 * w4a16GetPackedWeightsSize bytes and replaces the canonical weights, scales
 * and zeros: they may be freed once the pack's stream work is done.  Its
 * layout is chosen for the current device (the sm_90 fragment order on
 * Hopper where N % 16 == 0 and g % 64 == 0 or g == K, else a copy of the
 * canonical layout), so a pack is valid only on the device it was made on.
 * The descriptor is a plain host struct (copyable); its data pointer is the
 * caller's buffer.
 * ------------------------------------------------------------------------- */

#define W4A16_PACKED_MAGIC 0x57344131364b5031ull /* "W4A16KP1" */

typedef enum w4a16PackedLayout {
  W4A16_PACKED_CANONICAL = 0,     /* copies of the canonical arrays */
  W4A16_PACKED_SM90_FRAGMENT = 1  /* weights in WGMMA/mma fragment order, params [K/g, N] */
} w4a16PackedLayout_t;

typedef struct w4a16PackedWeights {
  uint64_t magic;      /* W4A16_PACKED_MAGIC once w4a16PackWeights has filled it */
  int N, K, group_size, has_zeros;
  int layout;          /* w4a16PackedLayout_t */
  int device;          /* CUDA device ordinal the pack was made for */
  void* data;          /* the caller's buffer */
  size_t size;         /* bytes of it in use */
  size_t weights_offset, scales_offset, zeros_offset; /* byte offsets into data (256-byte aligned) */
} w4a16PackedWeights;

/* Bytes of the buffer w4a16PackWeights needs for these weights on the
 * current device. */
W4A16_API w4a16Status_t w4a16GetPackedWeightsSize(int N, int K, int group_size, int has_zeros, size_t* bytes);

/* Packs canonical weights (the arguments of w4a16GemmForwardEx) into
 * `buffer` (device memory, 256-byte aligned, buffer_size >= the size above,
 * not overlapping the inputs) and fills *packed.  Stream-ordered: the pack is
 * usable by work enqueued after it on `stream`. */
W4A16_API w4a16Status_t w4a16PackWeights(const void* int4_packed, const void* scales, const void* zeros, int N,
                                         int K, int group_size, void* buffer, size_t buffer_size,
                                         w4a16PackedWeights* packed, cudaStream_t stream);

/* Workspace bytes w4a16GemmForwardPacked needs for M tokens on these weights
 * (the environment matters as for w4a16GetWorkspaceSize). */
W4A16_API w4a16Status_t w4a16GetWorkspaceSizePacked(int M, const w4a16PackedWeights* packed,
                                                    size_t* workspace_size);

/* Y = alpha * X * What^T + beta * Y with packed weights: the same contract as
 * w4a16GemmForwardEx (stream-ordered, no allocation, no host sync,
 * deterministic, nothing written on error).  The result equals
 * w4a16GemmForwardEx's within the documented tolerance; both are checked
 * against the same fp64 reference (docs/testing.md). */
W4A16_API w4a16Status_t w4a16GemmForwardPacked(const void* activation, const w4a16PackedWeights* packed,
                                               void* output, int M, float alpha, float beta, void* workspace,
                                               size_t workspace_size, cudaStream_t stream);

/* Flags of w4a16GemmForwardPackedEx (bitwise or; other bits are rejected). */
typedef enum w4a16ForwardFlag {
  /* Let this call's kernels start before the kernel enqueued just before it
   * on `stream` has finished (programmatic dependent launch, sm_90 and later;
   * ignored on older GPUs and where the chosen kernel has no such path, as
   * for packs that keep the canonical layout, g = 32, whose decode kernels
   * wait first either way): they read the packed weights at once, and wait
   * for that kernel to complete,
   * its writes visible, before they read the activations or touch the output
   * or the workspace.  The overlap hides the launch gap and the first weight
   * loads behind the previous kernel's tail when the previous kernel lets its
   * dependents start early (this library's GEMMs do; a kernel that does not
   * is simply waited for, as without the flag).  The caller guarantees that
   * nothing enqueued earlier on `stream` that may still be running writes
   * the pack.  Results are bitwise those of the call without the flag.
   * Without the flag, the packed forward's kernels (sm_90 and later) are
   * programmatic dependents too but wait before their first global access,
   * so that only their launch overlaps the previous kernel (no assumption
   * about what it writes; W4A16_PDL=0 turns that off). */
  W4A16_FORWARD_OVERLAP_PREVIOUS = 1
} w4a16ForwardFlag_t;

/* w4a16GemmForwardPacked with flags (w4a16ForwardFlag_t); flags == 0 is
 * w4a16GemmForwardPacked. */
W4A16_API w4a16Status_t w4a16GemmForwardPackedEx(const void* activation, const w4a16PackedWeights* packed,
                                                 void* output, int M, float alpha, float beta, void* workspace,
                                                 size_t workspace_size, unsigned flags, cudaStream_t stream);

/* As w4a16DescribeDispatch, for M tokens on packed weights: names the pack's
 * layout and the kernel configuration w4a16GemmForwardPacked would run. */
W4A16_API w4a16Status_t w4a16DescribeDispatchPacked(int M, const w4a16PackedWeights* packed, char* buffer,
                                                    size_t buffer_size);

/* Describes the kernel configuration the dispatcher picks for this problem on
 * the current device, e.g. "sm80_mma_m16n128k128s6 split_k=5 (M<=16: ...)".
 * Writes at most buffer_size bytes including the terminating NUL. */
W4A16_API w4a16Status_t w4a16DescribeDispatch(int M, int N, int K, int group_size, int has_zeros, char* buffer,
                                              size_t buffer_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* W4A16_W4A16_H_ */
