#include "core/device_info.h"

#include "core/status.h"

namespace w4a16::detail {

w4a16Status_t current_device_info(DeviceInfo* info) {
  int device = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&info->cc_major, cudaDevAttrComputeCapabilityMajor, device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&info->cc_minor, cudaDevAttrComputeCapabilityMinor, device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&info->sm_count, cudaDevAttrMultiProcessorCount, device);
  if (err != cudaSuccess) {
    cudaGetLastError();  // do not leave our failed query as the thread's sticky last error
    return fail(W4A16_STATUS_UNSUPPORTED_GPU, "no usable CUDA device: %s (%s)", cudaGetErrorString(err),
                cudaGetErrorName(err));
  }
  info->device = device;
  if (info->cc_major < 8) {
    return fail(W4A16_STATUS_UNSUPPORTED_GPU,
                "device %d has compute capability %d.%d; w4a16 needs 8.0 or newer (bf16 mma.sync)", device,
                info->cc_major, info->cc_minor);
  }
  return W4A16_STATUS_SUCCESS;
}

}  // namespace w4a16::detail
