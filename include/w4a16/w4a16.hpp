// C++17 interface over the C API (same core, same checks).  Header-only.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "w4a16/w4a16.h"

namespace w4a16 {

// Result of a call: the status plus the message captured at the point of failure.
class Status {
 public:
  Status() = default;
  static Status capture(w4a16Status_t code) {
    Status s;
    s.code_ = code;
    if (code != W4A16_STATUS_SUCCESS) s.message_ = w4a16GetLastErrorMessage();
    return s;
  }
  bool ok() const { return code_ == W4A16_STATUS_SUCCESS; }
  w4a16Status_t code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const {
    return ok() ? std::string("OK") : std::string(w4a16StatusString(code_)) + ": " + message_;
  }

 private:
  w4a16Status_t code_ = W4A16_STATUS_SUCCESS;
  std::string message_;
};

class Error : public std::runtime_error {
 public:
  explicit Error(const Status& s) : std::runtime_error(s.to_string()), status_(s) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

inline void throw_if_error(const Status& s) {
  if (!s.ok()) throw Error(s);
}

// A quantized weight matrix in the canonical format (device pointers, not owned).
struct QuantizedWeight {
  const void* packed = nullptr;  // [N, K/2] uint8
  const void* scales = nullptr;  // [N, K/g] bf16
  const void* zeros = nullptr;   // [N, K/g] bf16 or null (symmetric)
  int N = 0;
  int K = 0;
  int group_size = W4A16_DEFAULT_GROUP_SIZE;
};

inline Status quantize(const void* bf16_weights, void* packed, void* scales, void* zeros, int N, int K,
                       int group_size, cudaStream_t stream) {
  return Status::capture(quantizeWeightToINT4Ex(bf16_weights, packed, scales, zeros, N, K, group_size, stream));
}

inline Status workspace_size(int M, const QuantizedWeight& w, size_t* bytes) {
  return Status::capture(w4a16GetWorkspaceSize(M, w.N, w.K, w.group_size, w.zeros != nullptr, bytes));
}

// y = alpha * x * W^T + beta * y
inline Status gemm(const void* x, const QuantizedWeight& w, void* y, int M, float alpha = 1.0f, float beta = 0.0f,
                   void* workspace = nullptr, size_t workspace_bytes = 0, cudaStream_t stream = nullptr) {
  return Status::capture(w4a16GemmForwardEx(x, w.packed, w.scales, w.zeros, y, M, w.N, w.K, w.group_size, alpha,
                                            beta, workspace, workspace_bytes, stream));
}

inline std::string describe_dispatch(int M, const QuantizedWeight& w) {
  char buf[512];
  Status s = Status::capture(w4a16DescribeDispatch(M, w.N, w.K, w.group_size, w.zeros != nullptr, buf, sizeof buf));
  return s.ok() ? std::string(buf) : s.to_string();
}

// Packed weights (docs/format.md, section 6): `buffer` is caller-owned device
// memory of packed_size() bytes; *packed is filled on success.
inline Status packed_size(const QuantizedWeight& w, size_t* bytes) {
  return Status::capture(w4a16GetPackedWeightsSize(w.N, w.K, w.group_size, w.zeros != nullptr, bytes));
}

inline Status pack(const QuantizedWeight& w, void* buffer, size_t buffer_bytes, w4a16PackedWeights* packed,
                   cudaStream_t stream = nullptr) {
  return Status::capture(
      w4a16PackWeights(w.packed, w.scales, w.zeros, w.N, w.K, w.group_size, buffer, buffer_bytes, packed, stream));
}

inline Status workspace_size(int M, const w4a16PackedWeights& w, size_t* bytes) {
  return Status::capture(w4a16GetWorkspaceSizePacked(M, &w, bytes));
}

// y = alpha * x * W^T + beta * y on packed weights; flags: w4a16ForwardFlag_t
// (W4A16_FORWARD_OVERLAP_PREVIOUS: see w4a16.h for the caller's guarantee).
inline Status gemm(const void* x, const w4a16PackedWeights& w, void* y, int M, float alpha = 1.0f, float beta = 0.0f,
                   void* workspace = nullptr, size_t workspace_bytes = 0, cudaStream_t stream = nullptr,
                   unsigned flags = 0) {
  return Status::capture(
      w4a16GemmForwardPackedEx(x, &w, y, M, alpha, beta, workspace, workspace_bytes, flags, stream));
}

inline std::string describe_dispatch(int M, const w4a16PackedWeights& w) {
  char buf[512];
  Status s = Status::capture(w4a16DescribeDispatchPacked(M, &w, buf, sizeof buf));
  return s.ok() ? std::string(buf) : s.to_string();
}

}  // namespace w4a16
