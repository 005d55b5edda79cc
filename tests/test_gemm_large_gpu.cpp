// The spec's benchmark shapes (M x N x K): 256^3 and 2048^3 against a full fp64
// reference, 4096 x 5120 x 8192 against cuBLAS on every element and against fp64
// on 64 sampled rows (a full fp64 reference would cost 1.7e11 multiply-adds).
// Skips without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "testutil.h"
#include "w4a16/w4a16.h"

namespace {

using namespace w4a16::testutil;

class GemmLargeGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!gpu_available(&why)) GTEST_SKIP() << "no CUDA GPU: " << why;
  }
};

TEST_F(GemmLargeGpu, SpecShapesWithFullReference) {
  CublasBf16 cublas;
  const uint64_t seed = seed_from_env_or_random();
  for (int size : {256, 2048}) {
    GemmCase c;
    c.M = c.N = c.K = size;
    c.group_size = 128;
    c.zeros = true;
    const GemmCheckReport rep = check_gemm(c, seed, cublas);
    std::printf("%s\n", rep.describe().c_str());
    EXPECT_TRUE(rep.ok) << rep.describe() << "\n  rerun with W4A16_SEED=" << rep.seed;
  }
}

// |X| |W|^T computed by cuBLAS (bf16 in, fp32 accumulate, bf16 out): the magnitude term of the
// tolerance for every element without an fp64 pass.  The factor covers its own roundings
// (bf16 output 2^-8, fp32 accumulation K*2^-24 for K <= 2^13).
std::vector<double> abs_product(CublasBf16& cublas, const std::vector<uint16_t>& x, const std::vector<uint16_t>& w,
                                int M, int N, int K, cudaStream_t stream) {
  std::vector<uint16_t> ax(x), aw(w);
  for (auto& v : ax) v &= 0x7FFF;
  for (auto& v : aw) v &= 0x7FFF;
  DeviceBuffer d_ax(ax.size() * 2), d_aw(aw.size() * 2), d_out(size_t(M) * N * 2);
  d_ax.upload(ax.data(), ax.size() * 2);
  d_aw.upload(aw.data(), aw.size() * 2);
  std::string err;
  if (!cublas.gemm(d_ax.get(), d_aw.get(), d_out.get(), M, N, K, 1.0f, 0.0f, stream, &err))
    throw std::runtime_error(err);
  cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  std::vector<uint16_t> out(size_t(M) * N);
  d_out.download(out.data(), out.size() * 2);
  std::vector<double> absref(out.size());
  for (size_t i = 0; i < out.size(); ++i) absref[i] = bf16_to_f32(out[i]) * (1.0 + 0x1.0p-6);
  return absref;
}

TEST_F(GemmLargeGpu, Spec4096x5120x8192AgainstCublasAndSampledFp64) {
  const int M = 4096, N = 5120, K = 8192, g = 128;
  const uint64_t seed = seed_from_env_or_random();
  std::printf("M=%d N=%d K=%d g=%d zeros=1 seed=%" PRIu64 "\n", M, N, K, g, seed);
  SCOPED_TRACE("seed=" + std::to_string(seed));
  Rng rng(seed);
  const std::vector<uint16_t> w = random_bf16_normal(rng, size_t(N) * K);
  const std::vector<uint16_t> x = random_bf16_normal(rng, size_t(M) * K);
  CublasBf16 cublas;
  CudaStream stream;

  DeviceBuffer d_w(w.size() * 2), d_packed(size_t(N) * K / 2), d_scales(size_t(N) * (K / g) * 2),
      d_zeros(size_t(N) * (K / g) * 2), d_w_dq(w.size() * 2), d_x(x.size() * 2);
  d_w.upload(w.data(), w.size() * 2);
  d_x.upload(x.data(), x.size() * 2);
  ASSERT_EQ(quantizeWeightToINT4Ex(d_w.get(), d_packed.get(), d_scales.get(), d_zeros.get(), N, K, g, stream.get()),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  ASSERT_EQ(w4a16DequantizeToBF16(d_packed.get(), d_scales.get(), d_zeros.get(), d_w_dq.get(), N, K, g, stream.get()),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();

  size_t ws_bytes = 0;
  ASSERT_EQ(w4a16GetWorkspaceSize(M, N, K, g, 1, &ws_bytes), W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  DeviceBuffer d_ws(ws_bytes), d_y(size_t(M) * N * 2), d_yc(size_t(M) * N * 2);
  cuda_check(cudaMemsetAsync(d_y.get(), 0xFF, d_y.size(), stream.get()), "cudaMemsetAsync");  // NaN poison
  ASSERT_EQ(w4a16GemmForwardEx(d_x.get(), d_packed.get(), d_scales.get(), d_zeros.get(), d_y.get(), M, N, K, g, 1.0f,
                               0.0f, d_ws.get(), ws_bytes, stream.get()),
            W4A16_STATUS_SUCCESS)
      << w4a16GetLastErrorMessage();
  std::string err;
  ASSERT_TRUE(cublas.gemm(d_x.get(), d_w_dq.get(), d_yc.get(), M, N, K, 1.0f, 0.0f, stream.get(), &err)) << err;
  stream.synchronize();
  std::vector<uint16_t> y(size_t(M) * N), yc(size_t(M) * N), w_dq(w.size());
  d_y.download(y.data(), y.size() * 2);
  d_yc.download(yc.data(), yc.size() * 2);
  d_w_dq.download(w_dq.data(), w_dq.size() * 2);

  // Every element against cuBLAS.
  const std::vector<double> absref = abs_product(cublas, x, w_dq, M, N, K, stream.get());
  std::vector<double> ref_cublas(yc.size());
  for (size_t i = 0; i < yc.size(); ++i) ref_cublas[i] = bf16_to_f32(yc[i]);
  const CompareResult vs_cublas = compare(y.data(), ref_cublas, absref, K, 2.0);
  std::printf("w4a16 vs cuBLAS (tol x2): %s\n", vs_cublas.describe().c_str());
  EXPECT_TRUE(vs_cublas.ok) << vs_cublas.describe();

  // 64 random rows against fp64, for both.
  const int rows = 64;
  std::vector<int> picked(rows);
  for (int& r : picked) r = rng.uniform_int(0, M - 1);
  std::vector<uint16_t> x_rows(size_t(rows) * K), y_rows(size_t(rows) * N), yc_rows(size_t(rows) * N);
  for (int i = 0; i < rows; ++i) {
    std::copy_n(x.begin() + std::ptrdiff_t(picked[i]) * K, K, x_rows.begin() + std::ptrdiff_t(i) * K);
    std::copy_n(y.begin() + std::ptrdiff_t(picked[i]) * N, N, y_rows.begin() + std::ptrdiff_t(i) * N);
    std::copy_n(yc.begin() + std::ptrdiff_t(picked[i]) * N, N, yc_rows.begin() + std::ptrdiff_t(i) * N);
  }
  std::vector<double> ref, abs_rows;
  reference_gemm_fp64(x_rows.data(), w_dq.data(), nullptr, rows, N, K, 1.0, 0.0, ref, abs_rows);
  const CompareResult vs_fp64 = compare(y_rows.data(), ref, abs_rows, K);
  const CompareResult cublas_vs_fp64 = compare(yc_rows.data(), ref, abs_rows, K);
  std::printf("w4a16 vs fp64 (64 rows): %s\ncuBLAS vs fp64 (64 rows): %s\n", vs_fp64.describe().c_str(),
              cublas_vs_fp64.describe().c_str());
  EXPECT_TRUE(vs_fp64.ok) << vs_fp64.describe();
  EXPECT_TRUE(cublas_vs_fp64.ok) << cublas_vs_fp64.describe();
}

}  // namespace
