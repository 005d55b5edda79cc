// What the CUDA calls of an eager forward cost the CPU, one by one, on this
// machine's CPU and driver (the bench's host_us column gives only the sum).
// Each line: microseconds per call, median of 5 batches of `calls` calls.
// Launches are timed in batches of 64 on an idle stream (as the bench's
// host_us), so that the launch queue never makes the host wait.
//
//   host_cost_lab [calls per batch, default 2000]
#include <cuda.h>
#include <cuda_runtime.h>
#include <cudaTypedefs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "lab_check.h"

namespace {

constexpr int kBigSmem = 100 * 1024;  // above the 48 KB default: needs the attribute

__global__ void empty_kernel(int* p) {
  if (p != nullptr && threadIdx.x == 1024) *p = 0;
}

// A kernel parameter the size of CUTLASS's Params (TMA descriptors are 128 B,
// 64 B aligned; the mixed-input GEMM's Params hold four to six of them).
template <int kBytes>
struct alignas(64) BigParams {
  unsigned char bytes[kBytes];
  int* p;
};

template <int kBytes>
__global__ void big_param_kernel(const __grid_constant__ BigParams<kBytes> params) {
  if (params.p != nullptr && threadIdx.x == 1024) *params.p = params.bytes[0];
}

__global__ void big_smem_kernel(int* p) {
  extern __shared__ int smem[];
  if (p != nullptr && threadIdx.x == 1024) *p = smem[0];
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// us per call of `body` (called `calls` times per batch), median of 5 batches;
// `between` runs between batches, untimed.
template <typename F, typename G>
double time_us(int calls, F&& body, G&& between) {
  std::vector<double> us;
  for (int b = 0; b < 5; ++b) {
    between();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) body(i);
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / calls);
  }
  return median(us);
}

// Launch costs: batches of 64 on an idle stream, median over `rounds` batches.
template <typename F>
double launch_us(cudaStream_t s, int rounds, F&& launch) {
  std::vector<double> us;
  for (int r = 0; r < rounds; ++r) {
    CK(cudaStreamSynchronize(s));
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 64; ++i) launch();
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / 64);
  }
  CK(cudaStreamSynchronize(s));
  return median(us);
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2000;
  int device = 0;
  CK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  CK(cudaGetDeviceProperties(&prop, device));
  std::printf("device %d: %s\n", device, prop.name);
  void* buf = nullptr;
  CK(cudaMalloc(&buf, 4096 * 4096 * 2));
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const auto nothing = [] {};
  int sink = 0;

  std::printf("%-58s %8s\n", "call", "us/call");
  std::printf("%-58s %8.3f\n", "cudaGetDevice",
              time_us(calls, [&](int) { int d; sink += cudaGetDevice(&d) == cudaSuccess ? d : 0; }, nothing));
  std::printf("%-58s %8.3f\n", "cudaDeviceGetAttribute (SM count)",
              time_us(calls, [&](int) {
                int v;
                sink += cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, device) == cudaSuccess ? v : 0;
              }, nothing));
  std::printf("%-58s %8.3f\n", "cudaPointerGetAttributes (device pointer)",
              time_us(calls, [&](int i) {
                cudaPointerAttributes a{};
                sink += cudaPointerGetAttributes(&a, static_cast<char*>(buf) + 256 * (i & 63)) == cudaSuccess ? a.device
                                                                                                       : 0;
              }, nothing));
  std::printf("%-58s %8.3f\n", "cudaGetLastError",
              time_us(calls, [&](int) { sink += cudaGetLastError() == cudaSuccess ? 0 : 1; }, nothing));
  std::printf("%-58s %8.3f\n", "cudaFuncSetAttribute (max dynamic smem, 100 KB)",
              time_us(calls, [&](int) {
                sink += cudaFuncSetAttribute(big_smem_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kBigSmem) ==
                                cudaSuccess
                            ? 0
                            : 1;
              }, nothing));

  // CUTLASS's CUTLASS_CUDA_DRIVER_WRAPPER_CALL (cutlass/cuda_host_adapter.hpp,
  // without CUTLASS_ENABLE_DIRECT_CUDA_DRIVER_CALL): one entry-point lookup by
  // name per TMA descriptor, then the encode.
  void* pfn = nullptr;
  cudaDriverEntryPointQueryResult q{};
  std::printf("%-58s %8.3f\n", "cudaGetDriverEntryPointByVersion(cuTensorMapEncodeTiled)",
              time_us(calls, [&](int) {
                sink += cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &pfn, 12000, cudaEnableDefault,
                                                         &q) == cudaSuccess
                            ? 0
                            : 1;
              }, nothing));
  if (pfn == nullptr || q != cudaDriverEntryPointSuccess) {
    std::printf("no cuTensorMapEncodeTiled entry point\n");
    return 1;
  }
  const auto encode = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(pfn);
  CUtensorMap map;
  const cuuint64_t dims[2] = {4096, 4096};
  const cuuint64_t strides[1] = {4096 * 2};
  const cuuint32_t box[2] = {64, 64};
  const cuuint32_t elem[2] = {1, 1};
  std::printf("%-58s %8.3f\n", "cuTensorMapEncodeTiled (bf16 4096^2, box 64x64, 128B swizzle)",
              time_us(calls, [&](int i) {
                sink += encode(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, static_cast<char*>(buf) + 256 * (i & 63), dims,
                               strides, box, elem, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                               CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS
                            ? 0
                            : 1;
              }, nothing));

  const int rounds = std::max(5, calls / 64);
  CK(cudaFuncSetAttribute(big_smem_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kBigSmem));
  std::printf("%-58s %8.3f\n", "launch <<<132, 128>>> empty kernel",
              launch_us(s, rounds, [&] { empty_kernel<<<132, 128, 0, s>>>(nullptr); }));
  cudaLaunchAttribute pdl[1];
  pdl[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  pdl[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = dim3(132);
  cfg.blockDim = dim3(384);
  cfg.stream = s;
  cfg.attrs = pdl;
  cfg.numAttrs = 1;
  int* null_int = nullptr;
  std::printf("%-58s %8.3f\n", "cudaLaunchKernelEx, programmatic, empty kernel",
              launch_us(s, rounds, [&] { CK(cudaLaunchKernelEx(&cfg, empty_kernel, null_int)); }));
  cfg.dynamicSmemBytes = kBigSmem;
  std::printf("%-58s %8.3f\n", "cudaLaunchKernelEx, programmatic, 100 KB smem kernel",
              launch_us(s, rounds, [&] { CK(cudaLaunchKernelEx(&cfg, big_smem_kernel, null_int)); }));
  std::printf("%-58s %8.3f\n", "cudaFuncSetAttribute + the same launch",
              launch_us(s, rounds, [&] {
                CK(cudaFuncSetAttribute(big_smem_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kBigSmem));
                CK(cudaLaunchKernelEx(&cfg, big_smem_kernel, null_int));
              }));
  cfg.dynamicSmemBytes = 0;
  BigParams<1024> p1k{};
  BigParams<2048> p2k{};
  std::printf("%-58s %8.3f\n", "cudaLaunchKernelEx, programmatic, 1 KB parameter",
              launch_us(s, rounds, [&] { CK(cudaLaunchKernelEx(&cfg, big_param_kernel<1024>, p1k)); }));
  std::printf("%-58s %8.3f\n", "cudaLaunchKernelEx, programmatic, 2 KB parameter",
              launch_us(s, rounds, [&] { CK(cudaLaunchKernelEx(&cfg, big_param_kernel<2048>, p2k)); }));
  std::printf("(sink %d)\n", sink);
  CK(cudaStreamDestroy(s));
  CK(cudaFree(buf));
  return 0;
}
