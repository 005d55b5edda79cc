// Test kernels for W4A16_FORWARD_OVERLAP_PREVIOUS (test_gemm_gpu.cpp): a
// "previous kernel" that lets its programmatic dependents start at once and
// only then, after a long wait, does its memory work.  A GEMM launched with
// the flag after it must see that work (it reads the activations only after
// griddepcontrol.wait) and must not overwrite a buffer it still reads.
#include "overlap_kernels.h"

#include <cstdint>

namespace w4a16::testutil {
namespace {

__global__ void early_trigger_copy_kernel(uint4* dst, const uint4* src, size_t count, unsigned long long spin_ns) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
  unsigned long long start = 0, now = 0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < spin_ns);
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

}  // namespace

cudaError_t launch_early_trigger_copy(void* dst, const void* src, size_t bytes, unsigned long long spin_ns,
                                      cudaStream_t stream) {
  if (bytes % 16 != 0) return cudaErrorInvalidValue;
  // One small block per SM at most: the GEMM's CTAs can become resident next
  // to it while it spins.
  early_trigger_copy_kernel<<<8, 128, 0, stream>>>(static_cast<uint4*>(dst), static_cast<const uint4*>(src),
                                                   bytes / 16, spin_ns);
  return cudaGetLastError();
}

}  // namespace w4a16::testutil
