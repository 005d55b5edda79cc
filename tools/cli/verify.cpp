// `w4a16 verify`: end-to-end GEMM checks (testutil::check_gemm against an fp64
// reference and cuBLAS, testutil::check_gemm_exact bit for bit) over a fixed
// list of shapes chosen to hit every dispatch regime: decode-sized M (1..17),
// M not a multiple of any tile, N with partial tiles, every group size, the
// long-K shapes with many groups (K=7392 g=32, K=10944 g=64), zero points on and
// off, and alpha/beta variants.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli.h"
#include "testutil.h"

namespace w4a16::cli {
namespace {

struct VerifyCase {
  testutil::GemmCase gemm;
  bool exact = false;
  bool quick = false;  // part of the --quick subset
};

VerifyCase make_case(int M, int N, int K, int g, bool zeros, float alpha = 1.0f, float beta = 0.0f,
                     bool exact = false, bool quick = false) {
  VerifyCase c;
  c.gemm.M = M;
  c.gemm.N = N;
  c.gemm.K = K;
  c.gemm.group_size = g;
  c.gemm.zeros = zeros;
  c.gemm.alpha = alpha;
  c.gemm.beta = beta;
  c.exact = exact;
  c.quick = quick;
  return c;
}

// Sizes are kept so that the host fp64 reference (M*N*K multiply-adds) stays
// around a second per case at most.
std::vector<VerifyCase> build_cases() {
  std::vector<VerifyCase> cases;

  // Every M from 1 to 17 (the small-M / split-K regime and the first partial
  // 16-row tile), cycling through N with partial tiles and all group sizes.
  struct NKG {
    int N, K, g;
    bool zeros;
  };
  const NKG small_m[] = {{264, 384, 128, true}, {200, 512, 256, false}, {128, 256, 32, true},
                         {72, 1024, 64, false}, {520, 160, 160, true}};
  for (int M = 1; M <= 17; ++M) {
    const NKG& s = small_m[(M - 1) % 5];
    const bool quick = M == 1 || M == 2 || M == 7 || M == 16 || M == 17;
    cases.push_back(make_case(M, s.N, s.K, s.g, s.zeros, 1.0f, 0.0f, false, quick));
  }

  // Decode shapes of real models (wide N, long K: the split-K paths).
  cases.push_back(make_case(1, 4096, 7392, 32, true, 1.0f, 0.0f, false, true));
  cases.push_back(make_case(3, 4096, 14336, 128, false));
  cases.push_back(make_case(8, 4096, 4096, 128, true));
  cases.push_back(make_case(16, 512, 10944, 64, true));
  cases.push_back(make_case(16, 14336, 4096, 128, true));

  // Larger M, not a multiple of any tile.
  cases.push_back(make_case(33, 136, 7392, 32, true, 1.0f, 0.0f, false, true));
  cases.push_back(make_case(33, 264, 4096, 4096, false));
  cases.push_back(make_case(127, 192, 10944, 64, false, 1.0f, 0.0f, false, true));
  cases.push_back(make_case(127, 1024, 4096, 128, true));
  cases.push_back(make_case(255, 384, 2048, 128, true, 1.0f, 0.0f, false, true));
  cases.push_back(make_case(255, 520, 256, 256, false));
  cases.push_back(make_case(1000, 1000, 1024, 256, true));
  cases.push_back(make_case(1000, 72, 7392, 32, false));

  // alpha / beta (beta != 0 reads Y; alpha == 0 must still give beta * Y).
  cases.push_back(make_case(5, 256, 512, 128, true, 0.5f, 0.0f, false, true));
  cases.push_back(make_case(16, 384, 1024, 64, true, 1.0f, 1.0f, false, true));
  cases.push_back(make_case(33, 200, 2048, 128, false, -2.0f, 0.5f));
  cases.push_back(make_case(127, 264, 512, 32, true, 1.5f, -1.0f));
  cases.push_back(make_case(1, 1024, 4096, 128, true, 0.0f, 1.0f));
  cases.push_back(make_case(1000, 128, 256, 256, true, 1.0f, 0.25f));

  // Bit-exact checks (small-integer data: every partial sum exact in fp32).
  cases.push_back(make_case(1, 128, 256, 128, true, 1.0f, 0.0f, true, true));
  cases.push_back(make_case(16, 264, 1024, 64, false, 1.0f, 0.0f, true));
  cases.push_back(make_case(33, 200, 7392, 32, true, 1.0f, 0.0f, true, true));
  cases.push_back(make_case(127, 136, 10944, 64, true, 1.0f, 0.0f, true));
  cases.push_back(make_case(255, 512, 512, 512, false, 2.0f, 0.0f, true, true));
  cases.push_back(make_case(1000, 256, 512, 256, true, 1.0f, 1.0f, true));

  // Packed weights (w4a16PackWeights + w4a16GemmForwardPacked): the packed
  // decode kernels and the Hopper `_rp` configurations on sm_90, the
  // canonical copy elsewhere and for g = 64.
  const size_t first_packed = cases.size();
  cases.push_back(make_case(1, 4096, 4096, 128, true, 1.0f, 0.0f, false, true));
  cases.push_back(make_case(16, 1040, 1056, 1056, false, 1.0f, 0.0f, false, true));
  cases.push_back(make_case(33, 528, 4096, 128, true, 0.5f, 1.0f, false, true));
  cases.push_back(make_case(255, 1024, 2048, 256, true));
  cases.push_back(make_case(7, 1024, 2048, 64, true));
  cases.push_back(make_case(9, 1040, 2176, 128, true, 1.0f, 0.0f, true, true));
  cases.push_back(make_case(130, 528, 1056, 1056, false, 2.0f, 1.0f, true));
  for (size_t i = first_packed; i < cases.size(); ++i) cases[i].gemm.packed = true;
  return cases;
}

// Per-case seeds derived from the base seed and the case index, so that
// `--seed S --case I` reproduces case I of a full run exactly.
uint64_t case_seed(uint64_t base, size_t index) {
  uint64_t z = base + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

int cmd_verify(int argc, char** argv) {
  Args args(argc, argv, 2, {"--quick"}, {"--seed", "--case"});
  if (!args.positional().empty()) usage_error("verify takes no positional arguments");
  const bool quick = args.has("--quick");
  const std::vector<VerifyCase> cases = build_cases();
  const int only = args.get_int("--case", 0, 1, static_cast<int>(cases.size()));
  require_gpu("verify", "; nothing to verify");

  const uint64_t base_seed = args.has("--seed") ? args.get_u64("--seed", 0) : testutil::seed_from_env_or_random();
  std::printf("w4a16 verify: base seed %llu (reproduce with --seed %llu)%s\n",
              static_cast<unsigned long long>(base_seed), static_cast<unsigned long long>(base_seed),
              quick ? ", quick subset" : "");
  std::fflush(stdout);

  testutil::CublasBf16 cublas;
  std::vector<size_t> selected;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (only != 0 ? static_cast<int>(i) + 1 == only : (!quick || cases[i].quick)) selected.push_back(i);
  }

  int passed = 0, failed = 0;
  const int total = static_cast<int>(cases.size());
  for (size_t i : selected) {
    const VerifyCase& vc = cases[i];
    const uint64_t seed = case_seed(base_seed, i);
    testutil::GemmCheckReport r;
    try {
      r = vc.exact ? testutil::check_gemm_exact(vc.gemm, seed) : testutil::check_gemm(vc.gemm, seed, cublas);
    } catch (const std::exception& e) {
      r.ok = false;
      r.seed = seed;
      r.error = std::string("exception: ") + e.what();
    }
    if (r.what.empty()) {
      r.what = format("M=%d N=%d K=%d g=%d zeros=%d alpha=%g beta=%g seed=%llu", vc.gemm.M, vc.gemm.N, vc.gemm.K,
                      vc.gemm.group_size, vc.gemm.zeros ? 1 : 0, vc.gemm.alpha, vc.gemm.beta,
                      static_cast<unsigned long long>(seed));
    }
    // check_gemm_exact's description already starts with "exact".
    if (r.what.compare(0, 6, "exact ") == 0) r.what.erase(0, 6);
    std::string ratios = format("err/tol %.3f", r.vs_fp64.max_err_over_tol);
    if (!vc.exact) ratios += format(", cuBLAS err/tol %.3f", r.cublas_vs_fp64.max_err_over_tol);
    std::printf("[%2zu/%d] %s  %-5s %s  %s\n", i + 1, total, r.ok ? "PASS" : "FAIL", vc.exact ? "exact" : "gemm",
                r.what.c_str(), ratios.c_str());
    if (r.ok) {
      ++passed;
    } else {
      ++failed;
      std::printf("        %s\n", r.error.empty() ? r.describe().c_str() : r.error.c_str());
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace w4a16::cli
