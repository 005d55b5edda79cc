#include "core/status.h"

#include <cstdarg>
#include <cstdio>

namespace w4a16::detail {
namespace {
thread_local char g_last_error[1024] = "";
}  // namespace

w4a16Status_t fail(w4a16Status_t code, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(g_last_error, sizeof g_last_error, fmt, args);
  va_end(args);
  return code;
}

w4a16Status_t fail_cuda(cudaError_t err, const char* what) {
  const bool unsupported = err == cudaErrorNoKernelImageForDevice || err == cudaErrorInvalidDeviceFunction ||
                           err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver ||
                           err == cudaErrorUnsupportedPtxVersion;
  return fail(unsupported ? W4A16_STATUS_UNSUPPORTED_GPU : W4A16_STATUS_CUDA_ERROR, "%s: %s (%s)", what,
              cudaGetErrorString(err), cudaGetErrorName(err));
}

void clear_error() { g_last_error[0] = '\0'; }

const char* last_error() { return g_last_error; }

}  // namespace w4a16::detail

extern "C" {

const char* w4a16GetLastErrorMessage(void) { return w4a16::detail::last_error(); }

const char* w4a16StatusString(w4a16Status_t status) {
  switch (status) {
    case W4A16_STATUS_SUCCESS: return "W4A16_STATUS_SUCCESS";
    case W4A16_STATUS_NULL_POINTER: return "W4A16_STATUS_NULL_POINTER";
    case W4A16_STATUS_NOT_DEVICE_POINTER: return "W4A16_STATUS_NOT_DEVICE_POINTER";
    case W4A16_STATUS_MISALIGNED_POINTER: return "W4A16_STATUS_MISALIGNED_POINTER";
    case W4A16_STATUS_INVALID_SHAPE: return "W4A16_STATUS_INVALID_SHAPE";
    case W4A16_STATUS_SHAPE_OVERFLOW: return "W4A16_STATUS_SHAPE_OVERFLOW";
    case W4A16_STATUS_INVALID_GROUP_SIZE: return "W4A16_STATUS_INVALID_GROUP_SIZE";
    case W4A16_STATUS_WORKSPACE_TOO_SMALL: return "W4A16_STATUS_WORKSPACE_TOO_SMALL";
    case W4A16_STATUS_UNSUPPORTED_GPU: return "W4A16_STATUS_UNSUPPORTED_GPU";
    case W4A16_STATUS_ALIASING: return "W4A16_STATUS_ALIASING";
    case W4A16_STATUS_CUDA_ERROR: return "W4A16_STATUS_CUDA_ERROR";
    case W4A16_STATUS_INVALID_ARGUMENT: return "W4A16_STATUS_INVALID_ARGUMENT";
    case W4A16_STATUS_INTERNAL_ERROR: return "W4A16_STATUS_INTERNAL_ERROR";
  }
  return "W4A16_STATUS_<unknown>";
}

const char* w4a16VersionString(void) { return "0.1.0"; }

}  // extern "C"
