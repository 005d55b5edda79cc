// Memory-side lab for the decode kernel (issue #3): reads the weights (and
// group params) in exactly the decode kernel's pattern -- 16-column CTAs,
// WK warps interleaving 128-deep k blocks, lane (g, t) loading 16 bytes of
// columns 2g and 2g+1, STAGES blocks in flight in registers -- but replaces
// the dequantization and MMAs with one XOR per word.  Its time is the floor
// this access pattern allows, to set against the real kernel's.  Variants:
//   pattern  : the decode kernel's order
//   rotated  : each CTA starts its k walk at a different block (spreads the
//              GPU's concurrent accesses over the row, against channel camping)
//   contiguous: a prepacked order, each (16 columns, 128-deep k block) 1 KB
//              contiguous, so a warp's 16-byte loads cover 512 bytes in a row
//   stream   : a flat grid-stride read of the same bytes (the read roofline),
//              4 x 512 threads per SM, or 1 x 1024 with 4 / 8 loads in flight
//   bulk     : the same bytes through cp.async.bulk into a shared-memory ring
//              (sm_90+; twelfth session, bench/results/2026-11-26-h200-dec-lab/)
// Timing: back-to-back launches between events, median of 7, buffers rotated
// over > 200 MB.  Results: bench/results/2026-11-26-h100-issue3-geometry/.
// Built with the tools (<build>/bench/lab/dec_read_lab); by hand:
//   nvcc -O3 -std=c++17 -arch=sm_90a -Isrc bench/lab/dec_read_lab.cu -o dec_read_lab
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "kernels/common/ptx.cuh"
#include "lab_check.h"

using w4a16::kernels::ptx::ldg_stream_16_keep;  // the decode kernel's own weight load

template <int WK, int STAGES, bool ROTATE, int MINB, bool CONTIG = false>
__global__ void __launch_bounds__(32 * WK, MINB)
    pattern_kernel(const uint8_t* wq, const uint16_t* sc, int N, int K, int G, uint32_t* out) {
  const int lane = threadIdx.x & 31, wk = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int kblocks = K / 128;
  const int my = (kblocks - wk + WK - 1) / WK;
  const int n0 = blockIdx.x * 16 + 2 * g;
  const int rot = ROTATE ? static_cast<int>((blockIdx.x * 7u) % my) : 0;
  // CONTIG: the prepacked order, each (16-column block, k block) 1 KB
  // contiguous, lane l's 32 bytes at 16 l and 512 + 16 l.
  const uint8_t* w0 = CONTIG ? wq + static_cast<size_t>(blockIdx.x) * kblocks * 1024 + 16 * lane
                             : wq + static_cast<size_t>(n0) * (K / 2) + 16 * t;
  const uint8_t* w1 = CONTIG ? w0 + 512 : w0 + K / 2;
  constexpr int kStep = CONTIG ? 1024 : 64;
  uint4 a[STAGES], b[STAGES];
  uint32_t s[STAGES];
  uint32_t acc = 0;
  auto kb_of = [&](int i) { int j = i + rot; j = j >= my ? j - my : j; return wk + WK * j; };
#pragma unroll
  for (int st = 0; st < STAGES; ++st) {
    a[st] = b[st] = make_uint4(0, 0, 0, 0);
    const bool ok = st < my;
    const int kb = kb_of(ok ? st : 0);
    ldg_stream_16_keep(a[st], w0 + kb * kStep, ok);
    ldg_stream_16_keep(b[st], w1 + kb * kStep, ok);
    s[st] = ok ? __ldg(sc + static_cast<size_t>(n0) * G + (kb * 128) / (K / G)) : 0u;
  }
  for (int i = 0; i < my; i += STAGES) {
#pragma unroll
    for (int st = 0; st < STAGES; ++st) {
      if (i + st < my) {
        acc ^= a[st].x ^ a[st].y ^ a[st].z ^ a[st].w ^ b[st].x ^ b[st].y ^ b[st].z ^ b[st].w ^ s[st];
        const int nx = i + st + STAGES;
        const bool ok = nx < my;
        const int kb = kb_of(ok ? nx : 0);
        ldg_stream_16_keep(a[st], w0 + kb * kStep, ok);
        ldg_stream_16_keep(b[st], w1 + kb * kStep, ok);
        s[st] = ok ? __ldg(sc + static_cast<size_t>(n0) * G + (kb * 128) / (K / G)) : 0u;
      }
    }
  }
  if (acc == 0x9E3779B9u) out[blockIdx.x * blockDim.x + threadIdx.x] = acc;
}

// U independent 16-byte loads in flight per thread per iteration (launched
// with up to 1024 threads per CTA).
template <int U>
__global__ void __launch_bounds__(1024) stream_kernel(const uint4* p, size_t n, uint32_t* out) {
  uint32_t acc = 0;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += U * stride) {
    uint4 v[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      v[u] = make_uint4(0, 0, 0, 0);
      ldg_stream_16_keep(v[u], p + i + u * stride, i + u * stride < n);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
  }
  if (acc == 0x9E3779B9u) out[threadIdx.x] = acc;
}

// Bulk-copy streaming (cp.async.bulk, the TMA engine): each CTA reads one
// contiguous range through a ring of STAGES chunks of CHUNK bytes in shared
// memory; thread 0 refills a stage once every thread has read it.  Does a
// copy engine that bypasses the SM's L1 miss tracking read these sizes
// faster than 16-byte loads from registers (`stream`)?
template <int CHUNK, int STAGES>
__global__ void __launch_bounds__(256) bulk_kernel(const uint8_t* p, size_t bytes, uint32_t* out) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900  // bulk copies and tx-count mbarriers: sm_90+
  extern __shared__ __align__(128) uint8_t ring[];
  __shared__ __align__(8) uint64_t full[STAGES];
  const size_t per_cta = (bytes / gridDim.x + CHUNK - 1) / CHUNK * CHUNK;
  const size_t begin = per_cta * blockIdx.x;
  const size_t end = begin + per_cta < bytes ? begin + per_cta : bytes;
  const int chunks = begin < end ? static_cast<int>((end - begin + CHUNK - 1) / CHUNK) : 0;
  const auto issue = [&](int i) {
    const int st = i % STAGES;
    const size_t off = begin + static_cast<size_t>(i) * CHUNK;
    const uint32_t n = static_cast<uint32_t>(end - off < CHUNK ? end - off : CHUNK);
    const uint32_t bar = static_cast<uint32_t>(__cvta_generic_to_shared(&full[st]));
    const uint32_t dst = static_cast<uint32_t>(__cvta_generic_to_shared(ring + st * CHUNK));
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(n) : "memory");
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(dst),
                 "l"(p + off), "r"(n), "r"(bar) : "memory");
  };
  if (threadIdx.x == 0) {
    for (int st = 0; st < STAGES; ++st)
      asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\n" ::"r"(static_cast<uint32_t>(__cvta_generic_to_shared(&full[st]))));
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();
  if (threadIdx.x == 0)
    for (int i = 0; i < STAGES && i < chunks; ++i) issue(i);
  uint32_t acc = 0;
  for (int i = 0; i < chunks; ++i) {
    const int st = i % STAGES;
    const uint32_t parity = (i / STAGES) & 1;
    const uint32_t bar = static_cast<uint32_t>(__cvta_generic_to_shared(&full[st]));
    uint32_t done = 0;
    while (!done)
      asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; selp.u32 %0, 1, 0, p; }\n"
                   : "=r"(done) : "r"(bar), "r"(parity) : "memory");
    acc ^= reinterpret_cast<const uint32_t*>(ring + st * CHUNK)[threadIdx.x];
    __syncthreads();
    if (threadIdx.x == 0 && i + STAGES < chunks) issue(i + STAGES);
  }
  if (acc == 0x9E3779B9u) out[threadIdx.x] = acc;
#endif
}

struct Shape { int N, K; };

template <class F>
float time_us(F&& launch, int copies) {
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  for (int i = 0; i < 3 * copies; ++i) launch(i % copies);
  std::vector<float> v;
  for (int rep = 0; rep < 7; ++rep) {
    const int n = 10 * copies;
    CK(cudaEventRecord(e0));
    for (int i = 0; i < n; ++i) launch(i % copies);
    CK(cudaEventRecord(e1));
    CK(cudaEventSynchronize(e1));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    v.push_back(1000.0f * ms / n);
  }
  std::sort(v.begin(), v.end());
  CK(cudaGetLastError());
  return v[v.size() / 2];
}

template <int WK, int ST, bool ROT, int MINB, bool CONTIG = false>
void run_pattern(const char* name, const Shape& s, std::vector<uint8_t*>& w, std::vector<uint16_t*>& sc, uint32_t* out,
                 double bytes) {
  const int G = s.K / 128;
  const float us = time_us([&](int c) {
    pattern_kernel<WK, ST, ROT, MINB, CONTIG><<<s.N / 16, 32 * WK>>>(w[c], sc[c], s.N, s.K, G, out);
  }, static_cast<int>(w.size()));
  std::printf("  %-28s %8.2f us  %7.1f GB/s\n", name, us, bytes / us / 1e3);
}

template <int CHUNK, int STAGES>
void run_bulk(const char* name, int ctas, const std::vector<uint8_t*>& w, size_t wbytes, uint32_t* out) {
  int major = 0;
  CK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0));
  if (major < 9) return;  // no bulk copies before sm_90
  const int smem = CHUNK * STAGES;
  CK(cudaFuncSetAttribute(bulk_kernel<CHUNK, STAGES>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  const float us = time_us([&](int c) { bulk_kernel<CHUNK, STAGES><<<ctas, 256, smem>>>(w[c], wbytes, out); },
                           static_cast<int>(w.size()));
  std::printf("  %-28s %8.2f us  %7.1f GB/s  (weights only)\n", name, us, wbytes / us / 1e3);
}

int main() {
  CK(cudaFree(nullptr));
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("%s, %d SMs, L2 %d MB\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize >> 20);
  uint32_t* out;
  CK(cudaMalloc(&out, 1 << 24));
  for (const Shape s : {Shape{14336, 4096}, Shape{4096, 14336}, Shape{4096, 4096}, Shape{28672, 8192}}) {
    const size_t wbytes = static_cast<size_t>(s.N) * s.K / 2;
    const size_t sbytes = static_cast<size_t>(s.N) * (s.K / 128) * 2;
    const int copies = static_cast<int>(std::max<size_t>(2, (200u << 20) / (wbytes + sbytes) + 1));
    std::vector<uint8_t*> w(copies);
    std::vector<uint16_t*> sc(copies);
    for (int c = 0; c < copies; ++c) {
      CK(cudaMalloc(&w[c], wbytes));
      CK(cudaMalloc(&sc[c], sbytes));
      CK(cudaMemset(w[c], c + 1, wbytes));
      CK(cudaMemset(sc[c], 0, sbytes));
    }
    const double bytes = static_cast<double>(wbytes + sbytes);
    std::printf("N=%d K=%d: %.1f MB weights + scales, %d copies\n", s.N, s.K, bytes / 1e6, copies);
    const float st = time_us([&](int c) {
      stream_kernel<4><<<prop.multiProcessorCount * 4, 512>>>(reinterpret_cast<const uint4*>(w[c]), wbytes / 16, out);
    }, copies);
    std::printf("  %-28s %8.2f us  %7.1f GB/s  (weights only)\n", "stream 4x512/SM, 4 in flight", st, wbytes / st / 1e3);
    run_bulk<8192, 8>("bulk 8KBx8, 1 CTA/SM", prop.multiProcessorCount, w, wbytes, out);
    run_bulk<16384, 8>("bulk 16KBx8, 1 CTA/SM", prop.multiProcessorCount, w, wbytes, out);
    run_bulk<16384, 12>("bulk 16KBx12, 1 CTA/SM", prop.multiProcessorCount, w, wbytes, out);
    run_bulk<8192, 8>("bulk 8KBx8, 2 CTA/SM", 2 * prop.multiProcessorCount, w, wbytes, out);
    run_bulk<4096, 16>("bulk 4KBx16, 1 CTA/SM", prop.multiProcessorCount, w, wbytes, out);
    {
      const float us = time_us([&](int c) {
        stream_kernel<4><<<prop.multiProcessorCount, 1024>>>(reinterpret_cast<const uint4*>(w[c]), wbytes / 16, out);
      }, copies);
      std::printf("  %-28s %8.2f us  %7.1f GB/s  (weights only)\n", "stream 1x1024/SM, 4 in flight", us, wbytes / us / 1e3);
      const float us8 = time_us([&](int c) {
        stream_kernel<8><<<prop.multiProcessorCount, 1024>>>(reinterpret_cast<const uint4*>(w[c]), wbytes / 16, out);
      }, copies);
      std::printf("  %-28s %8.2f us  %7.1f GB/s  (weights only)\n", "stream 1x1024/SM, 8 in flight", us8, wbytes / us8 / 1e3);
    }
    run_pattern<8, 3, false, 2>("pattern wk8 s3", s, w, sc, out, bytes);
    run_pattern<8, 3, true, 2>("rotated wk8 s3", s, w, sc, out, bytes);
    run_pattern<8, 3, false, 2, true>("contiguous wk8 s3", s, w, sc, out, bytes);
    run_pattern<8, 2, false, 2, true>("contiguous wk8 s2", s, w, sc, out, bytes);
    run_pattern<4, 3, false, 4, true>("contiguous wk4 s3", s, w, sc, out, bytes);
    run_pattern<4, 4, false, 4, true>("contiguous wk4 s4", s, w, sc, out, bytes);
    run_pattern<2, 4, false, 8, true>("contiguous wk2 s4", s, w, sc, out, bytes);
    run_pattern<8, 6, false, 2>("pattern wk8 s6", s, w, sc, out, bytes);
    run_pattern<8, 6, true, 2>("rotated wk8 s6", s, w, sc, out, bytes);
    run_pattern<4, 4, false, 4>("pattern wk4 s4", s, w, sc, out, bytes);
    run_pattern<2, 4, false, 8>("pattern wk2 s4", s, w, sc, out, bytes);
    run_pattern<2, 8, true, 8>("rotated wk2 s8", s, w, sc, out, bytes);
    for (int c = 0; c < copies; ++c) {
      CK(cudaFree(w[c]));
      CK(cudaFree(sc[c]));
    }
  }
  return 0;
}
