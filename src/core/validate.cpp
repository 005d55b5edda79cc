#include "core/validate.h"

#include <cuda_runtime_api.h>

#include "core/status.h"

namespace w4a16::detail {
namespace {
constexpr int64_t kIndexLimit = int64_t{1} << 31;  // kernels index with 32-bit ints
}  // namespace

int log2_exact(int g) {
  if (g <= 0 || (g & (g - 1)) != 0) return -1;
  int s = 0;
  while ((1 << s) != g) ++s;
  return s;
}

w4a16Status_t check_weight_shape(const char* fn, int N, int K, int group_size) {
  if (N <= 0) return fail(W4A16_STATUS_INVALID_SHAPE, "%s: N = %d, must be >= 1", fn, N);
  if (K <= 0) return fail(W4A16_STATUS_INVALID_SHAPE, "%s: K = %d, must be >= 32", fn, K);
  if (K % 32 != 0) {
    return fail(W4A16_STATUS_INVALID_SHAPE,
                "%s: K = %d is not a multiple of 32 (packed rows must be 16-byte aligned; see docs/format.md)", fn,
                K);
  }
  const bool per_channel = group_size == K;
  const bool supported = group_size == 32 || group_size == 64 || group_size == 128 || group_size == 256;
  if (!supported && !per_channel) {
    return fail(W4A16_STATUS_INVALID_GROUP_SIZE,
                "%s: group_size = %d is not supported (use 32, 64, 128, 256, or K = %d for per-channel)", fn,
                group_size, K);
  }
  if (K % group_size != 0) {
    return fail(W4A16_STATUS_INVALID_GROUP_SIZE,
                "%s: K = %d is not a multiple of group_size = %d (a partial last group is not supported)", fn, K,
                group_size);
  }
  if (static_cast<int64_t>(N) * K >= kIndexLimit) {
    return fail(W4A16_STATUS_SHAPE_OVERFLOW, "%s: N*K = %lld does not fit 32-bit indexing (limit 2^31 - 1)", fn,
                static_cast<long long>(static_cast<int64_t>(N) * K));
  }
  return W4A16_STATUS_SUCCESS;
}

w4a16Status_t check_m(const char* fn, int M, int N, int K) {
  if (M < 0) return fail(W4A16_STATUS_INVALID_SHAPE, "%s: M = %d, must be >= 0", fn, M);
  if (static_cast<int64_t>(M) * K >= kIndexLimit) {
    return fail(W4A16_STATUS_SHAPE_OVERFLOW, "%s: M*K = %lld does not fit 32-bit indexing (limit 2^31 - 1)", fn,
                static_cast<long long>(static_cast<int64_t>(M) * K));
  }
  if (static_cast<int64_t>(M) * N >= kIndexLimit) {
    return fail(W4A16_STATUS_SHAPE_OVERFLOW, "%s: M*N = %lld does not fit 32-bit indexing (limit 2^31 - 1)", fn,
                static_cast<long long>(static_cast<int64_t>(M) * N));
  }
  return W4A16_STATUS_SUCCESS;
}

w4a16Status_t check_not_null(const char* fn, const void* p, const char* name) {
  if (p == nullptr) return fail(W4A16_STATUS_NULL_POINTER, "%s: %s is NULL", fn, name);
  return W4A16_STATUS_SUCCESS;
}

w4a16Status_t check_aligned(const char* fn, const void* p, const char* name, size_t alignment) {
  if (reinterpret_cast<uintptr_t>(p) % alignment != 0) {
    return fail(W4A16_STATUS_MISALIGNED_POINTER, "%s: %s = %p is not %zu-byte aligned", fn, name, p, alignment);
  }
  return W4A16_STATUS_SUCCESS;
}

w4a16Status_t check_device_pointer(const char* fn, const void* p, const char* name, int device) {
  cudaPointerAttributes attr{};
  const cudaError_t err = cudaPointerGetAttributes(&attr, p);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear: our query must not surface as the caller's next error
    return fail(W4A16_STATUS_NOT_DEVICE_POINTER, "%s: %s = %p is not a CUDA allocation (%s)", fn, name, p,
                cudaGetErrorString(err));
  }
  switch (attr.type) {
    case cudaMemoryTypeDevice:
      if (attr.device != device) {
        return fail(W4A16_STATUS_NOT_DEVICE_POINTER, "%s: %s = %p is memory of device %d, but device %d is current",
                    fn, name, p, attr.device, device);
      }
      return W4A16_STATUS_SUCCESS;
    case cudaMemoryTypeManaged:
      return W4A16_STATUS_SUCCESS;
    case cudaMemoryTypeHost:
      return fail(W4A16_STATUS_NOT_DEVICE_POINTER,
                  "%s: %s = %p is pinned host memory; device memory (cudaMalloc) or managed memory is required", fn,
                  name, p);
    default:
      return fail(W4A16_STATUS_NOT_DEVICE_POINTER,
                  "%s: %s = %p is host memory unknown to CUDA; device memory (cudaMalloc) or managed memory is "
                  "required",
                  fn, name, p);
  }
}

w4a16Status_t check_no_overlap(const char* fn, const void* out, size_t out_bytes, const char* out_name,
                               const void* in, size_t in_bytes, const char* in_name) {
  if (out == nullptr || in == nullptr || out_bytes == 0 || in_bytes == 0) return W4A16_STATUS_SUCCESS;
  const auto o = reinterpret_cast<uintptr_t>(out);
  const auto i = reinterpret_cast<uintptr_t>(in);
  if (o < i + in_bytes && i < o + out_bytes) {
    return fail(W4A16_STATUS_ALIASING, "%s: %s [%p, +%zu B) overlaps %s [%p, +%zu B)", fn, out_name, out, out_bytes,
                in_name, in, in_bytes);
  }
  return W4A16_STATUS_SUCCESS;
}

}  // namespace w4a16::detail
