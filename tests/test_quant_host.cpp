// Host quantizer and dequantizer (w4a16QuantizeHost, w4a16DequantizeHost,
// w4a16QuantizationErrorHost): bit-exact agreement with the documented formulas,
// error bounds, special groups, nibble order.  Needs no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "testutil.h"
#include "w4a16/w4a16.h"

namespace {

using namespace w4a16::testutil;

struct Quantized {
  std::vector<uint8_t> packed;
  std::vector<uint16_t> scales;
  std::vector<uint16_t> zeros;  // empty in symmetric mode
};

int nibble(const std::vector<uint8_t>& packed, int K, int n, int k) {
  const unsigned byte = packed[static_cast<size_t>(n) * (K / 2) + k / 2];
  const unsigned v = (k % 2 == 0) ? (byte & 0xFu) : (byte >> 4);
  return static_cast<int>(v ^ 0x8u) - 8;  // two's-complement nibble
}

bool is_nan_bf16(uint16_t h) { return (h & 0x7F80u) == 0x7F80u && (h & 0x007Fu) != 0; }

Quantized quantize_host(const std::vector<uint16_t>& w, int N, int K, int g, bool asym) {
  Quantized q;
  q.packed.assign(static_cast<size_t>(N) * K / 2, 0xEE);
  q.scales.assign(static_cast<size_t>(N) * (K / g), 0xEEEE);
  if (asym) q.zeros.assign(q.scales.size(), 0xEEEE);
  const w4a16Status_t st =
      w4a16QuantizeHost(w.data(), q.packed.data(), q.scales.data(), asym ? q.zeros.data() : nullptr, N, K, g);
  EXPECT_EQ(st, W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  return q;
}

std::vector<uint16_t> dequantize_host(const Quantized& q, int N, int K, int g) {
  std::vector<uint16_t> out(static_cast<size_t>(N) * K, 0xEEEE);
  const w4a16Status_t st = w4a16DequantizeHost(q.packed.data(), q.scales.data(),
                                               q.zeros.empty() ? nullptr : q.zeros.data(), out.data(), N, K, g);
  EXPECT_EQ(st, W4A16_STATUS_SUCCESS) << w4a16GetLastErrorMessage();
  return out;
}

// The documented formulas (docs/format.md), written independently of the library:
//   symmetric:  s = bf16_rn(max(-wmin/8, wmax/7)),           q = clamp(rint(w/s), -8, 7)
//   asymmetric: s = bf16_rn(wmax/15 - wmin/15), z = bf16_rn(fmaf(8, s, wmin)),
//               q = clamp(rint((w - z)/s), -8, 7)
// all in fp32; s == 0 (zero or constant group) gives q = 0 (and z = wmin in asym mode).
struct GroupExpect {
  uint16_t scale;
  uint16_t zero;
  std::vector<int> q;
};

GroupExpect expected_group(const uint16_t* w, int g, bool asym) {
  float wmin = std::numeric_limits<float>::infinity();
  float wmax = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < g; ++i) {
    wmin = std::fmin(wmin, bf16_to_f32(w[i]));
    wmax = std::fmax(wmax, bf16_to_f32(w[i]));
  }
  wmin += 0.0f;  // -0 -> +0
  wmax += 0.0f;
  GroupExpect e{0, 0, std::vector<int>(static_cast<size_t>(g), 0)};
  const float s_raw = asym ? wmax / 15.0f - wmin / 15.0f : std::fmax(-wmin / 8.0f, wmax / 7.0f);
  e.scale = f32_to_bf16(s_raw);
  const float s = bf16_to_f32(e.scale);
  if (!(s > 0.0f)) {
    e.scale = 0;
    e.zero = asym ? f32_to_bf16(wmin) : 0;
    return e;
  }
  if (asym) e.zero = f32_to_bf16(std::fmaf(8.0f, s, wmin));
  const float z = bf16_to_f32(e.zero);
  for (int i = 0; i < g; ++i) {
    const float r = std::rint((bf16_to_f32(w[i]) - z) / s);
    e.q[static_cast<size_t>(i)] = static_cast<int>(std::fmin(std::fmax(r, -8.0f), 7.0f));
  }
  return e;
}

// Checks the library's output bit for bit against expected_group(), and the error bound
//   |w - (s*q + z)| <= (s/2)(1 + 2^-10) + |z - (wmin + 8s)|
// which follows from the formulas: rounding to the nearest q costs s/2 (the fp32 division
// adds < 2^-20 s); clipping costs at most 15|s - (wmax-wmin)/15| <= 15*2^-8*s*(1+eps) < s/2
// at the top plus the zero's own rounding error |z - (wmin + 8s)| at either end.
void expect_matches_formulas(const std::vector<uint16_t>& w, const Quantized& q, int N, int K, int g, bool asym) {
  const int groups = K / g;
  int64_t reported = 0;
  for (int n = 0; n < N; ++n) {
    for (int gi = 0; gi < groups; ++gi) {
      const uint16_t* wg = w.data() + static_cast<size_t>(n) * K + static_cast<size_t>(gi) * g;
      const GroupExpect e = expected_group(wg, g, asym);
      const size_t gidx = static_cast<size_t>(n) * groups + gi;
      const bool scale_ok = q.scales[gidx] == e.scale;
      const bool zero_ok = !asym || q.zeros[gidx] == e.zero;
      EXPECT_TRUE(scale_ok) << "n=" << n << " group=" << gi << " scale 0x" << std::hex << q.scales[gidx]
                            << " expected 0x" << e.scale;
      EXPECT_TRUE(zero_ok) << "n=" << n << " group=" << gi << " zero 0x" << std::hex << q.zeros[gidx] << " expected 0x"
                           << e.zero;
      if ((!scale_ok || !zero_ok) && ++reported > 5) return;
      const double s = bf16_to_f32(e.scale);
      const double z = bf16_to_f32(e.zero);
      double wmin = INFINITY;
      for (int i = 0; i < g; ++i) wmin = std::fmin(wmin, bf16_to_f32(wg[i]));
      const double bound = (s / 2) * (1.0 + 0x1.0p-10) + (asym && s > 0 ? std::fabs(z - (wmin + 8 * s)) : 0.0);
      for (int i = 0; i < g; ++i) {
        const int k = gi * g + i;
        const int got = nibble(q.packed, K, n, k);
        const double wv = bf16_to_f32(wg[i]);
        const double err = std::fabs(wv - (s * got + z));
        const bool ok = got == e.q[static_cast<size_t>(i)] && (s == 0 ? got == 0 : err <= bound);
        EXPECT_TRUE(ok) << "n=" << n << " k=" << k << " w=" << wv << " q=" << got
                        << " expected q=" << e.q[static_cast<size_t>(i)] << " s=" << s << " z=" << z << " err=" << err
                        << " bound=" << bound;
        if (!ok && ++reported > 5) return;
      }
    }
  }
}

// Host dequantization is bf16_rn(s*q + z) rounded once; checks every element.
void expect_dequant_single_rounding(const Quantized& q, const std::vector<uint16_t>& dq, int N, int K, int g) {
  int64_t reported = 0;
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < K; ++k) {
      const size_t gidx = static_cast<size_t>(n) * (K / g) + k / g;
      const double s = bf16_to_f32(q.scales[gidx]);
      const double z = q.zeros.empty() ? 0.0 : bf16_to_f32(q.zeros[gidx]);
      // Exact in double for the data used here (s*q has <= 12 significant bits, z is within 2^40 of it).
      const uint16_t want = f64_to_bf16(s * nibble(q.packed, K, n, k) + z);
      const uint16_t got = dq[static_cast<size_t>(n) * K + k];
      const bool same = got == want || (is_nan_bf16(got) && is_nan_bf16(want));
      EXPECT_TRUE(same) << "n=" << n << " k=" << k << " got 0x" << std::hex << got << " expected 0x" << want;
      if (!same && ++reported > 5) return;
    }
  }
}

std::vector<uint16_t> normal_weights(uint64_t seed, int N, int K) {
  Rng rng(seed);
  return random_bf16_normal(rng, static_cast<size_t>(N) * K);
}

struct QuantConfig {
  int N, K, g;
  bool asym;
};

class QuantFormulas : public ::testing::TestWithParam<QuantConfig> {};

TEST_P(QuantFormulas, MatchDocumentedFormulasBitExact) {
  const QuantConfig c = GetParam();
  const uint64_t seed = seed_from_env_or_random();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::printf("seed=%llu\n", static_cast<unsigned long long>(seed));
  const std::vector<uint16_t> w = normal_weights(seed, c.N, c.K);
  const Quantized q = quantize_host(w, c.N, c.K, c.g, c.asym);
  expect_matches_formulas(w, q, c.N, c.K, c.g, c.asym);
  expect_dequant_single_rounding(q, dequantize_host(q, c.N, c.K, c.g), c.N, c.K, c.g);
}

std::string config_name(const ::testing::TestParamInfo<QuantConfig>& info) {
  const QuantConfig& c = info.param;
  return "N" + std::to_string(c.N) + "_K" + std::to_string(c.K) + "_g" + std::to_string(c.g) +
         (c.asym ? "_asym" : "_sym");
}

INSTANTIATE_TEST_SUITE_P(GroupSizes, QuantFormulas,
                         ::testing::Values(QuantConfig{16, 1024, 32, false}, QuantConfig{16, 1024, 32, true},
                                           QuantConfig{16, 1024, 64, false}, QuantConfig{16, 1024, 64, true},
                                           QuantConfig{16, 1024, 128, false}, QuantConfig{16, 1024, 128, true},
                                           QuantConfig{16, 1024, 256, false}, QuantConfig{16, 1024, 256, true},
                                           QuantConfig{16, 1024, 1024, false}, QuantConfig{16, 1024, 1024, true},
                                           QuantConfig{3, 96, 96, true}, QuantConfig{3, 160, 32, false},
                                           QuantConfig{8, 7392, 32, false}, QuantConfig{8, 7392, 32, true},
                                           QuantConfig{8, 10944, 64, false}, QuantConfig{8, 10944, 64, true}),
                         config_name);

// Scaled data: tiny and huge magnitudes still follow the formulas (no overflow in wmax/15 - wmin/15).
TEST(QuantHost, ExtremeMagnitudesFollowFormulas) {
  const int N = 4, K = 256, g = 64;
  const uint64_t seed = seed_from_env_or_random();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  for (float scale : {1e-30f, 1e-3f, 1e3f, 1e37f}) {
    std::vector<uint16_t> w = normal_weights(seed, N, K);
    for (auto& v : w) v = f32_to_bf16(bf16_to_f32(v) * scale);
    for (bool asym : {false, true}) {
      SCOPED_TRACE("magnitude " + std::to_string(scale) + (asym ? " asym" : " sym"));
      const Quantized q = quantize_host(w, N, K, g, asym);
      expect_matches_formulas(w, q, N, K, g, asym);
    }
  }
}

TEST(QuantHost, AllZeroGroupHasZeroScaleAndZeroCodes) {
  const int N = 2, K = 128, g = 32;
  for (uint16_t zero_bits : {uint16_t{0x0000}, uint16_t{0x8000}}) {  // +0 and -0
    for (bool asym : {false, true}) {
      SCOPED_TRACE(std::string(asym ? "asym" : "sym") + (zero_bits ? " -0" : " +0"));
      std::vector<uint16_t> w = normal_weights(7, N, K);
      for (int k = 32; k < 64; ++k) w[static_cast<size_t>(K) + k] = zero_bits;  // row 1, group 1
      const Quantized q = quantize_host(w, N, K, g, asym);
      const size_t gidx = 1 * (K / g) + 1;
      EXPECT_EQ(q.scales[gidx], 0x0000) << "scale must be +0";
      if (asym) {
        EXPECT_EQ(q.zeros[gidx], 0x0000) << "zero must be +0";
      }
      for (int k = 32; k < 64; ++k) EXPECT_EQ(nibble(q.packed, K, 1, k), 0) << "k=" << k;
      const std::vector<uint16_t> dq = dequantize_host(q, N, K, g);
      for (int k = 32; k < 64; ++k) EXPECT_EQ(bf16_to_f32(dq[static_cast<size_t>(K) + k]), 0.0f) << "k=" << k;
      expect_matches_formulas(w, q, N, K, g, asym);
    }
  }
}

TEST(QuantHost, ConstantGroupDequantizesExactlyInAsymmetricMode) {
  const int N = 1, K = 64, g = 32;
  for (float c : {1.5f, -3.25f, 0.0009765625f, 65504.0f, -1e30f, 3.0e38f}) {
    SCOPED_TRACE("constant " + std::to_string(c));
    const uint16_t cb = f32_to_bf16(c);
    std::vector<uint16_t> w = normal_weights(11, N, K);
    for (int k = 0; k < 32; ++k) w[static_cast<size_t>(k)] = cb;
    const Quantized q = quantize_host(w, N, K, g, true);
    const std::vector<uint16_t> dq = dequantize_host(q, N, K, g);
    for (int k = 0; k < 32; ++k) EXPECT_EQ(dq[static_cast<size_t>(k)], cb) << "k=" << k;
    expect_matches_formulas(w, q, N, K, g, true);
  }
}

TEST(QuantHost, NonFiniteGroupGetsNaNScaleOthersUnaffected) {
  const int N = 2, K = 128, g = 32;
  const uint16_t kInf = 0x7F80, kNegInf = 0xFF80, kNaN = 0x7FC0;
  for (uint16_t bad : {kNaN, kInf, kNegInf}) {
    for (bool asym : {false, true}) {
      SCOPED_TRACE(std::string(asym ? "asym" : "sym") + " bad=0x" + std::to_string(bad));
      const std::vector<uint16_t> clean = normal_weights(5, N, K);
      std::vector<uint16_t> w = clean;
      w[static_cast<size_t>(K) + 64 + 17] = bad;  // row 1, group 2
      const Quantized qc = quantize_host(clean, N, K, g, asym);
      const Quantized q = quantize_host(w, N, K, g, asym);
      const size_t bad_group = 1 * (K / g) + 2;
      EXPECT_TRUE(is_nan_bf16(q.scales[bad_group])) << std::hex << q.scales[bad_group];
      if (asym) {
        EXPECT_TRUE(is_nan_bf16(q.zeros[bad_group])) << std::hex << q.zeros[bad_group];
      }
      for (size_t gi = 0; gi < q.scales.size(); ++gi) {
        if (gi == bad_group) continue;
        EXPECT_EQ(q.scales[gi], qc.scales[gi]) << "group " << gi;
        if (asym) {
          EXPECT_EQ(q.zeros[gi], qc.zeros[gi]) << "group " << gi;
        }
        const size_t row = gi / (K / g), col = gi % (K / g);
        for (int k = 0; k < g; k += 2) {
          const size_t byte = row * (K / 2) + (col * g + k) / 2;
          EXPECT_EQ(q.packed[byte], qc.packed[byte]) << "group " << gi << " byte " << byte;
        }
      }
      const std::vector<uint16_t> dq = dequantize_host(q, N, K, g);
      for (int k = 64; k < 96; ++k) EXPECT_TRUE(is_nan_bf16(dq[static_cast<size_t>(K) + k])) << "k=" << k;
      w4a16QuantError_t err{};
      ASSERT_EQ(w4a16QuantizationErrorHost(w.data(), q.packed.data(), q.scales.data(), asym ? q.zeros.data() : nullptr,
                                           N, K, g, &err),
                W4A16_STATUS_SUCCESS)
          << w4a16GetLastErrorMessage();
      EXPECT_EQ(err.nonfinite_groups, 1);
      EXPECT_EQ(err.groups, N * K / g);
      EXPECT_TRUE(std::isfinite(err.rel_fro_error));
      EXPECT_TRUE(std::isfinite(err.max_abs_error));
    }
  }
}

// Hand-built: w[k] = (k % 16) - 8 gives s = 1 (symmetric: max(8/8, 7/7); asymmetric:
// (7+8)/15 and z = 8*1 - 8 = 0), so q[k] = w[k] and the bytes are known.
TEST(QuantHost, NibbleOrderLowNibbleIsEvenK) {
  const int N = 1, K = 32, g = 32;
  std::vector<uint16_t> w(K);
  for (int k = 0; k < K; ++k) w[static_cast<size_t>(k)] = f32_to_bf16(static_cast<float>(k % 16 - 8));
  for (bool asym : {false, true}) {
    SCOPED_TRACE(asym ? "asym" : "sym");
    const Quantized q = quantize_host(w, N, K, g, asym);
    EXPECT_EQ(q.scales[0], 0x3F80);  // 1.0
    if (asym) {
      EXPECT_EQ(q.zeros[0], 0x0000);
    }
    EXPECT_EQ(q.packed[0], 0x98);  // q0 = -8 (0x8) low, q1 = -7 (0x9) high
    EXPECT_EQ(q.packed[3], 0xFE);  // q6 = -2 (0xE), q7 = -1 (0xF)
    EXPECT_EQ(q.packed[4], 0x10);  // q8 = 0, q9 = 1
    EXPECT_EQ(q.packed[7], 0x76);  // q14 = 6, q15 = 7
    EXPECT_EQ(q.packed[8], 0x98);  // second half repeats
    const std::vector<uint16_t> dq = dequantize_host(q, N, K, g);
    EXPECT_EQ(dq, w);
  }
}

// Dequantization of a directly built canonical buffer: one rounding of s*q + z.
TEST(DequantHost, SingleRoundingOfRandomCanonicalData) {
  const int N = 8, K = 512, g = 64;
  const uint64_t seed = seed_from_env_or_random();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  Rng rng(seed);
  Quantized q;
  q.packed.resize(static_cast<size_t>(N) * K / 2);
  for (auto& b : q.packed) b = static_cast<uint8_t>(rng.uniform_int(0, 255));
  q.scales.resize(static_cast<size_t>(N) * K / g);
  q.zeros.resize(q.scales.size());
  for (auto& s : q.scales) s = f32_to_bf16(static_cast<float>(std::fabs(rng.normal()) + 1e-3));
  for (auto& z : q.zeros) z = f32_to_bf16(static_cast<float>(rng.normal() * 4.0));
  expect_dequant_single_rounding(q, dequantize_host(q, N, K, g), N, K, g);
  Quantized sym = q;
  sym.zeros.clear();
  expect_dequant_single_rounding(sym, dequantize_host(sym, N, K, g), N, K, g);
}

// s*q lands exactly on a bf16 rounding midpoint and z is far too small to survive a
// double-precision sum: only a single rounding of the exact value gets the direction right.
TEST(DequantHost, MidpointDecidedByTinyZero) {
  const int N = 1, K = 32, g = 32;
  Quantized q;
  q.packed.assign(K / 2, 0x33);  // every q = 3
  q.scales = {0x3F81};           // 1 + 2^-7, so s*q = 3 + 1.5 * 2^-6: a midpoint in [2, 4)
  struct Case {
    uint16_t zero;
    uint16_t expected;
  };
  for (const Case& c : {Case{0x0D80, 0x4042},     // z = +2^-100: above the midpoint -> 3 + 2^-5
                        Case{0x8D80, 0x4041},     // z = -2^-100: below -> 3 + 2^-6
                        Case{0x0000, 0x4042}}) {  // z = 0: tie -> even (3 + 2^-5)
    q.zeros = {c.zero};
    const std::vector<uint16_t> dq = dequantize_host(q, N, K, g);
    for (int k = 0; k < K; ++k) EXPECT_EQ(dq[static_cast<size_t>(k)], c.expected) << "zero=0x" << std::hex << c.zero;
  }
}

TEST(QuantHost, QuantizationErrorOnGaussianShrinksWithGroupSize) {
  const int N = 256, K = 4096;
  const uint64_t seed = seed_from_env_or_random();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  const std::vector<uint16_t> w = normal_weights(seed, N, K);
  for (bool asym : {false, true}) {
    double previous = 0.0;
    for (int g : {32, 64, 128, 256, K}) {
      SCOPED_TRACE(std::string(asym ? "asym" : "sym") + " g=" + std::to_string(g));
      const Quantized q = quantize_host(w, N, K, g, asym);
      w4a16QuantError_t err{};
      ASSERT_EQ(w4a16QuantizationErrorHost(w.data(), q.packed.data(), q.scales.data(), asym ? q.zeros.data() : nullptr,
                                           N, K, g, &err),
                W4A16_STATUS_SUCCESS)
          << w4a16GetLastErrorMessage();
      // Independent computation against the host-dequantized weights.
      const std::vector<uint16_t> dq = dequantize_host(q, N, K, g);
      double num = 0, den = 0, max_abs = 0;
      for (size_t i = 0; i < w.size(); ++i) {
        const double d = static_cast<double>(bf16_to_f32(w[i])) - bf16_to_f32(dq[i]);
        num += d * d;
        den += static_cast<double>(bf16_to_f32(w[i])) * bf16_to_f32(w[i]);
        max_abs = std::max(max_abs, std::fabs(d));
      }
      const double rel = std::sqrt(num / den);
      std::printf("%s g=%d rel_fro_error=%.4f max_abs_error=%.4f max_rel_group=%.4f\n", asym ? "asym" : "sym", g,
                  err.rel_fro_error, err.max_abs_error, err.max_rel_group);
      EXPECT_NEAR(err.rel_fro_error, rel, 1e-3 * rel);
      EXPECT_NEAR(err.max_abs_error, max_abs, 1e-2 * max_abs);
      EXPECT_EQ(err.nonfinite_groups, 0);
      EXPECT_EQ(err.groups, static_cast<int64_t>(N) * K / g);
      EXPECT_GE(err.max_rel_group, err.rel_fro_error);
      // 4-bit on N(0,1): ~0.07 at g=32 up to ~0.15 per channel (sym); asym is no worse.
      EXPECT_GT(err.rel_fro_error, 0.02);
      EXPECT_LT(err.rel_fro_error, 0.25);
      EXPECT_GT(err.rel_fro_error, previous) << "error must grow with the group size";
      previous = err.rel_fro_error;
    }
  }
}

TEST(QuantHost, QuantizationErrorOfAllZeroWeightsIsZero) {
  const int N = 2, K = 64, g = 32;
  const std::vector<uint16_t> w(static_cast<size_t>(N) * K, 0);
  const Quantized q = quantize_host(w, N, K, g, true);
  w4a16QuantError_t err{};
  ASSERT_EQ(w4a16QuantizationErrorHost(w.data(), q.packed.data(), q.scales.data(), q.zeros.data(), N, K, g, &err),
            W4A16_STATUS_SUCCESS);
  EXPECT_EQ(err.rel_fro_error, 0.0);
  EXPECT_EQ(err.max_abs_error, 0.0);
  EXPECT_EQ(err.groups, N * K / g);
}

}  // namespace
