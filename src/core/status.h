// Status handling behind the C API: a thread-local last-error message and a
// helper that records it.  Nothing here throws.
#pragma once

#include <cuda_runtime_api.h>

#include "w4a16/w4a16.h"

namespace w4a16::detail {

// Records the message (printf-style) for this host thread and returns `code`.
w4a16Status_t fail(w4a16Status_t code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Maps a CUDA error from `what` to a status: missing kernel images and
// too-old devices become W4A16_STATUS_UNSUPPORTED_GPU, the rest CUDA_ERROR.
w4a16Status_t fail_cuda(cudaError_t err, const char* what);

void clear_error();
const char* last_error();

}  // namespace w4a16::detail

// Evaluates `expr` (a w4a16Status_t) and returns it from the caller on failure.
#define W4A16_RETURN_IF_ERROR(expr)                         \
  do {                                                      \
    const w4a16Status_t w4a16_status_ = (expr);             \
    if (w4a16_status_ != W4A16_STATUS_SUCCESS) return w4a16_status_; \
  } while (0)
