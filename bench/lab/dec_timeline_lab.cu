// Timeline lab for the packed decode kernel (issue #3): where does a call's
// time go?  The library's `decr` kernel, built here with its lab hook
// (W4A16_DEC_MARK in sm80_dec_gemm.cuh) recording, per warp,
//   point 0  kernel entry
//   point 1  the first k block's weights have arrived (end of the prologue)
//   point 2  the warp's math is done (end of the k loop)
//   point 3  the reduction over the warps along K is done
// as %globaltimer (ns, one clock for all SMs) and clock64 (the SM's cycles).
// The calls run as the benchmark runs them: back to back in a CUDA graph,
// the weights rotating over copies larger than twice the L2, so that the
// timeline of one call sits between the calls before and after it.
// Printed per case: the graph's time per call, then for each point the
// spread over warps relative to the call's first entry, the gap between
// the previous call's last point 3 and this call's first entry, and the
// per-warp cycle counts of the phases.  Graphs:
//   plain  the calls back to back, as the benchmark times them (at least 20
//          per graph); with a folder argument, every warp's marks of the
//          last call and its SM go to <folder>/warps-<shape>-<tile>.csv;
//   empty  an empty kernel before each call (the control for `touch`);
//   touch  before each call, a one-CTA kernel reading one word per 64 KB of
//          the next call's weights: address translations warm, data not
//          (0.05% of the bytes).  If the first weight bytes of a call came
//          sooner after it, their wait in `plain` would be translation misses.
// Then a one-thread probe of load latency: a word of a buffer no kernel has
// touched for a while, a word 64 KB further on (translation now cached,
// data not), and the first word again (an L2 hit).
// The weights' values do not matter to the timing: random, with bit 31 of
// each word clear so that a mark's dependency test (word != 0xFFFFFFFF) is
// never false; scales, zeros and activations positive normal bf16.
// Results and what they showed: bench/results/2026-11-27-h100-decode-timeline/
// and docs/perf-notes.md (fifteenth session).  Built with the tools
// (<build>/bench/lab/dec_timeline_lab, and _nomarks); run on a GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

struct LabMarks {
  unsigned long long* t;  // [copy][warp][point]: globaltimer
  long long* c;           // [copy][warp][point]: clock64
  const uint8_t* wbase;   // first weight copy
  size_t wbytes;          // bytes per weight copy
  int warps;              // warps per call
};
__device__ LabMarks g_lab;

// Each point's clocks are kept in registers (a thread-local array the
// compiler keeps in registers, as every index is a constant) and written
// out only at point 3, so that no mark delays the prologue's loads (the
// first version stored at point 0, and its loads of g_lab and stores
// held back the first weight loads, which may not pass them).  The branch
// on `dep` makes the warp wait for the load that fills it before reading
// the clocks (a volatile read is not hoisted above the branch).
template <int kPoint>
__device__ __forceinline__ void lab_mark(uint32_t dep, const uint8_t* wq, unsigned long long (&t)[4],
                                         long long (&c)[4]) {
  if (dep != 0xFFFFFFFFu) {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t[kPoint]));
    c[kPoint] = clock64();
  }
  if (kPoint == 3 && (threadIdx.x & 31) == 0) {
    const size_t copy = static_cast<size_t>(wq - g_lab.wbase) / g_lab.wbytes;
    const size_t warp = (static_cast<size_t>(blockIdx.z) * gridDim.y + blockIdx.y) * gridDim.x * (blockDim.x / 32) +
                        static_cast<size_t>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
    const size_t i = (copy * g_lab.warps + warp) * 5;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      g_lab.t[i + k] = t[k];
      g_lab.c[i + k] = c[k];
    }
    uint32_t smid;
    asm volatile("mov.u32 %0, %%smid;" : "=r"(smid));
    g_lab.t[i + 4] = smid;
  }
}
// LAB_NO_MARKS (the dec_timeline_lab_nomarks build): the kernels as the
// library builds them, for the graph times only.  The marks cost time: the
// per-call times with them were 1.1-1.8 us above the benchmark's and the
// build without them (bench/results/2026-11-27-h100-decode-timeline/), so
// read the marks' times relative to each other.
#ifndef LAB_NO_MARKS
#define W4A16_DEC_MARK(point, dep) lab_mark<point>(dep, p.wq, lab_t, lab_c)
#define W4A16_DEC_MARK_STATE \
  unsigned long long lab_t[4] = {0, 0, 0, 0}; \
  long long lab_c[4] = {0, 0, 0, 0}
#endif

#include "kernels/sm80/sm80_dec_gemm.cuh"
#include "lab_check.h"

using w4a16::kernels::GemmParams;
using w4a16::kernels::Sm80DecTile;

__global__ void empty_kernel() {}

// One word per 64 KB of [p, p + bytes).
__global__ void touch_kernel(const uint32_t* p, size_t bytes, uint32_t* out) {
  uint32_t acc = 0;
  for (size_t off = threadIdx.x * size_t{65536}; off < bytes; off += blockDim.x * size_t{65536})
    acc ^= __ldcg(p + off / 4);
  if (acc == 0xFFFFFFFFu) out[threadIdx.x] = acc;
}

// Cycles of three dependent loads (see the header).  Each clock read sits
// behind a branch on the loaded word (never taken: the buffer is zero), so
// it waits for the load, as the kernel's marks do.
__global__ void latency_probe(const uint32_t* p, long long* out) {
  long long c[4] = {clock64(), 0, 0, 0};
  const uint32_t v = __ldcg(p);
  if (v != 0xFFFFFFFFu) c[1] = clock64();
  const uint32_t w = __ldcg(p + 16384 + v);
  if (w != 0xFFFFFFFFu) c[2] = clock64();
  const uint32_t u = __ldcg(p + w);
  if (u != 0xFFFFFFFFu) c[3] = clock64();
  out[0] = c[1] - c[0];  // a word of a page no kernel touched lately
  out[1] = c[2] - c[1];  // a word 64 KB on: translation cached, data not
  out[2] = c[3] - c[2];  // the first word again: an L2 hit
}

__global__ void or_words(uint32_t* p, size_t n, uint32_t bits) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    p[i] |= bits;
}

__global__ void fill_random(uint32_t* p, size_t n, uint32_t seed, uint32_t mask) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 0x9E3779B1u ^ seed;
    h ^= h >> 15;
    h *= 0x85EBCA77u;
    h ^= h >> 13;
    p[i] = h & mask;
  }
}

struct Case {
  int M, N, K;
  const char* tile;
};

enum class Mode { plain, empty, touch };

const char* g_csv_dir = nullptr;  // argv[1]: per-warp CSV of each plain case's last call

template <class T>
void run_case(const Case& cs, int sms, Mode mode) {
  const int g = 128;
  const size_t wbytes = static_cast<size_t>(cs.N) * cs.K / 2;
  const size_t pbytes = static_cast<size_t>(cs.N) * (cs.K / g) * 2;
  const int copies = static_cast<int>(std::max<size_t>(4, (200u << 20) / (wbytes + 2 * pbytes) + 1));
  uint8_t *w, *s, *z, *x, *y;
  CK(cudaMalloc(&w, wbytes * copies));
  CK(cudaMalloc(&s, pbytes * copies));
  CK(cudaMalloc(&z, pbytes * copies));
  CK(cudaMalloc(&x, static_cast<size_t>(cs.M) * cs.K * 2));
  CK(cudaMalloc(&y, static_cast<size_t>(cs.M) * cs.N * 2));
  fill_random<<<1024, 256>>>(reinterpret_cast<uint32_t*>(w), wbytes * copies / 4, 1u, 0x7FFFFFFFu);
  // Scales, zeros and activations: positive normal bf16 near 2^-7 (0x3C00
  // | low bits; fill_random ORs nothing, so add the exponent after).
  fill_random<<<1024, 256>>>(reinterpret_cast<uint32_t*>(s), pbytes * copies / 4, 2u, 0x007F007Fu);
  fill_random<<<1024, 256>>>(reinterpret_cast<uint32_t*>(z), pbytes * copies / 4, 3u, 0x007F007Fu);
  fill_random<<<1024, 256>>>(reinterpret_cast<uint32_t*>(x), static_cast<size_t>(cs.M) * cs.K / 2, 4u, 0x007F007Fu);
  or_words<<<1024, 256>>>(reinterpret_cast<uint32_t*>(s), pbytes * copies / 4, 0x3C003C00u);
  or_words<<<1024, 256>>>(reinterpret_cast<uint32_t*>(z), pbytes * copies / 4, 0x3C003C00u);
  or_words<<<1024, 256>>>(reinterpret_cast<uint32_t*>(x), static_cast<size_t>(cs.M) * cs.K / 2, 0x3C003C00u);
  CK(cudaGetLastError());

  const int ctas = (cs.N + T::BN - 1) / T::BN * ((cs.M + T::BM - 1) / T::BM);
  const int warps = ctas * T::kThreads / 32;
  LabMarks marks{};
  CK(cudaMalloc(&marks.t, sizeof(unsigned long long) * 5 * warps * copies));
  CK(cudaMalloc(&marks.c, sizeof(long long) * 5 * warps * copies));
  CK(cudaMemset(marks.t, 0, sizeof(unsigned long long) * 5 * warps * copies));
  marks.wbase = w;
  marks.wbytes = wbytes;
  marks.warps = warps;
  CK(cudaMemcpyToSymbol(g_lab, &marks, sizeof(marks)));

  GemmParams p{};
  p.M = cs.M;
  p.N = cs.N;
  p.K = cs.K;
  p.group_size = g;
  p.groups_per_row = cs.K / g;
  p.group_shift = 7;
  p.alpha = 1.0f;
  p.beta = 0.0f;
  p.split_k = 1;
  p.x = reinterpret_cast<const uint16_t*>(x);
  p.y = reinterpret_cast<uint16_t*>(y);
  const auto params_of = [&](int c) {
    GemmParams q = p;
    q.wq = w + wbytes * c;
    q.scales = reinterpret_cast<const uint16_t*>(s + pbytes * c);
    q.zeros = reinterpret_cast<const uint16_t*>(z + pbytes * c);
    return q;
  };

  cudaStream_t stream;
  CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  // One graph of `copies` calls, each on the next weight copy.
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
  const int launches = copies * ((20 + copies - 1) / copies);  // >= 20, as the benchmark
  for (int l = 0; l < launches; ++l) {
    const int c = l % copies;
    if (mode == Mode::empty) empty_kernel<<<1, 32, 0, stream>>>();
    if (mode == Mode::touch)
      touch_kernel<<<1, 512, 0, stream>>>(reinterpret_cast<const uint32_t*>(w + wbytes * c), wbytes,
                                          reinterpret_cast<uint32_t*>(y));
    CK(w4a16::kernels::launch_sm80_dec_gemm_as<T>(params_of(c), stream));
  }
  CK(cudaStreamEndCapture(stream, &graph));
  CK(cudaGraphInstantiate(&exec, graph, 0));
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  std::vector<float> per_call;
  for (int rep = 0; rep < 7; ++rep) {
    CK(cudaEventRecord(e0, stream));
    CK(cudaGraphLaunch(exec, stream));
    CK(cudaEventRecord(e1, stream));
    CK(cudaEventSynchronize(e1));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    per_call.push_back(1000.0f * ms / launches);
  }
  std::sort(per_call.begin(), per_call.end());
  std::vector<unsigned long long> t(static_cast<size_t>(5) * warps * copies);
  std::vector<long long> c(t.size());
  CK(cudaMemcpy(t.data(), marks.t, t.size() * sizeof(t[0]), cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(c.data(), marks.c, c.size() * sizeof(c[0]), cudaMemcpyDeviceToHost));

  const char* mode_name = mode == Mode::plain   ? "plain"
                          : mode == Mode::empty ? "empty kernel before each call"
                                                : "next weights' translations touched before each call";
  std::printf("\n%d x %d x %d, %s, %s: %d CTAs x %d warps on %d SMs, %d copies; graph %.2f us per call (median of 7)\n",
              cs.M, cs.N, cs.K, cs.tile, mode_name, ctas, T::kThreads / 32, sms, copies, per_call[per_call.size() / 2]);
  // Calls 1 .. copies-1 (call 0 has no predecessor in the replay).
  const auto pct = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(q * (v.size() - 1))];
  };
  std::vector<double> span, gap, first_entry_to_last_entry;
  std::vector<double> rel[4], cyc_head, cyc_body, cyc_tail;
  for (int call = 1; call < copies; ++call) {
    const auto at = [&](int cp, int wi, int pt) { return t[(static_cast<size_t>(cp) * warps + wi) * 5 + pt]; };
    unsigned long long start = ~0ull, last_entry = 0, end = 0, prev_end = 0;
    bool ok = true;
    for (int wi = 0; wi < warps; ++wi) {
      if (at(call, wi, 0) == 0 || at(call, wi, 3) == 0) ok = false;
      start = std::min(start, at(call, wi, 0));
      last_entry = std::max(last_entry, at(call, wi, 0));
      end = std::max(end, at(call, wi, 3));
      prev_end = std::max(prev_end, at(call - 1, wi, 3));
    }
    if (!ok) continue;
    span.push_back((end - start) / 1e3);
    gap.push_back((static_cast<double>(start) - static_cast<double>(prev_end)) / 1e3);
    first_entry_to_last_entry.push_back((last_entry - start) / 1e3);
    for (int wi = 0; wi < warps; ++wi) {
      for (int pt = 0; pt < 4; ++pt)
        if (at(call, wi, pt) != 0) rel[pt].push_back((at(call, wi, pt) - start) / 1e3);
      const auto cy = [&](int pt) { return c[(static_cast<size_t>(call) * warps + wi) * 5 + pt]; };
      if (at(call, wi, 1) != 0 && at(call, wi, 2) != 0) {
        cyc_head.push_back(static_cast<double>(cy(1) - cy(0)));
        cyc_body.push_back(static_cast<double>(cy(2) - cy(1)));
        cyc_tail.push_back(static_cast<double>(cy(3) - cy(2)));
      }
    }
  }
  if (g_csv_dir != nullptr && mode == Mode::plain) {
    char path[512];
    std::snprintf(path, sizeof(path), "%s/warps-%dx%dx%d-%s.csv", g_csv_dir, cs.M, cs.N, cs.K, cs.tile);
    if (FILE* f = std::fopen(path, "w")) {
      const int call = copies - 1;
      const auto at = [&](int wi, int pt) { return t[(static_cast<size_t>(call) * warps + wi) * 5 + pt]; };
      unsigned long long start = ~0ull;
      for (int wi = 0; wi < warps; ++wi) start = std::min(start, at(wi, 0));
      std::fprintf(f, "cta,warp,sm,entry_ns,first_in_ns,math_done_ns,reduced_ns\n");
      for (int wi = 0; wi < warps; ++wi)
        std::fprintf(f, "%d,%d,%llu,%lld,%lld,%lld,%lld\n", wi / (T::kThreads / 32), wi % (T::kThreads / 32), at(wi, 4),
                     static_cast<long long>(at(wi, 0) - start), static_cast<long long>(at(wi, 1) - start),
                     static_cast<long long>(at(wi, 2) - start), static_cast<long long>(at(wi, 3) - start));
      std::fclose(f);
    }
  }
  if (span.empty()) {
    std::printf("  no complete call recorded\n");
    return;
  }
  std::printf("  per call (us, median over %zu calls): entries %.2f .. %.2f, last point 3 at %.2f; gap after the "
              "previous call's last point 3: %.2f\n",
              span.size(), 0.0, pct(first_entry_to_last_entry, 0.5), pct(span, 0.5), pct(gap, 0.5));
  const char* names[4] = {"entry", "first weights in", "math done", "reduction done"};
  std::printf("  %-24s %8s %8s %8s %8s %8s   (us after the call's first entry, over all warps of all calls)\n", "point",
              "min", "p10", "p50", "p90", "max");
  for (int pt = 0; pt < 4; ++pt)
    std::printf("  %-24s %8.2f %8.2f %8.2f %8.2f %8.2f\n", names[pt], pct(rel[pt], 0), pct(rel[pt], 0.1),
                pct(rel[pt], 0.5), pct(rel[pt], 0.9), pct(rel[pt], 1.0));
  std::printf("  %-24s %8s %8s %8s %8s %8s   (SM cycles per warp)\n", "phase", "min", "p10", "p50", "p90", "max");
  const std::vector<double>* ph[3] = {&cyc_head, &cyc_body, &cyc_tail};
  const char* pn[3] = {"entry -> first in", "first in -> math done", "math done -> reduced"};
  for (int i = 0; i < 3; ++i)
    std::printf("  %-24s %8.0f %8.0f %8.0f %8.0f %8.0f\n", pn[i], pct(*ph[i], 0), pct(*ph[i], 0.1), pct(*ph[i], 0.5),
                pct(*ph[i], 0.9), pct(*ph[i], 1.0));
  CK(cudaGraphExecDestroy(exec));
  CK(cudaGraphDestroy(graph));
  CK(cudaStreamDestroy(stream));
  CK(cudaFree(w));
  CK(cudaFree(s));
  CK(cudaFree(z));
  CK(cudaFree(x));
  CK(cudaFree(y));
  CK(cudaFree(marks.t));
  CK(cudaFree(marks.c));
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "-") != 0) g_csv_dir = argv[1];  // "-": no CSV
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("%s, %d SMs, L2 %d MB\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize >> 20);
  const int sms = prop.multiProcessorCount;
  // The tiles the dispatcher runs at these shapes (bench/results/2026-11-27-h100-mid-m-tiles/sweep-c214bf8).
  // The dispatched tiles, two rounds, and on 14336 x 4096 a 16-column tile
  // with 2 warps along K (896 CTAs, 6 or 7 per SM, against 448 n32 CTAs, 3
  // or 4 per SM); then the address-translation check.
  const bool m16_only = argc > 2 && std::strcmp(argv[2], "m16") == 0;
  for (int round = 0; round < 2 && !m16_only; ++round) {
    run_case<Sm80DecTile<8, 32, 4, 1, 2, 4, true>>({1, 14336, 4096, "decr_m8n32k128s2w4"}, sms, Mode::plain);
    run_case<Sm80DecTile<8, 16, 2, 1, 3, 8, true>>({1, 14336, 4096, "decr_m8n16k128s3w2"}, sms, Mode::plain);
    run_case<Sm80DecTile<8, 16, 8, 1, 3, 2, true>>({1, 4096, 14336, "decr_m8n16k128s3w8"}, sms, Mode::plain);
    run_case<Sm80DecTile<8, 16, 8, 1, 3, 2, true>>({1, 4096, 4096, "decr_m8n16k128s3w8"}, sms, Mode::plain);
    run_case<Sm80DecTile<16, 32, 2, 1, 2, 4, true>>({16, 14336, 4096, "decr_m16n32k128s2w2"}, sms, Mode::plain);
  }
  if (!m16_only) {
    run_case<Sm80DecTile<8, 32, 4, 1, 2, 4, true>>({1, 14336, 4096, "decr_m8n32k128s2w4"}, sms, Mode::empty);
    run_case<Sm80DecTile<8, 32, 4, 1, 2, 4, true>>({1, 14336, 4096, "decr_m8n32k128s2w4"}, sms, Mode::touch);
  }
  // "m16": 16-token tiles of 16 columns at 128 registers (16 warps per SM,
  // no spill) against the dispatched 32-column ones (254 registers, 8 warps).
  for (int round = 0; round < 2 && m16_only; ++round) {
    for (int m : {16, 12}) {
      run_case<Sm80DecTile<16, 32, 2, 1, 2, 4, true>>({m, 14336, 4096, "decr_m16n32k128s2w2 (dispatched)"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 2, 1, 2, 8, true>>({m, 14336, 4096, "m16n16 s2 w2 x8"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 4, 1, 2, 4, true>>({m, 14336, 4096, "m16n16 s2 w4 x4"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 8, 1, 2, 2, true>>({m, 14336, 4096, "m16n16 s2 w8 x2"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 32, 8, 1, 2, 1, true>>({m, 4096, 14336, "decr_m16n32k128s2w8 (dispatched)"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 8, 1, 2, 2, true>>({m, 4096, 14336, "m16n16 s2 w8 x2"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 4, 1, 2, 4, true>>({m, 4096, 14336, "m16n16 s2 w4 x4"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 32, 8, 1, 2, 1, true>>({m, 4096, 4096, "decr_m16n32k128s2w8 (dispatched)"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 8, 1, 2, 2, true>>({m, 4096, 4096, "m16n16 s2 w8 x2"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 4, 1, 2, 4, true>>({m, 4096, 4096, "m16n16 s2 w4 x4"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 32, 2, 1, 2, 4, true>>({m, 28672, 8192, "decr_m16n32k128s2w2"}, sms, Mode::plain);
      run_case<Sm80DecTile<16, 16, 2, 1, 2, 8, true>>({m, 28672, 8192, "m16n16 s2 w2 x8"}, sms, Mode::plain);
    }
  }
  if (m16_only) return 0;
  // Latency probe over a fresh 1 GB buffer: 8 probes 128 MB apart.
  uint8_t* buf;
  long long* out;
  CK(cudaMalloc(&buf, size_t{1} << 30));
  CK(cudaMalloc(&out, 3 * sizeof(long long)));
  CK(cudaMemset(buf, 0, size_t{1} << 30));
  // Evict it from L2: stream over another 256 MB.
  uint8_t* other;
  CK(cudaMalloc(&other, size_t{256} << 20));
  CK(cudaMemset(other, 1, size_t{256} << 20));
  std::printf("\nload latency, one thread (SM cycles): cold word | word 64 KB on | L2 hit\n");
  for (int i = 0; i < 8; ++i) {
    latency_probe<<<1, 1>>>(reinterpret_cast<const uint32_t*>(buf + (size_t{128} << 20) * i), out);
    long long h[3];
    CK(cudaMemcpy(h, out, sizeof(h), cudaMemcpyDeviceToHost));
    std::printf("  probe %d: %lld | %lld | %lld\n", i, h[0], h[1], h[2]);
  }
  return 0;
}
