// A kernel's dynamic shared-memory limit, raised once per device instead of
// on every launch.
//
// Why: kernels with more than 48 KB of dynamic shared memory need
// cudaFuncSetAttribute(kernel, MaxDynamicSharedMemorySize, bytes) before they
// launch; that costs 0.6 us of CPU per call on the H100 machine's host
// (bench/lab/host_cost_lab.cu), about a sixth of a launch, and it is per
// function and per device context.  So it is set once per device, and set
// again and the launch retried once when a launch fails after it was skipped:
// a cudaDeviceReset gives the device a new context with the default limit,
// and the first launch after it fails (tests/test_launch_memo_gpu.cpp covers
// that path).  Devices 64 and up are set on every call.  Host-only.
#pragma once

#include <cuda_runtime_api.h>

#include <atomic>
#include <cstdint>

namespace w4a16::kernels {

class DynamicSmemLimit {
 public:
  // Sets the limit on `device` unless this object already did; *fresh says
  // whether this call set it.
  cudaError_t ensure(const void* kernel, int bytes, int device, bool* fresh) {
    const uint64_t bit = device >= 0 && device < 64 ? uint64_t{1} << device : 0;
    *fresh = false;
    if (bit != 0 && (set_.load(std::memory_order_acquire) & bit) != 0) return cudaSuccess;
    const cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    if (err != cudaSuccess) return err;
    *fresh = true;
    set_.fetch_or(bit, std::memory_order_acq_rel);
    return cudaSuccess;
  }

  void forget(int device) {
    if (device >= 0 && device < 64) set_.fetch_and(~(uint64_t{1} << device), std::memory_order_acq_rel);
  }

 private:
  std::atomic<uint64_t> set_{0};
};

// Runs `launch` (returning cudaError_t) with the limit set; when it fails and
// the limit was set by an earlier call, clears the launch error, sets the
// limit again and launches once more.
template <class Launch>
cudaError_t launch_with_smem_limit(DynamicSmemLimit& limit, const void* kernel, int bytes, int device,
                                   Launch&& launch) {
  bool fresh = false;
  cudaError_t err = limit.ensure(kernel, bytes, device, &fresh);
  if (err != cudaSuccess) return err;
  err = launch();
  if (err == cudaSuccess || fresh) return err;
  cudaGetLastError();
  limit.forget(device);
  err = limit.ensure(kernel, bytes, device, &fresh);
  if (err != cudaSuccess) return err;
  return launch();
}

}  // namespace w4a16::kernels
