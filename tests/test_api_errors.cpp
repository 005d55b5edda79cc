// Error handling of every public entry point: the right status, a non-empty
// message, and nothing written.  Argument checks that need no device run on
// any machine (fake, never-dereferenced pointers stand in for device memory:
// the library validates shapes, nulls, scalars and alignment before it touches
// the device); checks that need device memory skip without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "testutil.h"
#include "w4a16/w4a16.h"

namespace {

using namespace w4a16::testutil;

// Checks the status and that a message was recorded for it.
#define EXPECT_FAILS_WITH(expr, code)                                                                                \
  do {                                                                                                               \
    const w4a16Status_t status_ = (expr);                                                                            \
    EXPECT_EQ(status_, code) << #expr << " -> " << w4a16StatusString(status_) << ": " << w4a16GetLastErrorMessage(); \
    if (status_ != W4A16_STATUS_SUCCESS) {                                                                           \
      EXPECT_STRNE(w4a16GetLastErrorMessage(), "") << #expr;                                                         \
    }                                                                                                                \
  } while (0)

// Distinct, 256-byte aligned, far-apart addresses that are never dereferenced.
void* fake(uintptr_t region) { return reinterpret_cast<void*>(region << 24); }
const void* offset(const void* p, size_t bytes) { return static_cast<const char*>(p) + bytes; }
void* offset(void* p, size_t bytes) { return static_cast<char*>(p) + bytes; }

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct GemmArgs {
  const void* x = fake(1);
  const void* packed = fake(2);
  const void* scales = fake(3);
  const void* zeros = fake(4);
  void* y = fake(5);
  int M = 4, N = 256, K = 512, g = 128;
  float alpha = 1.0f, beta = 0.0f;
  void* workspace = nullptr;
  size_t workspace_size = 0;
};

w4a16Status_t gemm(const GemmArgs& a) {
  return w4a16GemmForwardEx(a.x, a.packed, a.scales, a.zeros, a.y, a.M, a.N, a.K, a.g, a.alpha, a.beta, a.workspace,
                            a.workspace_size, nullptr);
}

struct ShapeCase {
  int M, N, K, g;
  w4a16Status_t expected;
  bool about_m = false;  // the weight-only entry points have no M: these cases do not apply to them
};

// One thing wrong per case; with g == K the group rule holds, so K errors are shape errors.
const std::vector<ShapeCase>& bad_shapes() {
  static const std::vector<ShapeCase> cases = {
      {-1, 256, 512, 128, W4A16_STATUS_INVALID_SHAPE, true},
      {4, 0, 512, 128, W4A16_STATUS_INVALID_SHAPE},
      {4, -5, 512, 128, W4A16_STATUS_INVALID_SHAPE},
      {4, 256, 0, 128, W4A16_STATUS_INVALID_SHAPE},
      {4, 256, -128, 128, W4A16_STATUS_INVALID_SHAPE},
      {4, 256, 16, 16, W4A16_STATUS_INVALID_SHAPE},  // K < 32
      {4, 256, 48, 48, W4A16_STATUS_INVALID_SHAPE},  // K % 32 != 0
      {4, 256, 33, 33, W4A16_STATUS_INVALID_SHAPE},
      {4, 256, 1024, 16, W4A16_STATUS_INVALID_GROUP_SIZE},
      {4, 256, 1024, 48, W4A16_STATUS_INVALID_GROUP_SIZE},
      {4, 256, 1024, 512, W4A16_STATUS_INVALID_GROUP_SIZE},  // 512 only as per-channel (K == 512)
      {4, 256, 1024, 2048, W4A16_STATUS_INVALID_GROUP_SIZE},
      {4, 256, 1024, 0, W4A16_STATUS_INVALID_GROUP_SIZE},
      {4, 256, 1024, -128, W4A16_STATUS_INVALID_GROUP_SIZE},
      {4, 256, 96, 64, W4A16_STATUS_INVALID_GROUP_SIZE},  // K % g != 0
      {4, 256, 32, 64, W4A16_STATUS_INVALID_GROUP_SIZE},
      {4, 256, 4160, 256, W4A16_STATUS_INVALID_GROUP_SIZE},
      {1 << 20, 256, 4096, 128, W4A16_STATUS_SHAPE_OVERFLOW, true},   // M*K = 2^32
      {1 << 19, 256, 4096, 128, W4A16_STATUS_SHAPE_OVERFLOW, true},   // M*K = 2^31 exactly
      {4, 1 << 20, 4096, 128, W4A16_STATUS_SHAPE_OVERFLOW},           // N*K
      {1 << 16, 1 << 16, 32, 32, W4A16_STATUS_SHAPE_OVERFLOW, true},  // M*N
  };
  return cases;
}

std::string shape_string(const ShapeCase& c) {
  return "M=" + std::to_string(c.M) + " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
         " g=" + std::to_string(c.g);
}

bool has_gpu(std::string* why) {
  static std::string reason;
  static const bool available = gpu_available(&reason);
  if (why != nullptr) *why = reason;
  return available;
}

#define SKIP_WITHOUT_GPU()                     \
  do {                                         \
    std::string why_;                          \
    if (!has_gpu(&why_)) {                     \
      GTEST_SKIP() << "no CUDA GPU: " << why_; \
    }                                          \
  } while (0)

// ---- status strings, version ---------------------------------------------------------

TEST(Status, EveryCodeHasItsName) {
  const std::pair<w4a16Status_t, const char*> names[] = {
      {W4A16_STATUS_SUCCESS, "W4A16_STATUS_SUCCESS"},
      {W4A16_STATUS_NULL_POINTER, "W4A16_STATUS_NULL_POINTER"},
      {W4A16_STATUS_NOT_DEVICE_POINTER, "W4A16_STATUS_NOT_DEVICE_POINTER"},
      {W4A16_STATUS_MISALIGNED_POINTER, "W4A16_STATUS_MISALIGNED_POINTER"},
      {W4A16_STATUS_INVALID_SHAPE, "W4A16_STATUS_INVALID_SHAPE"},
      {W4A16_STATUS_SHAPE_OVERFLOW, "W4A16_STATUS_SHAPE_OVERFLOW"},
      {W4A16_STATUS_INVALID_GROUP_SIZE, "W4A16_STATUS_INVALID_GROUP_SIZE"},
      {W4A16_STATUS_WORKSPACE_TOO_SMALL, "W4A16_STATUS_WORKSPACE_TOO_SMALL"},
      {W4A16_STATUS_UNSUPPORTED_GPU, "W4A16_STATUS_UNSUPPORTED_GPU"},
      {W4A16_STATUS_ALIASING, "W4A16_STATUS_ALIASING"},
      {W4A16_STATUS_CUDA_ERROR, "W4A16_STATUS_CUDA_ERROR"},
      {W4A16_STATUS_INVALID_ARGUMENT, "W4A16_STATUS_INVALID_ARGUMENT"},
      {W4A16_STATUS_INTERNAL_ERROR, "W4A16_STATUS_INTERNAL_ERROR"},
  };
  for (const auto& [code, name] : names) {
    ASSERT_NE(w4a16StatusString(code), nullptr);
    EXPECT_STREQ(w4a16StatusString(code), name);
  }
  for (int unknown : {-1, 13, 999}) {
    const char* s = w4a16StatusString(static_cast<w4a16Status_t>(unknown));
    ASSERT_NE(s, nullptr) << unknown;
    EXPECT_STRNE(s, "") << unknown;
  }
}

TEST(Status, VersionStringMatchesMacros) {
  const std::string want = std::to_string(W4A16_VERSION_MAJOR) + "." + std::to_string(W4A16_VERSION_MINOR) + "." +
                           std::to_string(W4A16_VERSION_PATCH);
  EXPECT_EQ(std::string(w4a16VersionString()), want);
}

TEST(Status, LastErrorMessageIsPerThread) {
  GemmArgs a;
  a.N = 0;
  EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_INVALID_SHAPE);
  const std::string main_message = w4a16GetLastErrorMessage();
  std::string fresh_thread_message = "unset";
  std::string other_message;
  std::thread([&] {
    fresh_thread_message = w4a16GetLastErrorMessage();
    GemmArgs b;
    b.alpha = kNaN;
    w4a16GemmForwardEx(b.x, b.packed, b.scales, b.zeros, b.y, b.M, b.N, b.K, b.g, b.alpha, b.beta, nullptr, 0, nullptr);
    other_message = w4a16GetLastErrorMessage();
  }).join();
  EXPECT_EQ(fresh_thread_message, "") << "a new thread must start with no message";
  EXPECT_NE(other_message, "");
  EXPECT_EQ(std::string(w4a16GetLastErrorMessage()), main_message) << "another thread's failure leaked in";
}

// ---- GEMM: checks that need no device -----------------------------------------------------

TEST(GemmErrors, BadShapes) {
  for (const ShapeCase& c : bad_shapes()) {
    SCOPED_TRACE(shape_string(c));
    GemmArgs a;
    a.M = c.M;
    a.N = c.N;
    a.K = c.K;
    a.g = c.g;
    EXPECT_FAILS_WITH(gemm(a), c.expected);
    a.zeros = nullptr;
    EXPECT_FAILS_WITH(gemm(a), c.expected);
  }
}

TEST(GemmErrors, SpecSignatureUsesGroupSize128) {
  GemmArgs a;
  a.K = 64;  // K % 128 != 0
  EXPECT_FAILS_WITH(
      w4a16GemmForward(a.x, a.packed, a.scales, a.zeros, a.y, a.M, a.N, a.K, 1.0f, 0.0f, nullptr, 0, nullptr),
      W4A16_STATUS_INVALID_GROUP_SIZE);
  EXPECT_FAILS_WITH(
      w4a16GemmForward(a.x, a.packed, a.scales, a.zeros, a.y, -1, a.N, 512, 1.0f, 0.0f, nullptr, 0, nullptr),
      W4A16_STATUS_INVALID_SHAPE);
  EXPECT_FAILS_WITH(
      w4a16GemmForward(nullptr, a.packed, a.scales, a.zeros, a.y, a.M, a.N, 512, 1.0f, 0.0f, nullptr, 0, nullptr),
      W4A16_STATUS_NULL_POINTER);
}

TEST(GemmErrors, NullPointers) {
  for (int which = 0; which < 4; ++which) {
    SCOPED_TRACE("null argument " + std::to_string(which));
    GemmArgs a;
    if (which == 0) a.x = nullptr;
    if (which == 1) a.packed = nullptr;
    if (which == 2) a.scales = nullptr;
    if (which == 3) a.y = nullptr;
    EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_NULL_POINTER);
  }
  // The weights are required even for an empty batch.
  GemmArgs empty;
  empty.M = 0;
  empty.packed = nullptr;
  EXPECT_FAILS_WITH(gemm(empty), W4A16_STATUS_NULL_POINTER);
}

TEST(GemmErrors, NonFiniteAlphaBeta) {
  for (float bad : {kNaN, kInf, -kInf}) {
    GemmArgs a;
    a.alpha = bad;
    EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_INVALID_ARGUMENT);
    a.alpha = 1.0f;
    a.beta = bad;
    EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_INVALID_ARGUMENT);
  }
}

TEST(GemmErrors, MisalignedPointers) {
  struct Case {
    const char* name;
    int which;
    size_t bytes;
  };
  for (const Case& c :
       {Case{"activation+2", 0, 2}, Case{"activation+8", 0, 8}, Case{"packed+8", 1, 8}, Case{"packed+1", 1, 1},
        Case{"scales+1", 2, 1}, Case{"zeros+1", 3, 1}, Case{"output+2", 4, 2}, Case{"output+8", 4, 8}}) {
    SCOPED_TRACE(c.name);
    GemmArgs a;
    if (c.which == 0) a.x = offset(a.x, c.bytes);
    if (c.which == 1) a.packed = offset(a.packed, c.bytes);
    if (c.which == 2) a.scales = offset(a.scales, c.bytes);
    if (c.which == 3) a.zeros = offset(a.zeros, c.bytes);
    if (c.which == 4) a.y = offset(a.y, c.bytes);
    EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_MISALIGNED_POINTER);
  }
}

TEST(GemmErrors, EmptyBatchIsANoOpWithoutTouchingTheDevice) {
  GemmArgs a;
  a.M = 0;
  EXPECT_EQ(gemm(a), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  size_t ws = 12345;
  EXPECT_EQ(w4a16GetWorkspaceSize(0, 256, 512, 128, 1, &ws), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  EXPECT_EQ(ws, 0u);
}

// ---- workspace query and dispatch description -----------------------------------------------

TEST(WorkspaceErrors, NullAndBadShapesLeaveResultUntouched) {
  EXPECT_FAILS_WITH(w4a16GetWorkspaceSize(4, 256, 512, 128, 1, nullptr), W4A16_STATUS_NULL_POINTER);
  for (const ShapeCase& c : bad_shapes()) {
    SCOPED_TRACE(shape_string(c));
    size_t ws = 12345;
    EXPECT_FAILS_WITH(w4a16GetWorkspaceSize(c.M, c.N, c.K, c.g, 1, &ws), c.expected);
    EXPECT_EQ(ws, 12345u) << "written on failure";
  }
}

TEST(DescribeErrors, NullEmptyAndBadShapesLeaveBufferUntouched) {
  EXPECT_FAILS_WITH(w4a16DescribeDispatch(4, 256, 512, 128, 1, nullptr, 64), W4A16_STATUS_NULL_POINTER);
  char buf[64];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_FAILS_WITH(w4a16DescribeDispatch(4, 256, 512, 128, 1, buf, 0), W4A16_STATUS_INVALID_ARGUMENT);
  for (const ShapeCase& c : bad_shapes()) {
    SCOPED_TRACE(shape_string(c));
    EXPECT_FAILS_WITH(w4a16DescribeDispatch(c.M, c.N, c.K, c.g, 1, buf, sizeof buf), c.expected);
  }
  for (char ch : buf) ASSERT_EQ(ch, 'x') << "buffer written on failure";
}

// ---- quantizer / dequantizer (GPU entry points): checks that need no device -----------------------

using QuantFn = w4a16Status_t (*)(const void*, void*, void*, void*, int, int, int, cudaStream_t);

TEST(QuantizeErrors, ShapesNullsAlignment) {
  for (QuantFn fn : {&quantizeWeightToINT4Ex, &quantizeWeightToINT4}) {
    void* w = fake(1);
    void* p = fake(2);
    void* s = fake(3);
    void* z = fake(4);
    for (const ShapeCase& c : bad_shapes()) {
      if (c.about_m) continue;
      SCOPED_TRACE(shape_string(c));
      EXPECT_FAILS_WITH(fn(w, p, s, z, c.N, c.K, c.g, nullptr), c.expected);
    }
    EXPECT_FAILS_WITH(fn(nullptr, p, s, z, 256, 512, 128, nullptr), W4A16_STATUS_NULL_POINTER);
    EXPECT_FAILS_WITH(fn(w, nullptr, s, z, 256, 512, 128, nullptr), W4A16_STATUS_NULL_POINTER);
    EXPECT_FAILS_WITH(fn(w, p, nullptr, z, 256, 512, 128, nullptr), W4A16_STATUS_NULL_POINTER);
    EXPECT_FAILS_WITH(fn(offset(w, 1), p, s, z, 256, 512, 128, nullptr), W4A16_STATUS_MISALIGNED_POINTER);
    EXPECT_FAILS_WITH(fn(w, offset(p, 8), s, z, 256, 512, 128, nullptr), W4A16_STATUS_MISALIGNED_POINTER);
    EXPECT_FAILS_WITH(fn(w, p, offset(s, 1), z, 256, 512, 128, nullptr), W4A16_STATUS_MISALIGNED_POINTER);
    EXPECT_FAILS_WITH(fn(w, p, s, offset(z, 1), 256, 512, 128, nullptr), W4A16_STATUS_MISALIGNED_POINTER);
  }
}

TEST(DequantizeErrors, ShapesNullsAlignment) {
  const void* p = fake(2);
  const void* s = fake(3);
  const void* z = fake(4);
  void* out = fake(5);
  for (const ShapeCase& c : bad_shapes()) {
    if (c.about_m) continue;
    SCOPED_TRACE(shape_string(c));
    EXPECT_FAILS_WITH(w4a16DequantizeToBF16(p, s, z, out, c.N, c.K, c.g, nullptr), c.expected);
  }
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(nullptr, s, z, out, 256, 512, 128, nullptr), W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(p, nullptr, z, out, 256, 512, 128, nullptr), W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(p, s, z, nullptr, 256, 512, 128, nullptr), W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(offset(p, 8), s, z, out, 256, 512, 128, nullptr),
                    W4A16_STATUS_MISALIGNED_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(p, offset(s, 1), z, out, 256, 512, 128, nullptr),
                    W4A16_STATUS_MISALIGNED_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(p, s, offset(z, 1), out, 256, 512, 128, nullptr),
                    W4A16_STATUS_MISALIGNED_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(p, s, z, offset(out, 1), 256, 512, 128, nullptr),
                    W4A16_STATUS_MISALIGNED_POINTER);
}

// ---- host entry points: real buffers, so "nothing written" is checked too ----------------------

struct HostBuffers {
  static constexpr int N = 4, K = 256, g = 32;
  std::vector<uint16_t> w = std::vector<uint16_t>(N * K, 0x3F80);
  std::vector<uint8_t> packed = std::vector<uint8_t>(N * K / 2, 0xAB);
  std::vector<uint16_t> scales = std::vector<uint16_t>(N * K / g, 0xCDEF);
  std::vector<uint16_t> zeros = std::vector<uint16_t>(N * K / g, 0x1234);
  std::vector<uint16_t> out = std::vector<uint16_t>(N * K, 0x5678);
  bool untouched() const {
    auto all = [](const auto& v, auto value) {
      for (auto x : v)
        if (x != value) return false;
      return true;
    };
    return all(packed, uint8_t{0xAB}) && all(scales, uint16_t{0xCDEF}) && all(zeros, uint16_t{0x1234}) &&
           all(out, uint16_t{0x5678});
  }
};

TEST(HostErrors, QuantizeHostRejectsAndWritesNothing) {
  HostBuffers b;
  for (const ShapeCase& c : bad_shapes()) {
    if (c.about_m) continue;
    SCOPED_TRACE(shape_string(c));
    // The buffers are small: a failing call must not touch them, whatever the shape says.
    EXPECT_FAILS_WITH(w4a16QuantizeHost(b.w.data(), b.packed.data(), b.scales.data(), b.zeros.data(), c.N, c.K, c.g),
                      c.expected);
  }
  const int N = b.N, K = b.K, g = b.g;
  EXPECT_FAILS_WITH(w4a16QuantizeHost(nullptr, b.packed.data(), b.scales.data(), b.zeros.data(), N, K, g),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16QuantizeHost(b.w.data(), nullptr, b.scales.data(), b.zeros.data(), N, K, g),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16QuantizeHost(b.w.data(), b.packed.data(), nullptr, b.zeros.data(), N, K, g),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_TRUE(b.untouched());
  // Symmetric mode: zeros may be null.
  EXPECT_EQ(w4a16QuantizeHost(b.w.data(), b.packed.data(), b.scales.data(), nullptr, N, K, g), W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
}

TEST(HostErrors, DequantizeHostRejectsAndWritesNothing) {
  HostBuffers b;
  for (const ShapeCase& c : bad_shapes()) {
    if (c.about_m) continue;
    SCOPED_TRACE(shape_string(c));
    EXPECT_FAILS_WITH(
        w4a16DequantizeHost(b.packed.data(), b.scales.data(), b.zeros.data(), b.out.data(), c.N, c.K, c.g), c.expected);
  }
  const int N = b.N, K = b.K, g = b.g;
  EXPECT_FAILS_WITH(w4a16DequantizeHost(nullptr, b.scales.data(), b.zeros.data(), b.out.data(), N, K, g),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeHost(b.packed.data(), nullptr, b.zeros.data(), b.out.data(), N, K, g),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeHost(b.packed.data(), b.scales.data(), b.zeros.data(), nullptr, N, K, g),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_TRUE(b.untouched());
}

TEST(HostErrors, QuantizationErrorHostRejectsAndWritesNothing) {
  HostBuffers b;
  w4a16QuantError_t result;
  std::memset(&result, 0x5A, sizeof result);
  w4a16QuantError_t poison;
  std::memcpy(&poison, &result, sizeof result);
  for (const ShapeCase& c : bad_shapes()) {
    if (c.about_m) continue;
    SCOPED_TRACE(shape_string(c));
    EXPECT_FAILS_WITH(w4a16QuantizationErrorHost(b.w.data(), b.packed.data(), b.scales.data(), b.zeros.data(), c.N, c.K,
                                                 c.g, &result),
                      c.expected);
  }
  const int N = b.N, K = b.K, g = b.g;
  EXPECT_FAILS_WITH(w4a16QuantizationErrorHost(nullptr, b.packed.data(), b.scales.data(), nullptr, N, K, g, &result),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16QuantizationErrorHost(b.w.data(), nullptr, b.scales.data(), nullptr, N, K, g, &result),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16QuantizationErrorHost(b.w.data(), b.packed.data(), nullptr, nullptr, N, K, g, &result),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16QuantizationErrorHost(b.w.data(), b.packed.data(), b.scales.data(), nullptr, N, K, g, nullptr),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_EQ(std::memcmp(&result, &poison, sizeof result), 0) << "result written on failure";
}

// ---- without a GPU: calls that pass validation report the missing device ----------------------

TEST(NoGpu, ValidCallsReportUnsupportedGpuOrCudaError) {
  std::string why;
  if (has_gpu(&why)) GTEST_SKIP() << "a GPU is present; this covers the no-GPU path";
  auto expect_device_failure = [](w4a16Status_t st, const char* what) {
    EXPECT_TRUE(st == W4A16_STATUS_UNSUPPORTED_GPU || st == W4A16_STATUS_CUDA_ERROR)
        << what << " -> " << w4a16StatusString(st) << ": " << w4a16GetLastErrorMessage();
    EXPECT_STRNE(w4a16GetLastErrorMessage(), "") << what;
  };
  GemmArgs a;
  expect_device_failure(gemm(a), "w4a16GemmForwardEx");
  expect_device_failure(
      w4a16GemmForward(a.x, a.packed, a.scales, a.zeros, a.y, a.M, a.N, a.K, 1.0f, 0.0f, nullptr, 0, nullptr),
      "w4a16GemmForward");
  expect_device_failure(quantizeWeightToINT4Ex(fake(1), fake(2), fake(3), fake(4), 256, 512, 128, nullptr),
                        "quantizeWeightToINT4Ex");
  expect_device_failure(w4a16DequantizeToBF16(fake(2), fake(3), fake(4), fake(5), 256, 512, 128, nullptr),
                        "w4a16DequantizeToBF16");
  size_t ws = 12345;
  expect_device_failure(w4a16GetWorkspaceSize(4, 256, 512, 128, 1, &ws), "w4a16GetWorkspaceSize");
  EXPECT_EQ(ws, 12345u) << "written on failure";
  char buf[64];
  std::memset(buf, 'x', sizeof buf);
  expect_device_failure(w4a16DescribeDispatch(4, 256, 512, 128, 1, buf, sizeof buf), "w4a16DescribeDispatch");
  for (char ch : buf) ASSERT_EQ(ch, 'x') << "buffer written on failure";
}

// ---- with a GPU: real device buffers ------------------------------------------------------------

// A small valid problem in device memory; the output is poisoned so that any write shows.
class GemmDeviceErrors : public ::testing::Test {
 protected:
  static constexpr int M = 8, N = 256, K = 512, g = 128;
  static constexpr size_t kSlack = 256;  // room so that pointer+offset stays inside the allocation

  void SetUp() override {
    SKIP_WITHOUT_GPU();
    x_ = DeviceBuffer(size_t{M} * K * 2 + kSlack);
    packed_ = DeviceBuffer(size_t{N} * K / 2 + kSlack);
    scales_ = DeviceBuffer(size_t{N} * (K / g) * 2 + kSlack);
    zeros_ = DeviceBuffer(size_t{N} * (K / g) * 2 + kSlack);
    y_ = DeviceBuffer(size_t{M} * N * 2 + kSlack);
    Rng rng(1);
    const std::vector<uint16_t> w = random_bf16_normal(rng, size_t{N} * K);
    std::vector<uint8_t> packed(size_t{N} * K / 2);
    std::vector<uint16_t> scales(size_t{N} * (K / g)), zeros(scales.size());
    ASSERT_EQ(w4a16QuantizeHost(w.data(), packed.data(), scales.data(), zeros.data(), N, K, g), W4A16_STATUS_SUCCESS);
    packed_.upload(packed.data(), packed.size());
    scales_.upload(scales.data(), scales.size() * 2);
    zeros_.upload(zeros.data(), zeros.size() * 2);
    const std::vector<uint16_t> x = random_bf16_normal(rng, size_t{M} * K);
    x_.upload(x.data(), x.size() * 2);
    poison_.assign(y_.size(), 0);
    for (size_t i = 0; i < poison_.size(); ++i) poison_[i] = static_cast<uint8_t>(i * 37 + 11);
    y_.upload(poison_.data(), poison_.size());
    x_snapshot_ = snapshot(x_);
    packed_snapshot_ = snapshot(packed_);
    scales_snapshot_ = snapshot(scales_);
  }

  GemmArgs valid() const {
    GemmArgs a;
    a.x = x_.get();
    a.packed = packed_.get();
    a.scales = scales_.get();
    a.zeros = zeros_.get();
    a.y = y_.get();
    a.M = M;
    a.N = N;
    a.K = K;
    a.g = g;
    return a;
  }

  static std::vector<uint8_t> snapshot(const DeviceBuffer& b) {
    std::vector<uint8_t> h(b.size());
    b.download(h.data(), h.size());
    return h;
  }

  void expect_nothing_written() {
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_TRUE(snapshot(y_) == poison_) << "output written by a failing call";
    EXPECT_TRUE(snapshot(x_) == x_snapshot_) << "activation written by a failing call";
    EXPECT_TRUE(snapshot(packed_) == packed_snapshot_) << "packed weights written by a failing call";
    EXPECT_TRUE(snapshot(scales_) == scales_snapshot_) << "scales written by a failing call";
  }

  DeviceBuffer x_, packed_, scales_, zeros_, y_;
  std::vector<uint8_t> poison_, x_snapshot_, packed_snapshot_, scales_snapshot_;
};

TEST_F(GemmDeviceErrors, ValidationFailuresWriteNothing) {
  for (const ShapeCase& c : bad_shapes()) {
    SCOPED_TRACE(shape_string(c));
    GemmArgs a = valid();
    a.M = c.M;
    a.N = c.N;
    a.K = c.K;
    a.g = c.g;
    EXPECT_FAILS_WITH(gemm(a), c.expected);
  }
  GemmArgs a = valid();
  a.y = nullptr;
  EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_NULL_POINTER);
  a = valid();
  a.alpha = kNaN;
  EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_INVALID_ARGUMENT);
  a = valid();
  a.beta = kInf;
  EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_INVALID_ARGUMENT);
  expect_nothing_written();
}

TEST_F(GemmDeviceErrors, MisalignedDevicePointers) {
  for (int which = 0; which < 5; ++which) {
    SCOPED_TRACE("argument " + std::to_string(which));
    GemmArgs a = valid();
    if (which == 0) a.x = offset(a.x, 2);
    if (which == 1) a.packed = offset(a.packed, 8);
    if (which == 2) a.scales = offset(a.scales, 1);
    if (which == 3) a.zeros = offset(a.zeros, 1);
    if (which == 4) a.y = offset(a.y, 2);
    EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_MISALIGNED_POINTER);
  }
  expect_nothing_written();
}

TEST_F(GemmDeviceErrors, HostPointersAreRejected) {
  const size_t bytes = size_t{M} * K * 2 + size_t{N} * K;  // large enough for any argument
  void* heap = std::aligned_alloc(256, bytes);
  ASSERT_NE(heap, nullptr);
  std::memset(heap, 0, bytes);
  alignas(256) static unsigned char static_array[size_t{M} * K * 2 + size_t{N} * K];
  void* pinned = nullptr;
  ASSERT_EQ(cudaMallocHost(&pinned, bytes), cudaSuccess);
  for (void* host : {heap, static_cast<void*>(static_array), pinned}) {
    for (int which = 0; which < 4; ++which) {
      SCOPED_TRACE("host pointer " + std::to_string(reinterpret_cast<uintptr_t>(host)) + " as argument " +
                   std::to_string(which));
      GemmArgs a = valid();
      if (which == 0) a.x = host;
      if (which == 1) a.packed = host;
      if (which == 2) a.scales = host;
      if (which == 3) a.zeros = host;
      EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_NOT_DEVICE_POINTER);
    }
    GemmArgs a = valid();
    a.y = host;
    std::vector<unsigned char> before(static_cast<unsigned char*>(host), static_cast<unsigned char*>(host) + bytes);
    EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_NOT_DEVICE_POINTER);
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(std::memcmp(before.data(), host, bytes), 0) << "host output written";
  }
  // A local array on the stack proper.
  alignas(16) unsigned char on_stack[4096];
  GemmArgs a = valid();
  a.scales = on_stack;
  EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_NOT_DEVICE_POINTER);
  cudaFreeHost(pinned);
  std::free(heap);
  expect_nothing_written();
}

TEST_F(GemmDeviceErrors, ManagedMemoryIsAccepted) {
  void* managed_x = nullptr;
  ASSERT_EQ(cudaMallocManaged(&managed_x, size_t{M} * K * 2), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(managed_x, x_.get(), size_t{M} * K * 2, cudaMemcpyDeviceToDevice), cudaSuccess);
  GemmArgs a = valid();
  a.x = managed_x;
  size_t ws_bytes = 0;
  ASSERT_EQ(w4a16GetWorkspaceSize(M, N, K, g, 1, &ws_bytes), W4A16_STATUS_SUCCESS);
  DeviceBuffer ws(ws_bytes);
  a.workspace = ws.get();
  a.workspace_size = ws_bytes;
  EXPECT_EQ(gemm(a), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  cudaFree(managed_x);
}

TEST_F(GemmDeviceErrors, OutputOverlappingAnInputIsRejected) {
  struct Case {
    const char* name;
    int which;
    size_t bytes;
  };
  for (const Case& c :
       {Case{"output == activation", 0, 0}, Case{"output inside activation", 0, 16}, Case{"output == packed", 1, 0},
        Case{"output == scales", 2, 0}, Case{"output == zeros", 3, 0}}) {
    SCOPED_TRACE(c.name);
    GemmArgs a = valid();
    if (c.which == 0) a.y = offset(x_.get(), c.bytes);
    if (c.which == 1) a.y = packed_.get();
    if (c.which == 2) a.y = scales_.get();
    if (c.which == 3) a.y = zeros_.get();
    EXPECT_FAILS_WITH(gemm(a), W4A16_STATUS_ALIASING);
  }
  // The inputs come out unchanged too: each overlap was rejected before any write.
  expect_nothing_written();
}

TEST_F(GemmDeviceErrors, WorkspaceTooSmall) {
  int found_m = 0;
  size_t ws_bytes = 0;
  for (int m : {1, 2, 4, 8}) {
    ASSERT_EQ(w4a16GetWorkspaceSize(m, 256, 4096, 128, 1, &ws_bytes), W4A16_STATUS_SUCCESS)
        << w4a16GetLastErrorMessage();
    if (ws_bytes > 0) {
      found_m = m;
      break;
    }
  }
  if (found_m == 0) GTEST_SKIP() << "no shape among M in {1,2,4,8}, N=256, K=4096 needs workspace on this device";
  const int m = found_m, n = 256, k = 4096;
  DeviceBuffer x(size_t(m) * k * 2), packed(size_t(n) * k / 2), scales(size_t(n) * (k / 128) * 2);
  DeviceBuffer y(size_t(m) * n * 2), ws(ws_bytes);
  cuda_check(cudaMemset(x.get(), 0, x.size()), "memset");
  cuda_check(cudaMemset(packed.get(), 0, packed.size()), "memset");
  cuda_check(cudaMemset(scales.get(), 0, scales.size()), "memset");
  cuda_check(cudaMemset(y.get(), 0x7F, y.size()), "memset");
  EXPECT_FAILS_WITH(w4a16GemmForwardEx(x.get(), packed.get(), scales.get(), nullptr, y.get(), m, n, k, 128, 1.0f, 0.0f,
                                       ws.get(), ws_bytes - 1, nullptr),
                    W4A16_STATUS_WORKSPACE_TOO_SMALL);
  EXPECT_FAILS_WITH(w4a16GemmForwardEx(x.get(), packed.get(), scales.get(), nullptr, y.get(), m, n, k, 128, 1.0f, 0.0f,
                                       nullptr, ws_bytes, nullptr),
                    W4A16_STATUS_WORKSPACE_TOO_SMALL);
  EXPECT_FAILS_WITH(w4a16GemmForwardEx(x.get(), packed.get(), scales.get(), nullptr, y.get(), m, n, k, 128, 1.0f, 0.0f,
                                       nullptr, 0, nullptr),
                    W4A16_STATUS_WORKSPACE_TOO_SMALL);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<uint8_t> out(y.size());
  y.download(out.data(), out.size());
  for (uint8_t v : out) ASSERT_EQ(v, 0x7F) << "output written by a failing call";
  // With exactly the reported size the call succeeds (all-zero inputs give all-zero output).
  EXPECT_EQ(w4a16GemmForwardEx(x.get(), packed.get(), scales.get(), nullptr, y.get(), m, n, k, 128, 1.0f, 0.0f,
                               ws.get(), ws_bytes, nullptr),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  y.download(out.data(), out.size());
  for (uint8_t v : out) ASSERT_EQ(v, 0) << "0 * W must give +0";
}

TEST(QuantDeviceErrors, HostPointersMisalignmentAndAliasing) {
  SKIP_WITHOUT_GPU();
  const int N = 64, K = 256, g = 32;
  DeviceBuffer w(size_t{N} * K * 2 + 256), packed(size_t{N} * K / 2 + 256), scales(size_t{N} * (K / g) * 2 + 256),
      zeros(size_t{N} * (K / g) * 2 + 256), out(size_t{N} * K * 2 + 256);
  cuda_check(cudaMemset(w.get(), 0, w.size()), "memset");
  std::vector<uint8_t> poison(packed.size(), 0x3C);
  packed.upload(poison.data(), poison.size());
  std::vector<unsigned char> host(size_t{N} * K * 2, 0);
  for (QuantFn fn : {&quantizeWeightToINT4Ex, &quantizeWeightToINT4}) {
    EXPECT_FAILS_WITH(fn(host.data(), packed.get(), scales.get(), zeros.get(), N, K, g, nullptr),
                      W4A16_STATUS_NOT_DEVICE_POINTER);
    EXPECT_FAILS_WITH(fn(w.get(), host.data(), scales.get(), zeros.get(), N, K, g, nullptr),
                      W4A16_STATUS_NOT_DEVICE_POINTER);
    EXPECT_FAILS_WITH(fn(w.get(), packed.get(), host.data(), zeros.get(), N, K, g, nullptr),
                      W4A16_STATUS_NOT_DEVICE_POINTER);
    EXPECT_FAILS_WITH(fn(w.get(), packed.get(), scales.get(), host.data(), N, K, g, nullptr),
                      W4A16_STATUS_NOT_DEVICE_POINTER);
    EXPECT_FAILS_WITH(fn(offset(w.get(), 1), packed.get(), scales.get(), zeros.get(), N, K, g, nullptr),
                      W4A16_STATUS_MISALIGNED_POINTER);
    EXPECT_FAILS_WITH(fn(w.get(), offset(packed.get(), 4), scales.get(), zeros.get(), N, K, g, nullptr),
                      W4A16_STATUS_MISALIGNED_POINTER);
    EXPECT_FAILS_WITH(fn(w.get(), w.get(), scales.get(), zeros.get(), N, K, g, nullptr), W4A16_STATUS_ALIASING);
    EXPECT_FAILS_WITH(fn(w.get(), packed.get(), packed.get(), zeros.get(), N, K, g, nullptr), W4A16_STATUS_ALIASING);
    EXPECT_FAILS_WITH(fn(w.get(), packed.get(), scales.get(), scales.get(), N, K, g, nullptr), W4A16_STATUS_ALIASING);
  }
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<uint8_t> after(packed.size());
  packed.download(after.data(), after.size());
  EXPECT_TRUE(after == poison) << "packed output written by a failing call";

  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(host.data(), scales.get(), zeros.get(), out.get(), N, K, g, nullptr),
                    W4A16_STATUS_NOT_DEVICE_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(packed.get(), host.data(), zeros.get(), out.get(), N, K, g, nullptr),
                    W4A16_STATUS_NOT_DEVICE_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(packed.get(), scales.get(), host.data(), out.get(), N, K, g, nullptr),
                    W4A16_STATUS_NOT_DEVICE_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(packed.get(), scales.get(), zeros.get(), host.data(), N, K, g, nullptr),
                    W4A16_STATUS_NOT_DEVICE_POINTER);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(packed.get(), scales.get(), zeros.get(), packed.get(), N, K, g, nullptr),
                    W4A16_STATUS_ALIASING);
  EXPECT_FAILS_WITH(w4a16DequantizeToBF16(packed.get(), scales.get(), zeros.get(), scales.get(), N, K, g, nullptr),
                    W4A16_STATUS_ALIASING);
  for (unsigned char v : host) ASSERT_EQ(v, 0) << "host buffer written by a failing call";
  packed.download(after.data(), after.size());
  EXPECT_TRUE(after == poison) << "packed input written by a failing call";
}

TEST(DescribeDevice, TruncatesToBufferSize) {
  SKIP_WITHOUT_GPU();
  char full[512];
  ASSERT_EQ(w4a16DescribeDispatch(4, 4096, 4096, 128, 1, full, sizeof full), W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  EXPECT_GT(std::strlen(full), 8u) << full;
  char small[32];
  std::memset(small, 'x', sizeof small);
  ASSERT_EQ(w4a16DescribeDispatch(4, 4096, 4096, 128, 1, small, 8), W4A16_STATUS_SUCCESS);
  EXPECT_EQ(small[7], '\0');
  EXPECT_EQ(std::string(small), std::string(full, 7));
  for (size_t i = 8; i < sizeof small; ++i) ASSERT_EQ(small[i], 'x') << "wrote past buffer_size at " << i;
}


// ---- packed weights -----------------------------------------------------------

// Host-side checks: no device needed (fake pointers, never dereferenced).
TEST(PackedErrors, HostChecksWriteNothing) {
  w4a16PackedWeights pw{};
  pw.magic = 0x1234;  // sentinel: a failing pack must leave it as it is
  size_t bytes = 7;
  EXPECT_FAILS_WITH(w4a16GetPackedWeightsSize(256, 100, 128, 1, &bytes), W4A16_STATUS_INVALID_SHAPE);
  EXPECT_FAILS_WITH(w4a16GetPackedWeightsSize(256, 512, 96, 1, &bytes), W4A16_STATUS_INVALID_GROUP_SIZE);
  EXPECT_FAILS_WITH(w4a16GetPackedWeightsSize(256, 512, 128, 1, nullptr), W4A16_STATUS_NULL_POINTER);
  EXPECT_EQ(bytes, 7u);
  // weights + scales + zeros, each 256-byte aligned: 65536 + 2048 + 2048.
  ASSERT_EQ(w4a16GetPackedWeightsSize(256, 512, 128, 0, &bytes), W4A16_STATUS_SUCCESS);
  EXPECT_EQ(bytes, 65536u + 2048u + 2048u);
  EXPECT_FAILS_WITH(w4a16PackWeights(nullptr, fake(3), fake(4), 256, 512, 128, fake(6), bytes, &pw, nullptr),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16PackWeights(fake(2), nullptr, fake(4), 256, 512, 128, fake(6), bytes, &pw, nullptr),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16PackWeights(fake(2), fake(3), fake(4), 256, 512, 128, nullptr, bytes, &pw, nullptr),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16PackWeights(fake(2), fake(3), fake(4), 256, 512, 128, fake(6), bytes, nullptr, nullptr),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16PackWeights(offset(fake(2), 8), fake(3), fake(4), 256, 512, 128, fake(6), bytes, &pw, nullptr),
                    W4A16_STATUS_MISALIGNED_POINTER);
  EXPECT_FAILS_WITH(w4a16PackWeights(fake(2), fake(3), fake(4), 256, 512, 128, offset(fake(6), 16), bytes, &pw, nullptr),
                    W4A16_STATUS_MISALIGNED_POINTER);
  EXPECT_FAILS_WITH(w4a16PackWeights(fake(2), fake(3), fake(4), 256, 512, 128, fake(6), bytes - 1, &pw, nullptr),
                    W4A16_STATUS_INVALID_ARGUMENT);
  EXPECT_FAILS_WITH(w4a16PackWeights(fake(2), fake(3), fake(4), 256, 100, 128, fake(6), bytes, &pw, nullptr),
                    W4A16_STATUS_INVALID_SHAPE);
  EXPECT_EQ(pw.magic, 0x1234u) << "a failing w4a16PackWeights wrote the descriptor";
  // A descriptor not made by w4a16PackWeights, or a null one, is refused before the device is touched.
  size_t ws = 7;
  EXPECT_FAILS_WITH(w4a16GetWorkspaceSizePacked(1, &pw, &ws), W4A16_STATUS_INVALID_ARGUMENT);
  EXPECT_FAILS_WITH(w4a16GetWorkspaceSizePacked(1, nullptr, &ws), W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16GetWorkspaceSizePacked(1, &pw, nullptr), W4A16_STATUS_NULL_POINTER);
  EXPECT_EQ(ws, 7u);
  EXPECT_FAILS_WITH(w4a16GemmForwardPacked(fake(1), &pw, fake(5), 1, 1.0f, 0.0f, nullptr, 0, nullptr),
                    W4A16_STATUS_INVALID_ARGUMENT);
  EXPECT_FAILS_WITH(w4a16GemmForwardPacked(fake(1), nullptr, fake(5), 1, 1.0f, 0.0f, nullptr, 0, nullptr),
                    W4A16_STATUS_NULL_POINTER);
  w4a16PackedWeights bad_shape{};
  bad_shape.magic = W4A16_PACKED_MAGIC;
  bad_shape.N = 256;
  bad_shape.K = 100;
  bad_shape.group_size = 128;
  bad_shape.data = fake(6);
  EXPECT_FAILS_WITH(w4a16GemmForwardPacked(fake(1), &bad_shape, fake(5), 1, 1.0f, 0.0f, nullptr, 0, nullptr),
                    W4A16_STATUS_INVALID_SHAPE);
  // The flags variant: the same checks, and flags that are no w4a16ForwardFlag
  // refused first (before the descriptor or the device is looked at).
  EXPECT_FAILS_WITH(w4a16GemmForwardPackedEx(fake(1), &bad_shape, fake(5), 1, 1.0f, 0.0f, nullptr, 0,
                                             W4A16_FORWARD_OVERLAP_PREVIOUS, nullptr),
                    W4A16_STATUS_INVALID_SHAPE);
  EXPECT_FAILS_WITH(w4a16GemmForwardPackedEx(fake(1), nullptr, fake(5), 1, 1.0f, 0.0f, nullptr, 0, 0u, nullptr),
                    W4A16_STATUS_NULL_POINTER);
  EXPECT_FAILS_WITH(w4a16GemmForwardPackedEx(fake(1), &bad_shape, fake(5), 1, 1.0f, 0.0f, nullptr, 0, 2u, nullptr),
                    W4A16_STATUS_INVALID_ARGUMENT);
  EXPECT_FAILS_WITH(w4a16GemmForwardPackedEx(fake(1), &bad_shape, fake(5), 1, 1.0f, 0.0f, nullptr, 0, 0x80000001u,
                                             nullptr),
                    W4A16_STATUS_INVALID_ARGUMENT);
}

// On the device: host pointers, an input overlapping the pack, a tampered
// descriptor and an output overlapping the pack are refused, and nothing is
// written; a valid pack then runs (all-zero inputs give +0).
TEST(PackedDeviceErrors, RefusedCallsWriteNothing) {
  SKIP_WITHOUT_GPU();
  const int N = 256, K = 512, g = 128, M = 3;
  size_t bytes = 0;
  ASSERT_EQ(w4a16GetPackedWeightsSize(N, K, g, 1, &bytes), W4A16_STATUS_SUCCESS);
  DeviceBuffer wq(size_t{N} * K / 2), scales(size_t{N} * (K / g) * 2), zeros(size_t{N} * (K / g) * 2);
  DeviceBuffer buffer(bytes), x(size_t{M} * K * 2), y(size_t{M} * N * 2);
  cuda_check(cudaMemset(wq.get(), 0, wq.size()), "memset");
  cuda_check(cudaMemset(scales.get(), 0, scales.size()), "memset");
  cuda_check(cudaMemset(zeros.get(), 0, zeros.size()), "memset");
  cuda_check(cudaMemset(buffer.get(), 0x5A, buffer.size()), "memset");
  cuda_check(cudaMemset(x.get(), 0, x.size()), "memset");
  cuda_check(cudaMemset(y.get(), 0x7F, y.size()), "memset");
  std::vector<uint8_t> host_w(wq.size());
  w4a16PackedWeights pw{};
  EXPECT_FAILS_WITH(w4a16PackWeights(host_w.data(), scales.get(), zeros.get(), N, K, g, buffer.get(), bytes, &pw, nullptr),
                    W4A16_STATUS_NOT_DEVICE_POINTER);
  EXPECT_FAILS_WITH(w4a16PackWeights(buffer.get(), scales.get(), zeros.get(), N, K, g, buffer.get(), bytes, &pw, nullptr),
                    W4A16_STATUS_ALIASING);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<uint8_t> snap(buffer.size());
  buffer.download(snap.data(), snap.size());
  for (uint8_t v : snap) ASSERT_EQ(v, 0x5A) << "a refused pack wrote the buffer";

  ASSERT_EQ(w4a16PackWeights(wq.get(), scales.get(), zeros.get(), N, K, g, buffer.get(), bytes, &pw, nullptr),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  size_t ws_bytes = 0;
  ASSERT_EQ(w4a16GetWorkspaceSizePacked(M, &pw, &ws_bytes), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  DeviceBuffer ws(ws_bytes);
  w4a16PackedWeights tampered = pw;
  tampered.K = 1024;  // a shape the buffer was not packed for
  EXPECT_FAILS_WITH(w4a16GemmForwardPacked(x.get(), &tampered, y.get(), M, 1.0f, 0.0f, ws.get(), ws_bytes, nullptr),
                    W4A16_STATUS_INVALID_ARGUMENT);
  tampered = pw;
  tampered.device = pw.device + 1;
  EXPECT_FAILS_WITH(w4a16GemmForwardPacked(x.get(), &tampered, y.get(), M, 1.0f, 0.0f, ws.get(), ws_bytes, nullptr),
                    W4A16_STATUS_INVALID_ARGUMENT);
  EXPECT_FAILS_WITH(w4a16GemmForwardPacked(x.get(), &pw, buffer.get(), M, 1.0f, 0.0f, ws.get(), ws_bytes, nullptr),
                    W4A16_STATUS_ALIASING);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<uint8_t> out(y.size());
  y.download(out.data(), out.size());
  for (uint8_t v : out) ASSERT_EQ(v, 0x7F) << "output written by a failing call";
  EXPECT_EQ(w4a16GemmForwardPacked(x.get(), &pw, y.get(), M, 1.0f, 0.0f, ws.get(), ws_bytes, nullptr),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  y.download(out.data(), out.size());
  for (uint8_t v : out) ASSERT_EQ(v, 0) << "0 * W must give +0";
}

}  // namespace
