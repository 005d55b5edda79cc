// The shared test helpers themselves (bf16 rounding, RNG, reference, tolerance,
// comparison): everything else in the suite leans on them.  Needs no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "testutil.h"

namespace {

using namespace w4a16::testutil;

TEST(Bf16, FloatConversionRoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1.0p-8f), 0x3F80);               // tie -> even (down)
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1.0p-7f + 0x1.0p-8f), 0x3F82);   // tie -> even (up)
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1.0p-8f + 0x1.0p-20f), 0x3F81);  // above the tie
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds past the largest bf16
  EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
  const uint16_t nan = f32_to_bf16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_TRUE((nan & 0x7F80) == 0x7F80 && (nan & 0x7F) != 0);
  // A signalling NaN whose payload lives only in the low 16 bits must stay NaN.
  uint32_t snan_bits = 0x7F800001u;
  float snan;
  std::memcpy(&snan, &snan_bits, 4);
  EXPECT_EQ(f32_to_bf16(snan), 0x7FC0);
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7FC0)));
}

TEST(Bf16, DoubleConversionRoundsOnce) {
  // 1 + 2^-8 + 2^-40 is above the tie; rounding through float would land on the tie and go down.
  EXPECT_EQ(f64_to_bf16(1.0 + 0x1.0p-8 + 0x1.0p-40), 0x3F81);
  EXPECT_EQ(f64_to_bf16(1.0 + 0x1.0p-8), 0x3F80);
  EXPECT_EQ(f64_to_bf16(-(1.0 + 0x1.0p-8 + 0x1.0p-40)), 0xBF81);
  EXPECT_EQ(f64_to_bf16(0x1.0p-133), 0x0001);  // smallest subnormal
  EXPECT_EQ(f64_to_bf16(0x1.0p-134), 0x0000);  // tie -> even (zero)
  EXPECT_EQ(f64_to_bf16(0x1.8p-134), 0x0001);
  EXPECT_EQ(f64_to_bf16(0x1.0p128), 0x7F80);
  EXPECT_EQ(f64_to_bf16(0x1.FEp127), 0x7F7F);  // largest finite bf16
  EXPECT_EQ(f64_to_bf16(0x1.FFp127), 0x7F80);  // tie above the largest -> Inf
  EXPECT_EQ(f64_to_bf16(-1e300), 0xFF80);
  EXPECT_EQ(f64_to_bf16(0.0), 0x0000);
  EXPECT_EQ(f64_to_bf16(-0.0), 0x8000);
  EXPECT_EQ(f64_to_bf16(std::nan("")), 0x7FC0);
  // Agrees with the float path wherever the double is a float.
  Rng rng(1);
  for (int i = 0; i < 100000; ++i) {
    const float f = static_cast<float>(rng.normal() * std::ldexp(1.0, rng.uniform_int(-140, 120)));
    ASSERT_EQ(f64_to_bf16(f), f32_to_bf16(f)) << f;
  }
}

TEST(Rng, DeterministicAndSane) {
  Rng a(42), b(42), c(43);
  EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  Rng r(7);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = r.normal();
    sum += x;
    sum2 += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(sum2 / n, 1.0, 0.02);
  int hist[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 50000; ++i) {
    const int v = r.uniform_int(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    ++hist[v + 2];
  }
  for (int h : hist) EXPECT_NEAR(h, 10000, 600);
  for (int i = 0; i < 1000; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Reference, SmallHandComputedGemm) {
  // X = [[1, 2], [3, -1]], W = [[1, 1], [0.5, -2], [4, 0]]; K is 2 here on purpose (no shape rules).
  const std::vector<uint16_t> X = {f32_to_bf16(1), f32_to_bf16(2), f32_to_bf16(3), f32_to_bf16(-1)};
  const std::vector<uint16_t> W = {f32_to_bf16(1),  f32_to_bf16(1), f32_to_bf16(0.5f),
                                   f32_to_bf16(-2), f32_to_bf16(4), f32_to_bf16(0)};
  const std::vector<uint16_t> Y0 = {f32_to_bf16(1), f32_to_bf16(-1), f32_to_bf16(2),
                                    f32_to_bf16(0), f32_to_bf16(1),  f32_to_bf16(-4)};
  std::vector<double> ref, absref;
  reference_gemm_fp64(X.data(), W.data(), Y0.data(), 2, 3, 2, 2.0, 0.5, ref, absref);
  const std::vector<double> want = {2 * 3 + 0.5, 2 * -3.5 - 0.5, 2 * 4 + 1, 2 * 2 + 0, 2 * 3.5 + 0.5, 2 * 12 - 2};
  const std::vector<double> want_abs = {2 * 3 + 0.5, 2 * 4.5 + 0.5, 2 * 4 + 1, 2 * 4, 2 * 3.5 + 0.5, 2 * 12 + 2};
  EXPECT_EQ(ref, want);
  EXPECT_EQ(absref, want_abs);
}

TEST(Reference, ThreadedMatchesNaiveOnLargerShape) {
  const int M = 5, N = 300, K = 1024;
  Rng rng(3);
  const std::vector<uint16_t> X = random_bf16_normal(rng, static_cast<size_t>(M) * K);
  const std::vector<uint16_t> W = random_bf16_normal(rng, static_cast<size_t>(N) * K);
  std::vector<double> ref, absref;
  reference_gemm_fp64(X.data(), W.data(), nullptr, M, N, K, 1.0, 0.0, ref, absref);
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      long double s = 0;
      for (int k = 0; k < K; ++k)
        s += static_cast<long double>(bf16_to_f32(X[static_cast<size_t>(m) * K + k])) *
             bf16_to_f32(W[static_cast<size_t>(n) * K + k]);
      ASSERT_NEAR(ref[static_cast<size_t>(m) * N + n], static_cast<double>(s), 1e-9) << m << "," << n;
    }
  }
}

TEST(Compare, ToleranceAndNonFinite) {
  const std::vector<double> ref = {1.0, 1000.0, 0.0};
  const std::vector<double> absref = {1.0, 1000.0, 10.0};
  const int K = 64;
  std::vector<uint16_t> y = {f32_to_bf16(1.0f), f32_to_bf16(1000.0f), f32_to_bf16(0.0f)};
  CompareResult r = compare(y.data(), ref, absref, K);
  EXPECT_TRUE(r.ok) << r.describe();
  EXPECT_EQ(r.checked, 3);
  // One bf16 ulp off at 1.0 (2^-7) exceeds 2^-8 + 128*2^-24 ~ 0.0039 + 7.6e-6.
  y[0] = 0x3F81;
  r = compare(y.data(), ref, absref, K);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad, 1);
  EXPECT_EQ(r.first_bad, 0);
  y[0] = f32_to_bf16(1.0f);
  y[2] = 0x7FC0;  // NaN where the reference is finite
  r = compare(y.data(), ref, absref, K);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.nonfinite, 1);
  EXPECT_EQ(r.first_bad, 2);
  y[2] = 0x7F80;  // Inf likewise
  EXPECT_FALSE(compare(y.data(), ref, absref, K).ok);
  // NaN never passes, not even against a NaN reference.
  const std::vector<double> nan_ref = {std::nan("")};
  const std::vector<double> one = {1.0};
  const uint16_t nan_y = 0x7FC0;
  EXPECT_FALSE(compare(&nan_y, nan_ref, one, K).ok);
  EXPECT_NEAR(tolerance(2.0, 4.0, 1024), 2.0 / 256 + 1088.0 * 4.0 / 16777216.0 + 0x1.0p-126, 1e-18);
}

TEST(Seed, EnvironmentOverrides) {
  const char* previous = std::getenv("W4A16_SEED");
  const std::string saved = previous != nullptr ? previous : "";
  ::setenv("W4A16_SEED", "123456789", 1);
  EXPECT_EQ(seed_from_env_or_random(), 123456789u);
  ::setenv("W4A16_SEED", "12x", 1);
  EXPECT_THROW(seed_from_env_or_random(), std::runtime_error);
  if (previous != nullptr) {
    ::setenv("W4A16_SEED", saved.c_str(), 1);
  } else {
    ::unsetenv("W4A16_SEED");
  }
}

}  // namespace
