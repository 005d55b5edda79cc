// Quantizer and dequantizer implementations (arguments already validated by
// src/api).  The host and GPU versions share quant_math.h and are
// bit-identical.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "w4a16/w4a16.h"

namespace w4a16::quant {

cudaError_t launch_quantize(const uint16_t* w, uint8_t* packed, uint16_t* scales, uint16_t* zeros, int N, int K,
                            int group_size, cudaStream_t stream);
cudaError_t launch_dequantize(const uint8_t* packed, const uint16_t* scales, const uint16_t* zeros, uint16_t* out,
                              int N, int K, int group_size, cudaStream_t stream);

void quantize_host(const uint16_t* w, uint8_t* packed, uint16_t* scales, uint16_t* zeros, int N, int K,
                   int group_size);
void dequantize_host(const uint8_t* packed, const uint16_t* scales, const uint16_t* zeros, uint16_t* out, int N,
                     int K, int group_size);
void quantization_error_host(const uint16_t* w, const uint8_t* packed, const uint16_t* scales,
                             const uint16_t* zeros, int N, int K, int group_size, w4a16QuantError_t* result);

}  // namespace w4a16::quant
