// The public C API: argument checks, dispatch, launch.  Everything below
// returns a status; no exception leaves this file (the only throwing calls,
// std::string allocations in the dispatcher, are wrapped).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "core/device_info.h"
#include "core/status.h"
#include "core/validate.h"
#include "dispatch/dispatch.h"
#include "kernels/sm80/sm80_mma_gemm.h"
#include "kernels/sm90/sm90_mixed_gemm.h"
#include "quant/quantize.h"
#include "w4a16/w4a16.h"

namespace w4a16::detail {
namespace {

constexpr size_t kBf16 = 2;

size_t bytes2(int a, int b, size_t elem) { return static_cast<size_t>(a) * static_cast<size_t>(b) * elem; }

dispatch::Problem make_problem(int M, int N, int K, int group_size, bool has_zeros) {
  return dispatch::Problem{M, N, K, group_size, has_zeros};
}

bool log_dispatch_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("W4A16_LOG_DISPATCH");
    return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

// The dispatcher's plan, or the one W4A16_FORCE_CONFIG names (read on every
// call so that a benchmark can switch configurations between calls).
w4a16Status_t make_plan(const char* fn, const dispatch::Problem& problem, const DeviceInfo& dev,
                        dispatch::GemmPlan* plan) {
  const dispatch::Device device{dev.arch(), dev.sm_count};
  const char* forced = std::getenv("W4A16_FORCE_CONFIG");
  if (forced != nullptr && forced[0] != '\0') {
    std::string error;
    if (!dispatch::plan_forced(problem, device, forced, plan, &error)) {
      return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: %s", fn, error.c_str());
    }
    return W4A16_STATUS_SUCCESS;
  }
  *plan = dispatch::plan_gemm(problem, device);
  return W4A16_STATUS_SUCCESS;
}

template <class F>
w4a16Status_t guarded(const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(W4A16_STATUS_INTERNAL_ERROR, "%s: internal error: %s", fn, e.what());
  } catch (...) {
    return fail(W4A16_STATUS_INTERNAL_ERROR, "%s: internal error", fn);
  }
}

w4a16Status_t check_quant_shape_and_pointers(const char* fn, const void* w, const void* packed,
                                             const void* scales, int N, int K, int group_size) {
  W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, w, "bf16_weights"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, packed, "int4_packed"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
  return W4A16_STATUS_SUCCESS;
}

w4a16Status_t gemm_forward(const char* fn, const void* x, const void* wq, const void* scales, const void* zeros,
                           void* y, int M, int N, int K, int group_size, float alpha, float beta, void* workspace,
                           size_t workspace_size, cudaStream_t stream) {
  W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
  W4A16_RETURN_IF_ERROR(check_m(fn, M, N, K));
  if (!std::isfinite(alpha) || !std::isfinite(beta)) {
    return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: alpha = %g and beta = %g must be finite", fn, alpha, beta);
  }
  W4A16_RETURN_IF_ERROR(check_not_null(fn, wq, "int4_packed"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
  if (M == 0) return W4A16_STATUS_SUCCESS;  // empty batch: nothing to read or write
  W4A16_RETURN_IF_ERROR(check_not_null(fn, x, "activation"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, y, "output"));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, x, "activation", 16));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, wq, "int4_packed", 16));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, scales, "scales", 2));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, zeros, "zeros", 2));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, y, "output", 16));

  DeviceInfo dev;
  W4A16_RETURN_IF_ERROR(current_device_info(&dev));
  W4A16_RETURN_IF_ERROR(check_device_pointer(fn, x, "activation", dev.device));
  W4A16_RETURN_IF_ERROR(check_device_pointer(fn, wq, "int4_packed", dev.device));
  W4A16_RETURN_IF_ERROR(check_device_pointer(fn, scales, "scales", dev.device));
  if (zeros != nullptr) W4A16_RETURN_IF_ERROR(check_device_pointer(fn, zeros, "zeros", dev.device));
  W4A16_RETURN_IF_ERROR(check_device_pointer(fn, y, "output", dev.device));

  const size_t y_bytes = bytes2(M, N, kBf16);
  const size_t sz_bytes = bytes2(N, K / group_size, kBf16);
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", x, bytes2(M, K, kBf16), "activation"));
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", wq, bytes2(N, K / 2, 1), "int4_packed"));
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", scales, sz_bytes, "scales"));
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", zeros, sz_bytes, "zeros"));

  const dispatch::Problem problem = make_problem(M, N, K, group_size, zeros != nullptr);
  dispatch::GemmPlan plan;
  W4A16_RETURN_IF_ERROR(make_plan(fn, problem, dev, &plan));
  if (log_dispatch_enabled()) {
    std::fprintf(stderr, "[w4a16] M=%d N=%d K=%d g=%d zeros=%d -> %s\n", M, N, K, group_size, zeros != nullptr,
                 dispatch::describe(plan, problem).c_str());
  }
  if (plan.workspace_bytes > 0) {
    if (workspace == nullptr || workspace_size < plan.workspace_bytes) {
      return fail(W4A16_STATUS_WORKSPACE_TOO_SMALL,
                  "%s: this problem needs %zu bytes of workspace (w4a16GetWorkspaceSize), got %zu at %p", fn,
                  plan.workspace_bytes, workspace == nullptr ? size_t{0} : workspace_size, workspace);
    }
    W4A16_RETURN_IF_ERROR(check_aligned(fn, workspace, "workspace", 16));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, workspace, "workspace", dev.device));
    W4A16_RETURN_IF_ERROR(
        check_no_overlap(fn, workspace, plan.workspace_bytes, "workspace", y, y_bytes, "output"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, workspace, plan.workspace_bytes, "workspace", x,
                                           bytes2(M, K, kBf16), "activation"));
  }

  if (plan.sm90) {
    // Hopper CUTLASS path: group params transposed into the workspace, then
    // the GEMM (two kernels on `stream`, nothing allocated, no host sync).
    char* ws = static_cast<char*>(workspace);
    void* scales_t = ws + plan.scales_t_offset;
    void* zeros_t = ws + plan.zeros_t_offset;
    cudaError_t err = kernels::transpose_group_params(scales, zeros, scales_t, zeros_t, N, K / group_size, stream);
    if (err != cudaSuccess) return fail_cuda(err, fn);
    kernels::Sm90MixedParams sp{};
    sp.x = x;
    sp.wq = wq;
    sp.scales_t = scales_t;
    sp.zeros_t = zeros_t;
    sp.y = y;
    sp.M = M;
    sp.N = N;
    sp.K = K;
    sp.group_size = group_size;
    sp.alpha = alpha;
    sp.beta = beta;
    sp.sm_count = dev.sm_count;
    err = kernels::sm90_mixed_gemm(plan.sm90_config, sp, stream);
    if (err != cudaSuccess) return fail_cuda(err, fn);
    return W4A16_STATUS_SUCCESS;
  }

  kernels::GemmParams params{};
  params.x = static_cast<const uint16_t*>(x);
  params.wq = static_cast<const uint8_t*>(wq);
  params.scales = static_cast<const uint16_t*>(scales);
  params.zeros = static_cast<const uint16_t*>(zeros);
  params.y = static_cast<uint16_t*>(y);
  params.partials = static_cast<float*>(plan.split_k > 1 ? workspace : nullptr);
  params.counters = plan.counters_offset > 0
                        ? reinterpret_cast<unsigned*>(static_cast<char*>(workspace) + plan.counters_offset)
                        : nullptr;
  params.M = M;
  params.N = N;
  params.K = K;
  params.group_size = group_size;
  params.groups_per_row = K / group_size;
  params.group_shift = params.groups_per_row > 1 ? log2_exact(group_size) : 0;
  params.alpha = alpha;
  params.beta = beta;
  params.split_k = plan.split_k;

  const cudaError_t err = kernels::sm80_mma_gemm(plan.config, params, stream);
  if (err != cudaSuccess) return fail_cuda(err, fn);
  return W4A16_STATUS_SUCCESS;
}

}  // namespace
}  // namespace w4a16::detail

using namespace w4a16::detail;

extern "C" {

w4a16Status_t quantizeWeightToINT4Ex(const void* bf16_weights, void* int4_packed, void* scales, void* zeros, int N,
                                     int K, int group_size, cudaStream_t stream) {
  constexpr const char* fn = "quantizeWeightToINT4";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_quant_shape_and_pointers(fn, bf16_weights, int4_packed, scales, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, bf16_weights, "bf16_weights", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, int4_packed, "int4_packed", 16));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, scales, "scales", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, zeros, "zeros", 2));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, bf16_weights, "bf16_weights", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, int4_packed, "int4_packed", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, scales, "scales", dev.device));
    if (zeros != nullptr) W4A16_RETURN_IF_ERROR(check_device_pointer(fn, zeros, "zeros", dev.device));
    const size_t w_bytes = bytes2(N, K, kBf16), p_bytes = bytes2(N, K / 2, 1);
    const size_t sz_bytes = bytes2(N, K / group_size, kBf16);
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, int4_packed, p_bytes, "int4_packed", bf16_weights, w_bytes, "bf16_weights"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, scales, sz_bytes, "scales", bf16_weights, w_bytes, "bf16_weights"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, scales, sz_bytes, "scales", int4_packed, p_bytes, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, zeros, sz_bytes, "zeros", bf16_weights, w_bytes, "bf16_weights"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, zeros, sz_bytes, "zeros", int4_packed, p_bytes, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, zeros, sz_bytes, "zeros", scales, sz_bytes, "scales"));
    const cudaError_t err = w4a16::quant::launch_quantize(
        static_cast<const uint16_t*>(bf16_weights), static_cast<uint8_t*>(int4_packed),
        static_cast<uint16_t*>(scales), static_cast<uint16_t*>(zeros), N, K, group_size, stream);
    return err == cudaSuccess ? W4A16_STATUS_SUCCESS : fail_cuda(err, fn);
  });
}

w4a16Status_t quantizeWeightToINT4(const void* bf16_weights, void* int4_packed, void* scales, void* zeros, int N,
                                   int K, int group_size, cudaStream_t stream) {
  return quantizeWeightToINT4Ex(bf16_weights, int4_packed, scales, zeros, N, K, group_size, stream);
}

w4a16Status_t w4a16QuantizeHost(const uint16_t* bf16_weights, uint8_t* int4_packed, uint16_t* scales,
                                uint16_t* zeros, int N, int K, int group_size) {
  constexpr const char* fn = "w4a16QuantizeHost";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_quant_shape_and_pointers(fn, bf16_weights, int4_packed, scales, N, K, group_size));
    w4a16::quant::quantize_host(bf16_weights, int4_packed, scales, zeros, N, K, group_size);
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16DequantizeToBF16(const void* int4_packed, const void* scales, const void* zeros, void* bf16_out,
                                    int N, int K, int group_size, cudaStream_t stream) {
  constexpr const char* fn = "w4a16DequantizeToBF16";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, int4_packed, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, bf16_out, "bf16_out"));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, int4_packed, "int4_packed", 16));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, scales, "scales", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, zeros, "zeros", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, bf16_out, "bf16_out", 4));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, int4_packed, "int4_packed", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, scales, "scales", dev.device));
    if (zeros != nullptr) W4A16_RETURN_IF_ERROR(check_device_pointer(fn, zeros, "zeros", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, bf16_out, "bf16_out", dev.device));
    const size_t o_bytes = bytes2(N, K, kBf16), sz_bytes = bytes2(N, K / group_size, kBf16);
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, bf16_out, o_bytes, "bf16_out", int4_packed, bytes2(N, K / 2, 1), "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, bf16_out, o_bytes, "bf16_out", scales, sz_bytes, "scales"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, bf16_out, o_bytes, "bf16_out", zeros, sz_bytes, "zeros"));
    const cudaError_t err = w4a16::quant::launch_dequantize(
        static_cast<const uint8_t*>(int4_packed), static_cast<const uint16_t*>(scales),
        static_cast<const uint16_t*>(zeros), static_cast<uint16_t*>(bf16_out), N, K, group_size, stream);
    return err == cudaSuccess ? W4A16_STATUS_SUCCESS : fail_cuda(err, fn);
  });
}

w4a16Status_t w4a16DequantizeHost(const uint8_t* int4_packed, const uint16_t* scales, const uint16_t* zeros,
                                  uint16_t* bf16_out, int N, int K, int group_size) {
  constexpr const char* fn = "w4a16DequantizeHost";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, int4_packed, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, bf16_out, "bf16_out"));
    w4a16::quant::dequantize_host(int4_packed, scales, zeros, bf16_out, N, K, group_size);
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16QuantizationErrorHost(const uint16_t* bf16_weights, const uint8_t* int4_packed,
                                         const uint16_t* scales, const uint16_t* zeros, int N, int K,
                                         int group_size, w4a16QuantError_t* result) {
  constexpr const char* fn = "w4a16QuantizationErrorHost";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_quant_shape_and_pointers(fn, bf16_weights, int4_packed, scales, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, result, "result"));
    w4a16::quant::quantization_error_host(bf16_weights, int4_packed, scales, zeros, N, K, group_size, result);
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16GetWorkspaceSize(int M, int N, int K, int group_size, int has_zeros, size_t* workspace_size) {
  constexpr const char* fn = "w4a16GetWorkspaceSize";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_not_null(fn, workspace_size, "workspace_size"));
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_m(fn, M, N, K));
    if (M == 0) {
      *workspace_size = 0;
      return W4A16_STATUS_SUCCESS;
    }
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    w4a16::dispatch::GemmPlan plan;
    W4A16_RETURN_IF_ERROR(make_plan(fn, make_problem(M, N, K, group_size, has_zeros != 0), dev, &plan));
    *workspace_size = plan.workspace_bytes;
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16GemmForwardEx(const void* activation, const void* int4_packed, const void* scales,
                                 const void* zeros, void* output, int M, int N, int K, int group_size, float alpha,
                                 float beta, void* workspace, size_t workspace_size, cudaStream_t stream) {
  constexpr const char* fn = "w4a16GemmForward";
  return guarded(fn, [&]() {
    return gemm_forward(fn, activation, int4_packed, scales, zeros, output, M, N, K, group_size, alpha, beta,
                        workspace, workspace_size, stream);
  });
}

w4a16Status_t w4a16GemmForward(const void* activation, const void* int4_packed, const void* scales,
                               const void* zeros, void* output, int M, int N, int K, float alpha, float beta,
                               void* workspace, size_t workspace_size, cudaStream_t stream) {
  return w4a16GemmForwardEx(activation, int4_packed, scales, zeros, output, M, N, K, W4A16_DEFAULT_GROUP_SIZE,
                            alpha, beta, workspace, workspace_size, stream);
}

w4a16Status_t w4a16DescribeDispatch(int M, int N, int K, int group_size, int has_zeros, char* buffer,
                                    size_t buffer_size) {
  constexpr const char* fn = "w4a16DescribeDispatch";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_not_null(fn, buffer, "buffer"));
    if (buffer_size == 0) return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: buffer_size is 0", fn);
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_m(fn, M, N, K));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    const auto problem = make_problem(M, N, K, group_size, has_zeros != 0);
    std::string text = "M = 0: no-op";
    if (M > 0) {
      w4a16::dispatch::GemmPlan plan;
      W4A16_RETURN_IF_ERROR(make_plan(fn, problem, dev, &plan));
      text = w4a16::dispatch::describe(plan, problem);
    }
    std::snprintf(buffer, buffer_size, "%s", text.c_str());
    return W4A16_STATUS_SUCCESS;
  });
}

}  // extern "C"
