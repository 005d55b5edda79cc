// `w4a16 info` and `w4a16 dispatch`.
#include <cctype>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <cublas_v2.h>

#include "cli.h"
#include "testutil.h"

#ifndef W4A16_BUILT_ARCHS
#define W4A16_BUILT_ARCHS "unknown"
#endif

namespace w4a16::cli {
namespace {

std::string cuda_version_string(int v) { return format("%d.%d", v / 1000, (v % 1000) / 10); }

// One entry of CMake's CUDA_ARCHITECTURES list, e.g. "90a-real" or "80".
struct BuiltArch {
  int number = 0;       // 90
  std::string suffix;   // "a", "f" or ""
  bool sass = true;     // "-real" or plain
  bool ptx = true;      // "-virtual" or plain
};

std::vector<BuiltArch> parse_built_archs(const std::string& list) {
  std::vector<BuiltArch> out;
  std::istringstream in(list);
  std::string tok;
  while (in >> tok) {
    BuiltArch a;
    size_t i = 0;
    while (i < tok.size() && std::isdigit(static_cast<unsigned char>(tok[i]))) a.number = a.number * 10 + (tok[i++] - '0');
    if (i == 0) continue;
    while (i < tok.size() && std::isalpha(static_cast<unsigned char>(tok[i]))) a.suffix += tok[i++];
    std::string rest = tok.substr(i);
    if (rest == "-real") a.ptx = false;
    if (rest == "-virtual") a.sass = false;
    out.push_back(a);
  }
  return out;
}

// Which of the embedded images the driver can load on a device of this compute
// capability, following CUDA's compatibility rules: SASS runs on the same major
// version with an equal or higher minor ("a" variants only on the exact one),
// PTX is JIT-compiled for any equal or newer device.
std::string loadable_images(int cc) {
  std::string sass, ptx;
  for (const BuiltArch& a : parse_built_archs(W4A16_BUILT_ARCHS)) {
    const bool exact_only = a.suffix == "a";
    const bool same_family = a.number / 10 == cc / 10 && a.number <= cc;
    if (a.sass && (exact_only ? a.number == cc : same_family)) {
      sass += (sass.empty() ? "" : ", ") + format("sm_%d%s", a.number, a.suffix.c_str());
    }
    if (a.ptx && (exact_only ? a.number == cc : a.number <= cc)) {
      ptx += (ptx.empty() ? "" : ", ") + format("compute_%d%s", a.number, a.suffix.c_str());
    }
  }
  if (!sass.empty()) return "SASS " + sass + (ptx.empty() ? "" : " (+ PTX " + ptx + ")");
  if (!ptx.empty()) return "PTX " + ptx + " only (JIT-compiled by the driver at first use)";
  return "none (calls will fail with W4A16_STATUS_UNSUPPORTED_GPU)";
}

}  // namespace

int cmd_info(int argc, char** argv) {
  Args args(argc, argv, 2, {}, {});
  if (!args.positional().empty()) usage_error("info takes no arguments");

  int cublas_major = 0, cublas_minor = 0, cublas_patch = 0;
  cublasGetProperty(MAJOR_VERSION, &cublas_major);
  cublasGetProperty(MINOR_VERSION, &cublas_minor);
  cublasGetProperty(PATCH_LEVEL, &cublas_patch);
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  std::printf("w4a16 library %s, built for CUDA archs: %s\n", w4a16VersionString(), W4A16_BUILT_ARCHS);
  std::printf("CUDA runtime %s, cuBLAS %d.%d.%d\n", cuda_version_string(runtime).c_str(), cublas_major,
              cublas_minor, cublas_patch);

  int driver = 0;
  cudaError_t derr = cudaDriverGetVersion(&driver);
  if (derr == cudaSuccess && driver > 0) {
    std::printf("CUDA driver supports up to CUDA %s\n", cuda_version_string(driver).c_str());
  }
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    std::string why = err != cudaSuccess ? std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err)
                                         : std::string("no devices found");
    cudaGetLastError();
    throw CliError(kExitNoGpu, "w4a16 info: no CUDA GPU available (" + why + ")");
  }

  for (int dev = 0; dev < count; ++dev) {
    cudaDeviceProp p{};
    W4A16_CLI_CUDA(cudaGetDeviceProperties(&p, dev));
    W4A16_CLI_CUDA(cudaSetDevice(dev));
    size_t free_bytes = 0, total_bytes = 0;
    W4A16_CLI_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
    int clock_khz = 0, mem_clock_khz = 0;
    cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, dev);
    cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, dev);
    const int cc = p.major * 10 + p.minor;

    std::printf("\ndevice %d: %s\n", dev, p.name);
    std::printf("  compute capability   %d.%d%s\n", p.major, p.minor,
                cc >= 80 ? "" : "  (w4a16 needs 8.0 or newer)");
    std::printf("  multiprocessors      %d, max clock %.0f MHz\n", p.multiProcessorCount, clock_khz / 1000.0);
    std::printf("  L2 cache             %s (persisting max %s)\n", human_bytes(p.l2CacheSize).c_str(),
                human_bytes(p.persistingL2CacheMaxSize).c_str());
    std::printf("  shared memory        %s per SM, %s per block (opt-in)\n",
                human_bytes(static_cast<double>(p.sharedMemPerMultiprocessor)).c_str(),
                human_bytes(static_cast<double>(p.sharedMemPerBlockOptin)).c_str());
    std::printf("  global memory        %s total, %s free, %d-bit bus at %.0f MHz (peak %.0f GB/s)\n",
                human_bytes(static_cast<double>(total_bytes)).c_str(),
                human_bytes(static_cast<double>(free_bytes)).c_str(), p.memoryBusWidth, mem_clock_khz / 1000.0,
                2.0 * mem_clock_khz * 1e3 * (p.memoryBusWidth / 8) / 1e9);
    std::printf("  ECC                  %s\n", p.ECCEnabled ? "on" : "off");
    std::printf("  PCI                  %04x:%02x:%02x\n", p.pciDomainID, p.pciBusID, p.pciDeviceID);
    std::printf("  w4a16 kernel images  %s\n", loadable_images(cc).c_str());
  }
  return kExitOk;
}

int cmd_dispatch(int argc, char** argv) {
  Args args(argc, argv, 2, {"--sym", "--packed"}, {"--group"});
  if (args.positional().size() != 3) usage_error("dispatch needs M N K");
  const int M = parse_int(args.positional()[0], "M", 0, 1 << 30);
  const int N = parse_int(args.positional()[1], "N", 1, 1 << 30);
  const int K = parse_int(args.positional()[2], "K", 1, 1 << 30);
  const int group = args.get_int("--group", W4A16_DEFAULT_GROUP_SIZE, 1, 1 << 30);
  const int has_zeros = args.has("--sym") ? 0 : 1;
  require_gpu("dispatch", "; the dispatch depends on the device");

  char buffer[1024];
  size_t workspace = 0;
  size_t pack_bytes = 0;
  if (args.has("--packed")) {
    // The plan of w4a16GemmForwardPacked depends on the pack's layout, which
    // w4a16PackWeights decides: pack all-zero weights of this shape (the
    // values do not matter to the dispatcher) and ask about the pack.
    check(w4a16GetPackedWeightsSize(N, K, group, has_zeros, &pack_bytes), "w4a16GetPackedWeightsSize");
    const size_t params = static_cast<size_t>(N) * (K / group) * 2;
    DeviceBuffer q(static_cast<size_t>(N) * K / 2), scales(params), zeros(has_zeros ? params : 0), pack(pack_bytes);
    W4A16_CLI_CUDA(cudaMemset(q.get(), 0, q.size()));
    W4A16_CLI_CUDA(cudaMemset(scales.get(), 0, scales.size()));
    if (has_zeros) W4A16_CLI_CUDA(cudaMemset(zeros.get(), 0, zeros.size()));
    w4a16PackedWeights pw{};
    check(w4a16PackWeights(q.get(), scales.get(), zeros.get(), N, K, group, pack.get(), pack_bytes, &pw, nullptr),
          "w4a16PackWeights");
    W4A16_CLI_CUDA(cudaDeviceSynchronize());
    check(w4a16DescribeDispatchPacked(M, &pw, buffer, sizeof buffer), "w4a16DescribeDispatchPacked");
    check(w4a16GetWorkspaceSizePacked(M, &pw, &workspace), "w4a16GetWorkspaceSizePacked");
  } else {
    check(w4a16DescribeDispatch(M, N, K, group, has_zeros, buffer, sizeof buffer), "w4a16DescribeDispatch");
    check(w4a16GetWorkspaceSize(M, N, K, group, has_zeros, &workspace), "w4a16GetWorkspaceSize");
  }
  int dev = 0;
  cudaDeviceProp p{};
  W4A16_CLI_CUDA(cudaGetDevice(&dev));
  W4A16_CLI_CUDA(cudaGetDeviceProperties(&p, dev));
  std::printf("problem    M=%d N=%d K=%d group=%d %s\n", M, N, K, group, has_zeros ? "zero-point" : "symmetric");
  std::printf("device     %s (%d SMs)\n", p.name, p.multiProcessorCount);
  std::printf("dispatch   %s\n", buffer);
  if (pack_bytes > 0)
    std::printf("pack       %zu bytes (%s)\n", pack_bytes, human_bytes(static_cast<double>(pack_bytes)).c_str());
  std::printf("workspace  %zu bytes (%s)\n", workspace, human_bytes(static_cast<double>(workspace)).c_str());
  return kExitOk;
}

}  // namespace w4a16::cli
