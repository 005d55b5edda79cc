// The few device properties the dispatcher and the checks need.
#pragma once

#include "w4a16/w4a16.h"

namespace w4a16::detail {

struct DeviceInfo {
  int device = 0;
  int cc_major = 0;
  int cc_minor = 0;
  int sm_count = 0;
  int arch() const { return cc_major * 10 + cc_minor; }  // 90 for sm_90
};

// Properties of the current device.  Fails with W4A16_STATUS_UNSUPPORTED_GPU
// when there is no usable device or its compute capability is below 8.0.
// cudaDeviceGetAttribute is cheap (the runtime caches it), so no cache here:
// that keeps the function free of shared state for multi-threaded callers.
w4a16Status_t current_device_info(DeviceInfo* info);

}  // namespace w4a16::detail
