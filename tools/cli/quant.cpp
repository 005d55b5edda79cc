// `w4a16 quant`: quantization quality of random N(0,1) weights for every
// supported group size, symmetric and with zero points.  Uses the GPU
// quantizer when a GPU is present (and checks it bit for bit against the host
// quantizer), the host quantizer otherwise.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "testutil.h"

namespace w4a16::cli {

int cmd_quant(int argc, char** argv) {
  Args args(argc, argv, 2, {}, {"--N", "--K", "--seed"});
  if (!args.positional().empty()) usage_error("quant takes no positional arguments");
  const int N = args.get_int("--N", 1024, 1, 1 << 20);
  const int K = args.get_int("--K", 4096, 32, 1 << 20);
  if (K % 32 != 0) usage_error("--K must be a multiple of 32");
  if (static_cast<int64_t>(N) * K >= (int64_t{1} << 31)) usage_error("N*K must be below 2^31");
  const uint64_t seed = args.has("--seed") ? args.get_u64("--seed", 0) : testutil::seed_from_env_or_random();

  std::string why;
  const bool gpu = testutil::gpu_available(&why);
  std::string where = "host (w4a16QuantizeHost; no GPU: " + why + ")";
  if (gpu) {
    int dev = 0;
    cudaDeviceProp p{};
    W4A16_CLI_CUDA(cudaGetDevice(&dev));
    W4A16_CLI_CUDA(cudaGetDeviceProperties(&p, dev));
    where = std::string("GPU (") + p.name + "), checked bit-identical to w4a16QuantizeHost";
  }
  std::printf("w4a16 quant: N=%d K=%d weights ~ N(0,1) as bf16, seed %llu, quantized on %s\n", N, K,
              static_cast<unsigned long long>(seed), where.c_str());

  const size_t nk = static_cast<size_t>(N) * K;
  const std::vector<uint16_t> w = random_normal_bf16(nk, seed);

  DeviceBuffer d_w, d_packed, d_scales, d_zeros;
  if (gpu) {
    d_w = DeviceBuffer(nk * 2);
    d_packed = DeviceBuffer(nk / 2);
    // Largest scale/zero array is for the smallest group (32).
    d_scales = DeviceBuffer(nk / 32 * 2);
    d_zeros = DeviceBuffer(nk / 32 * 2);
    W4A16_CLI_CUDA(cudaMemcpy(d_w.get(), w.data(), nk * 2, cudaMemcpyHostToDevice));
  }

  std::vector<int> groups;
  for (int g : {32, 64, 128, 256, K}) {
    if (K % g == 0 && (groups.empty() || groups.back() != g)) groups.push_back(g);
  }

  std::printf("\n%6s  %-10s %8s  %14s  %13s  %14s%s\n", "group", "mode", "bits/w", "rel Frobenius",
              "max |abs err|", "max group rel", gpu ? "  GPU == host" : "");
  bool all_identical = true;
  for (int g : groups) {
    for (bool zeros : {false, true}) {
      const size_t ng = nk / g;
      std::vector<uint8_t> packed(nk / 2);
      std::vector<uint16_t> scales(ng), zs(zeros ? ng : 0);
      check(w4a16QuantizeHost(w.data(), packed.data(), scales.data(), zeros ? zs.data() : nullptr, N, K, g),
            "w4a16QuantizeHost");
      std::string identical;
      if (gpu) {
        check(quantizeWeightToINT4Ex(d_w.get(), d_packed.get(), d_scales.get(), zeros ? d_zeros.get() : nullptr, N,
                                     K, g, nullptr),
              "quantizeWeightToINT4Ex");
        std::vector<uint8_t> g_packed(nk / 2);
        std::vector<uint16_t> g_scales(ng), g_zeros(zeros ? ng : 0);
        W4A16_CLI_CUDA(cudaMemcpy(g_packed.data(), d_packed.get(), nk / 2, cudaMemcpyDeviceToHost));
        W4A16_CLI_CUDA(cudaMemcpy(g_scales.data(), d_scales.get(), ng * 2, cudaMemcpyDeviceToHost));
        if (zeros) W4A16_CLI_CUDA(cudaMemcpy(g_zeros.data(), d_zeros.get(), ng * 2, cudaMemcpyDeviceToHost));
        const bool same = g_packed == packed && g_scales == scales && g_zeros == zs;
        all_identical = all_identical && same;
        identical = same ? "yes" : "NO";
        // Report the quality of what the GPU produced: that is what users ship.
        packed.swap(g_packed);
        scales.swap(g_scales);
        zs.swap(g_zeros);
      }
      w4a16QuantError_t e{};
      check(w4a16QuantizationErrorHost(w.data(), packed.data(), scales.data(), zeros ? zs.data() : nullptr, N, K, g,
                                       &e),
            "w4a16QuantizationErrorHost");
      // Storage per weight: the 4-bit code plus its share of the bf16 scale (and zero).
      const double bits = 4.0 + 16.0 * (zeros ? 2 : 1) / g;
      std::printf("%6d  %-10s %8.3f  %14.6f  %13.6f  %14.6f%s\n", g, zeros ? "zero-point" : "symmetric", bits,
                  e.rel_fro_error, e.max_abs_error, e.max_rel_group, gpu ? ("  " + identical).c_str() : "");
      if (e.nonfinite_groups != 0) {
        std::printf("        %lld of %lld groups had non-finite inputs\n",
                    static_cast<long long>(e.nonfinite_groups), static_cast<long long>(e.groups));
      }
    }
  }
  if (!all_identical) fail("the GPU quantizer is not bit-identical to w4a16QuantizeHost");
  return kExitOk;
}

}  // namespace w4a16::cli
