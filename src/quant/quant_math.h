// Per-group quantization math shared verbatim by the host reference and the GPU
// quantizer, so that both produce bit-identical output (docs/format.md).
//
// Bit-exactness rules followed here:
//  * only correctly rounded IEEE fp32 operations (/, -, fmaf, rintf) — no a*b+c
//    that a compiler could contract differently on host and device;
//  * bf16 rounding done with integer bit operations, not a library call;
//  * min/max canonicalised (-0 -> +0) because the order of a parallel
//    reduction decides which zero fmaxf returns.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define W4A16_HD __host__ __device__ __forceinline__
#else
#define W4A16_HD inline
#endif

namespace w4a16::quant {

constexpr uint16_t kBf16QuietNaN = 0x7FC0;
constexpr int kQMin = -8;
constexpr int kQMax = 7;

W4A16_HD uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  return u;
#endif
}

W4A16_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
#endif
}

W4A16_HD bool is_finite_f32(float f) { return (float_bits(f) & 0x7F800000u) != 0x7F800000u; }

// fp32 -> bf16, round to nearest even; NaN -> quiet NaN (sign kept).
W4A16_HD uint16_t f32_to_bf16_rn(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

W4A16_HD float bf16_to_f32(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

// The scale (and zero) of one group, from its min / max.
struct GroupParams {
  uint16_t scale;   // bf16 bits
  uint16_t zero;    // bf16 bits (0 in symmetric mode)
  float s;          // scale as float
  float z;          // zero as float
  bool quantizable; // false: every q of the group is 0 (zero / constant / non-finite group)
};

// wmin/wmax: min and max of the group's values; nonfinite: the group holds NaN/Inf.
W4A16_HD GroupParams group_params(float wmin, float wmax, bool nonfinite, bool asymmetric) {
  GroupParams p{};
  if (nonfinite) {
    p.scale = kBf16QuietNaN;
    p.zero = asymmetric ? kBf16QuietNaN : 0;
    p.s = bf16_to_f32(p.scale);
    p.z = bf16_to_f32(p.zero);
    p.quantizable = false;
    return p;
  }
  wmin = wmin + 0.0f;  // -0 -> +0 (see header comment)
  wmax = wmax + 0.0f;
  if (!asymmetric) {
    // Largest positive value maps to <= 7, most negative to >= -8: nothing clips.
    const float s = fmaxf(-wmin / 8.0f, wmax / 7.0f);
    p.scale = f32_to_bf16_rn(s);
    p.s = bf16_to_f32(p.scale);
    if (!(p.s > 0.0f)) {  // all-zero group, or underflow to zero in bf16
      p.scale = 0;
      p.s = 0.0f;
      p.quantizable = false;
    } else {
      p.quantizable = true;
    }
    p.zero = 0;
    p.z = 0.0f;
    return p;
  }
  // Asymmetric: q = -8 .. 7 spans [wmin, wmax]. wmax/15 - wmin/15 cannot overflow.
  const float s = wmax / 15.0f - wmin / 15.0f;
  p.scale = f32_to_bf16_rn(s);
  p.s = bf16_to_f32(p.scale);
  if (!(p.s > 0.0f)) {  // constant group (or a range that underflows in bf16)
    p.scale = 0;
    p.s = 0.0f;
    p.zero = f32_to_bf16_rn(wmin);
    p.z = bf16_to_f32(p.zero);
    p.quantizable = false;
    return p;
  }
  p.zero = f32_to_bf16_rn(fmaf(8.0f, p.s, wmin));
  p.z = bf16_to_f32(p.zero);
  p.quantizable = true;
  return p;
}

// q for one value of a quantizable group: clamp(rint((w - z) / s), -8, 7).
W4A16_HD int quantize_value(float w, const GroupParams& p) {
  if (!p.quantizable) return 0;
  const float r = rintf((w - p.z) / p.s);
  return static_cast<int>(fminf(fmaxf(r, static_cast<float>(kQMin)), static_cast<float>(kQMax)));
}

// Two signed nibbles -> one byte: low nibble = even k.
W4A16_HD uint8_t pack_pair(int q_even, int q_odd) {
  return static_cast<uint8_t>((static_cast<unsigned>(q_even) & 0xFu) | ((static_cast<unsigned>(q_odd) & 0xFu) << 4));
}

// Signed nibble (bits 0..3 of v) -> int in [-8, 7].
W4A16_HD int unpack_nibble(unsigned v) { return static_cast<int>((v & 0xFu) ^ 0x8u) - 8; }

// What = bf16_rn(s*q + z), rounded once from the exact value — what the GPU's
// fma.rn.bf16x2 computes.  Host side: s*q is exact in double; p + z is formed
// in double with its exact error (TwoSum), and that error decides the rare
// case where the double sum lands exactly on a bf16 rounding midpoint.
inline uint16_t dequant_value_host(int q, float s, float z) {
  const double p = static_cast<double>(s) * q;
  const double zd = static_cast<double>(z);
  const double v = p + zd;
  if (std::isnan(v)) return kBf16QuietNaN;
  const uint16_t sign = std::signbit(v) ? 0x8000u : 0u;
  if (std::isinf(v)) return static_cast<uint16_t>(sign | 0x7F80u);
  const double bb = v - p;
  const double err = (p - (v - bb)) + (zd - bb);  // exact: s*q + z == v + err
  const double a = std::fabs(v);
  if (a == 0.0) return sign;  // v == 0 only when exact (err == 0); IEEE sign rules as fma
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  // bf16 keeps 8 significant bits for normals (a >= 2^-126), a fixed quantum 2^-133 below.
  const double quantum = (e - 1 >= -126) ? std::ldexp(1.0, e - 8) : std::ldexp(1.0, -133);
  const double t = a / quantum;  // exact: division by a power of two
  const double fl = std::floor(t);
  double r;
  if (t - fl == 0.5 && err != 0.0) {
    const bool away = (err > 0.0) == (v > 0.0);  // exact value lies beyond |v|
    r = (away ? fl + 1.0 : fl) * quantum;
  } else {
    r = std::nearbyint(t) * quantum;  // round half to even (default rounding mode)
  }
  if (r >= std::ldexp(1.0, 128)) return static_cast<uint16_t>(sign | 0x7F80u);
  const float rf = static_cast<float>(r);  // exact: <= 8 significant bits, in float range
  return static_cast<uint16_t>(sign | (float_bits(rf) >> 16));
}

}  // namespace w4a16::quant
