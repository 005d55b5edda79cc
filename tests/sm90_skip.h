// Why the CUTLASS Hopper kernels cannot run here (empty when they can): the
// build has no sm_90a kernels, or the current device is not sm_90.  Shared by
// the GPU test files; call it after the test has checked that a GPU is usable.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "kernels/sm90/sm90_mixed_gemm.h"

namespace w4a16::testutil {

inline std::string sm90_skip_reason() {
  if (!w4a16::kernels::sm90_mixed_available()) return "this build has no sm_90a kernels";
  int major = 0, device = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (major != 9) return "the CUTLASS Hopper kernels need an sm_90 device, this one is sm_" + std::to_string(major) + "x";
  return "";
}

}  // namespace w4a16::testutil
