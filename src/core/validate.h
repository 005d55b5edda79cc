// Argument checks shared by every public entry point.  Each returns SUCCESS
// or records a specific message (naming the function and the argument) and
// returns the matching status.  Order of use in the API: shapes, null
// pointers, alignment, device, pointer kinds, aliasing, workspace.
#pragma once

#include <cstddef>
#include <cstdint>

#include "w4a16/w4a16.h"

namespace w4a16::detail {

// N >= 1, K >= 32, K % 32 == 0, g in {32,64,128,256} or g == K, K % g == 0,
// N*K < 2^31.  M is checked separately (M >= 0, M*K and M*N < 2^31).
w4a16Status_t check_weight_shape(const char* fn, int N, int K, int group_size);
w4a16Status_t check_m(const char* fn, int M, int N, int K);

w4a16Status_t check_not_null(const char* fn, const void* p, const char* name);
w4a16Status_t check_aligned(const char* fn, const void* p, const char* name, size_t alignment);

// Device or managed memory of the current device.
w4a16Status_t check_device_pointer(const char* fn, const void* p, const char* name, int device);

// Fails with W4A16_STATUS_ALIASING if [out, out+out_bytes) overlaps [in, in+in_bytes).
w4a16Status_t check_no_overlap(const char* fn, const void* out, size_t out_bytes, const char* out_name,
                               const void* in, size_t in_bytes, const char* in_name);

// log2(g) for a power of two, else -1.
int log2_exact(int g);

}  // namespace w4a16::detail
