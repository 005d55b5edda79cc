// The host state an eager forward call keeps between calls, on the GPU:
//   * the memo of CUTLASS's kernel Params per argument set
//     (src/kernels/sm90/sm90_launch_memo.h): a call whose arguments differ
//     from an earlier one in any one of them (weights, activations, output,
//     workspace, M, alpha) must not run with the earlier call's Params;
//   * the shared-memory limits raised once per device
//     (src/kernels/common/smem_limit.h): after cudaDeviceReset (a new context
//     with the default limits) the forward must still run.
// Each output is poisoned (NaN) before its call and checked against the fp64
// reference on the dequantized weights.  The reset test runs last (gtest runs
// a file's tests in order), since it frees every allocation of the process.
// Skips without an sm_90 GPU and an sm_90a build, with the reason.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sm90_skip.h"
#include "testutil.h"
#include "w4a16/w4a16.h"

namespace {

using namespace w4a16::testutil;

std::string skip_reason() {
  std::string why;
  if (!gpu_available(&why)) return "no CUDA GPU: " + why;
  return sm90_skip_reason();
}

struct ForcedConfig {
  explicit ForcedConfig(const char* spec) { EXPECT_EQ(setenv("W4A16_FORCE_CONFIG", spec, 1), 0); }
  ~ForcedConfig() { unsetenv("W4A16_FORCE_CONFIG"); }
};

constexpr uint64_t kBaseSeed = 0x6c61756e63686d65ULL;

// Random weights quantized on the GPU: the canonical arrays, their pack, and
// the dequantized weights on the host (the reference's operand).
struct Layer {
  int N = 0, K = 0, g = 0;
  DeviceBuffer q, scales, zeros, pack;
  w4a16PackedWeights packed{};
  std::vector<uint16_t> w_deq;
};

void make_layer(Layer* L, Rng& rng, int N, int K, int g, cudaStream_t s) {
  L->N = N;
  L->K = K;
  L->g = g;
  const std::vector<uint16_t> w = random_bf16_normal(rng, static_cast<size_t>(N) * K);
  DeviceBuffer w_dev(w.size() * 2);
  w_dev.upload(w.data(), w.size() * 2);
  const size_t groups = static_cast<size_t>(N) * (K / g);
  L->q = DeviceBuffer(static_cast<size_t>(N) * K / 2);
  L->scales = DeviceBuffer(groups * 2);
  L->zeros = DeviceBuffer(groups * 2);
  ASSERT_EQ(quantizeWeightToINT4Ex(w_dev.get(), L->q.get(), L->scales.get(), L->zeros.get(), N, K, g, s),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  size_t bytes = 0;
  ASSERT_EQ(w4a16GetPackedWeightsSize(N, K, g, 1, &bytes), W4A16_STATUS_SUCCESS);
  L->pack = DeviceBuffer(bytes);
  ASSERT_EQ(w4a16PackWeights(L->q.get(), L->scales.get(), L->zeros.get(), N, K, g, L->pack.get(), bytes, &L->packed,
                             s),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  cuda_check(cudaStreamSynchronize(s), "quantize and pack");
  std::vector<uint8_t> q(static_cast<size_t>(N) * K / 2);
  std::vector<uint16_t> sc(groups), z(groups);
  L->q.download(q.data(), q.size());
  L->scales.download(sc.data(), groups * 2);
  L->zeros.download(z.data(), groups * 2);
  L->w_deq.resize(static_cast<size_t>(N) * K);
  ASSERT_EQ(w4a16DequantizeHost(q.data(), sc.data(), z.data(), L->w_deq.data(), N, K, g), W4A16_STATUS_SUCCESS);
}

struct Act {
  DeviceBuffer dev;
  std::vector<uint16_t> host;
};

void make_act(Act* a, Rng& rng, int M, int K) {
  a->host = random_bf16_normal(rng, static_cast<size_t>(M) * K);
  a->dev = DeviceBuffer(a->host.size() * 2);
  a->dev.upload(a->host.data(), a->host.size() * 2);
}

// One packed forward (the first M rows of x), the whole output buffer
// poisoned first: the M rows are compared with the fp64 reference, the rows
// after them must still hold the poison (a call run with a larger M's Params
// would write them).  Returns the M rows.
std::vector<uint16_t> checked_packed_call(const char* what, const Layer& L, const Act& x, int M, DeviceBuffer& y,
                                          float alpha, DeviceBuffer& ws, cudaStream_t s) {
  const size_t y_elems = static_cast<size_t>(M) * L.N;
  cuda_check(cudaMemsetAsync(y.get(), 0xFF, y.size(), s), "poison");  // 0xFFFF: bf16 NaN
  const w4a16Status_t st =
      w4a16GemmForwardPacked(x.dev.get(), &L.packed, y.get(), M, alpha, 0.0f, ws.get(), ws.size(), s);
  EXPECT_EQ(st, W4A16_STATUS_SUCCESS) << what << ": " << w4a16GetLastErrorMessage();
  cuda_check(cudaStreamSynchronize(s), what);
  std::vector<uint16_t> all(y.size() / 2);
  y.download(all.data(), y.size());
  const size_t touched = std::count_if(all.begin() + y_elems, all.end(), [](uint16_t v) { return v != 0xFFFF; });
  EXPECT_EQ(touched, 0u) << what << ": " << touched << " elements past row " << M << " were written";
  std::vector<uint16_t> out(all.begin(), all.begin() + y_elems);
  std::vector<double> ref, absref;
  reference_gemm_fp64(x.host.data(), L.w_deq.data(), nullptr, M, L.N, L.K, alpha, 0.0, ref, absref);
  const CompareResult r = compare(out.data(), ref, absref, L.K);
  std::printf("%s %s\n", r.ok ? "PASS" : "FAIL", what);
  EXPECT_TRUE(r.ok) << what << ": " << r.describe();
  return out;
}

size_t packed_workspace(const Layer& L, int M) {
  size_t bytes = 0;
  EXPECT_EQ(w4a16GetWorkspaceSizePacked(M, &L.packed, &bytes), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  return bytes;
}

// Calls that differ from an earlier one in one argument each, in an order
// where a memo that ignored that argument would replay the earlier call's
// Params: the earlier weights, activations or output (wrong numbers or NaN
// left in the poisoned output), the earlier workspace (K slices: the
// reduction would read partials the GEMM did not write), M, alpha.  Then the
// first call again, which must hit and be bitwise identical.
TEST(LaunchMemoGpu, MemoizedParamsFollowEveryArgument) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  const int M = 48, N = 512, K = 1024, g = 128;
  for (const char* config : {"sm90_coop_n128m64k64_ks_rp:2", "sm90_coop_n128m64k128_rp", "sm90_pp_n64m128k64_rp"}) {
    SCOPED_TRACE(config);
    std::printf("W4A16_FORCE_CONFIG=%s\n", config);
    const ForcedConfig forced(config);
    CudaStream stream;
    const cudaStream_t s = stream.get();
    Rng rng(kBaseSeed);
    Layer l1, l2;
    make_layer(&l1, rng, N, K, g, s);
    make_layer(&l2, rng, N, K, g, s);
    Act x1, x2;
    make_act(&x1, rng, M, K);
    make_act(&x2, rng, M, K);
    DeviceBuffer y1(static_cast<size_t>(M) * N * 2), y2(static_cast<size_t>(M) * N * 2);
    const size_t ws_bytes = std::max<size_t>(packed_workspace(l1, M), 256);
    DeviceBuffer ws1(ws_bytes), ws2(ws_bytes);
    const std::vector<uint16_t> first = checked_packed_call("w1 x1 y1 ws1 M=48", l1, x1, M, y1, 1.0f, ws1, s);
    checked_packed_call("w2 x2 y2 ws1 M=48", l2, x2, M, y2, 1.0f, ws1, s);
    checked_packed_call("w1 x2 y1 ws1 M=48 (activations changed)", l1, x2, M, y1, 1.0f, ws1, s);
    checked_packed_call("w2 x2 y2 ws1 M=48 alpha=0.5 (alpha changed)", l2, x2, M, y2, 0.5f, ws1, s);
    checked_packed_call("w1 x1 y2 ws1 M=48 (output changed)", l1, x1, M, y2, 1.0f, ws1, s);
    checked_packed_call("w1 x1 y1 ws2 M=48 (workspace changed)", l1, x1, M, y1, 1.0f, ws2, s);
    checked_packed_call("w2 x1 y1 ws1 M=48 (weights changed)", l2, x1, M, y1, 1.0f, ws1, s);
    checked_packed_call("w1 x1 y1 ws1 M=33 (M changed)", l1, x1, 33, y1, 1.0f, ws1, s);
    const std::vector<uint16_t> again = checked_packed_call("w1 x1 y1 ws1 M=48 (first call again)", l1, x1, M, y1,
                                                            1.0f, ws1, s);
    EXPECT_EQ(std::memcmp(first.data(), again.data(), first.size() * 2), 0)
        << "the repeated call is not bitwise identical to the first";
  }
}

// A Hopper tile (packed) and an sm_80 tile of more than 48 KB of shared memory
// (canonical weights, forced), then cudaDeviceReset, then both again on new
// buffers: the limits set before the reset belong to the old context.
void hopper_and_sm80_calls(const char* phase) {
  CudaStream stream;
  const cudaStream_t s = stream.get();
  Rng rng(kBaseSeed + 1);
  const int M = 64, N = 256, K = 1024, g = 128;
  Layer L;
  make_layer(&L, rng, N, K, g, s);
  Act x;
  make_act(&x, rng, M, K);
  DeviceBuffer y(static_cast<size_t>(M) * N * 2);
  {
    const ForcedConfig forced("sm90_coop_n128m64k64_rp");
    DeviceBuffer ws(std::max<size_t>(packed_workspace(L, M), 256));
    checked_packed_call((std::string(phase) + ": sm90_coop_n128m64k64_rp, packed").c_str(), L, x, M, y, 1.0f, ws, s);
  }
  {
    const ForcedConfig forced("sm80_sdq_m128n128k64s4");
    size_t ws_bytes = 0;
    ASSERT_EQ(w4a16GetWorkspaceSize(M, N, K, g, 1, &ws_bytes), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
    DeviceBuffer ws(std::max<size_t>(ws_bytes, 256));
    cuda_check(cudaMemsetAsync(y.get(), 0xFF, static_cast<size_t>(M) * N * 2, s), "poison");
    ASSERT_EQ(w4a16GemmForwardEx(x.dev.get(), L.q.get(), L.scales.get(), L.zeros.get(), y.get(), M, N, K, g, 1.0f,
                                 0.0f, ws.get(), ws.size(), s),
              W4A16_STATUS_SUCCESS)
        << phase << ": " << w4a16GetLastErrorMessage();
    cuda_check(cudaStreamSynchronize(s), phase);
    std::vector<uint16_t> out(static_cast<size_t>(M) * N);
    y.download(out.data(), out.size() * 2);
    std::vector<double> ref, absref;
    reference_gemm_fp64(x.host.data(), L.w_deq.data(), nullptr, M, N, K, 1.0, 0.0, ref, absref);
    const CompareResult r = compare(out.data(), ref, absref, K);
    std::printf("%s %s: sm80_sdq_m128n128k64s4, canonical\n", r.ok ? "PASS" : "FAIL", phase);
    EXPECT_TRUE(r.ok) << phase << ", sm80_sdq_m128n128k64s4: " << r.describe();
  }
}

TEST(LaunchMemoGpu, ForwardAfterDeviceReset) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  hopper_and_sm80_calls("before cudaDeviceReset");
  ASSERT_EQ(cudaDeviceReset(), cudaSuccess);
  hopper_and_sm80_calls("after cudaDeviceReset");
}

}  // namespace
