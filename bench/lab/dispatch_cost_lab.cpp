// Host cost of choosing a kernel: the dispatcher's plan computed afresh
// (plan_gemm / plan_packed: the rules, every candidate tile and split scored,
// each reason formatted) against the API's memo of plans
// (dispatch/plan_cache.h), per call, on this machine's CPU.  No GPU needed.
//
//   dispatch_cost_lab [calls per point, default 20000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "dispatch/dispatch.h"
#include "dispatch/plan_cache.h"

namespace {

using w4a16::dispatch::Device;
using w4a16::dispatch::GemmPlan;
using w4a16::dispatch::PackedLayout;
using w4a16::dispatch::Problem;

template <typename F>
double us_per_call(int calls, F&& plan) {
  size_t sink = 0;  // keeps the plans observable
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) sink += plan().reason.size();
  const auto t1 = std::chrono::steady_clock::now();
  if (sink == 0) std::printf("(no reasons)\n");
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20000;
  const Device h100{90, 132};
  struct Shape {
    int M, N, K;
  };
  const Shape shapes[] = {{1, 14336, 4096}, {1, 4096, 4096},  {16, 4096, 14336}, {32, 14336, 4096},
                          {64, 4096, 14336}, {128, 14336, 4096}, {1024, 4096, 4096}};
  std::printf("%5s %6s %6s  %-9s  %12s  %12s\n", "M", "N", "K", "weights", "plan_us", "memo_us");
  for (const Shape& s : shapes) {
    const Problem p{s.M, s.N, s.K, 128, true};
    for (const PackedLayout layout : {PackedLayout::canonical, PackedLayout::sm90_fragment}) {
      const bool packed = layout == PackedLayout::sm90_fragment;
      const double fresh = us_per_call(calls, [&]() -> GemmPlan {
        return packed ? w4a16::dispatch::plan_packed(p, h100) : w4a16::dispatch::plan_gemm(p, h100);
      });
      const double memo = us_per_call(calls, [&] { return w4a16::dispatch::cached_plan(p, h100, layout); });
      std::printf("%5d %6d %6d  %-9s  %12.3f  %12.3f\n", s.M, s.N, s.K, packed ? "packed" : "canonical", fresh,
                  memo);
    }
  }
  return 0;
}
