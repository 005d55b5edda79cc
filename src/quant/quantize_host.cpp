#include <algorithm>
#include <cmath>

#include "quant/quant_math.h"
#include "quant/quantize.h"

namespace w4a16::quant {

void quantize_host(const uint16_t* w, uint8_t* packed, uint16_t* scales, uint16_t* zeros, int N, int K,
                   int group_size) {
  const int groups = K / group_size;
  const bool asymmetric = zeros != nullptr;
  for (int n = 0; n < N; ++n) {
    const uint16_t* row = w + static_cast<size_t>(n) * K;
    uint8_t* prow = packed + static_cast<size_t>(n) * (K / 2);
    for (int gi = 0; gi < groups; ++gi) {
      const int k0 = gi * group_size;
      float wmin = INFINITY, wmax = -INFINITY;
      bool nonfinite = false;
      for (int k = k0; k < k0 + group_size; ++k) {
        const float v = bf16_to_f32(row[k]);
        nonfinite |= !is_finite_f32(v);
        wmin = std::fmin(wmin, v);
        wmax = std::fmax(wmax, v);
      }
      const GroupParams gp = group_params(wmin, wmax, nonfinite, asymmetric);
      const size_t gidx = static_cast<size_t>(n) * groups + gi;
      scales[gidx] = gp.scale;
      if (asymmetric) zeros[gidx] = gp.zero;
      for (int k = k0; k < k0 + group_size; k += 2) {
        prow[k / 2] = pack_pair(quantize_value(bf16_to_f32(row[k]), gp), quantize_value(bf16_to_f32(row[k + 1]), gp));
      }
    }
  }
}

void dequantize_host(const uint8_t* packed, const uint16_t* scales, const uint16_t* zeros, uint16_t* out, int N,
                     int K, int group_size) {
  const int groups = K / group_size;
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < K; ++k) {
      const size_t gidx = static_cast<size_t>(n) * groups + k / group_size;
      const uint8_t byte = packed[static_cast<size_t>(n) * (K / 2) + k / 2];
      const int q = unpack_nibble((k & 1) ? (byte >> 4) : byte);
      const float s = bf16_to_f32(scales[gidx]);
      const float z = zeros != nullptr ? bf16_to_f32(zeros[gidx]) : 0.0f;
      out[static_cast<size_t>(n) * K + k] = dequant_value_host(q, s, z);
    }
  }
}

void quantization_error_host(const uint16_t* w, const uint8_t* packed, const uint16_t* scales,
                             const uint16_t* zeros, int N, int K, int group_size, w4a16QuantError_t* result) {
  const int groups = K / group_size;
  double err2 = 0.0, ref2 = 0.0, max_abs = 0.0, max_group = 0.0;
  int64_t nonfinite_groups = 0;
  for (int n = 0; n < N; ++n) {
    for (int gi = 0; gi < groups; ++gi) {
      const size_t gidx = static_cast<size_t>(n) * groups + gi;
      const float s = bf16_to_f32(scales[gidx]);
      const float z = zeros != nullptr ? bf16_to_f32(zeros[gidx]) : 0.0f;
      double gerr2 = 0.0, gref2 = 0.0, gmax = 0.0;
      bool finite = true;
      for (int k = gi * group_size; k < (gi + 1) * group_size; ++k) {
        const double v = bf16_to_f32(w[static_cast<size_t>(n) * K + k]);
        if (!std::isfinite(v)) finite = false;
        const uint8_t byte = packed[static_cast<size_t>(n) * (K / 2) + k / 2];
        const int q = unpack_nibble((k & 1) ? (byte >> 4) : byte);
        const double d = bf16_to_f32(dequant_value_host(q, s, z)) - v;
        gerr2 += d * d;
        gref2 += v * v;
        gmax = std::max(gmax, std::fabs(d));
      }
      if (!finite) {
        ++nonfinite_groups;
        continue;
      }
      max_abs = std::max(max_abs, gmax);
      err2 += gerr2;
      ref2 += gref2;
      if (gref2 > 0.0) max_group = std::max(max_group, std::sqrt(gerr2 / gref2));
    }
  }
  result->rel_fro_error = ref2 > 0.0 ? std::sqrt(err2 / ref2) : 0.0;
  result->max_abs_error = max_abs;
  result->max_rel_group = max_group;
  result->nonfinite_groups = nonfinite_groups;
  result->groups = static_cast<int64_t>(N) * groups;
}

}  // namespace w4a16::quant
