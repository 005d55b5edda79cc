// Host-side helpers shared by the tests (tests/) and the CLI (tools/w4a16_cli):
// bf16 conversion, seeded RNG, fp64 reference GEMM, derived tolerances,
// cuBLAS bf16 baseline, and one end-to-end GPU check used by both
// `ctest` and `w4a16 verify`.  Not part of the installed library API.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace w4a16::testutil {

// ---- bf16 on the host (round-to-nearest-even; NaN stays NaN) -------------
uint16_t f32_to_bf16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f64_to_bf16(double d);  // single rounding from double (for exact-check expectations)

// ---- RNG: deterministic given the seed --------------------------------------
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next_u64();
  double uniform();                 // [0, 1)
  double normal();                  // N(0, 1)
  int uniform_int(int lo, int hi);  // inclusive
 private:
  uint64_t state_;
  double spare_normal_ = 0.0;  // Box-Muller yields two normals; the second is kept here
  bool has_spare_normal_ = false;
};
// W4A16_SEED from the environment if set, else a fresh random seed.  Callers print it.
uint64_t seed_from_env_or_random();

// ---- fp64 reference ---------------------------------------------------------
// ref[m*N+n] = alpha * sum_k X[m,k]*W[n,k] + beta * Y0[m,n]   (Y0 may be null iff beta == 0)
// absref[m*N+n] = |alpha| * sum_k |X[m,k]*W[n,k]| + |beta * Y0[m,n]|   (for the tolerance; the
//                 beta term covers the fp32 rounding of beta*y in the epilogue)
void reference_gemm_fp64(const uint16_t* X, const uint16_t* W, const uint16_t* Y0, int M, int N, int K, double alpha,
                         double beta, std::vector<double>& ref, std::vector<double>& absref);

// Tolerance for a bf16 output of an fp32-accumulated GEMM of exact bf16 products
// (docs/testing.md derives it): |y - ref| <= 2^-8 |ref| + (K + 64) * 2^-24 * absref + 2^-126.
double tolerance(double ref, double absref, int K);

struct CompareResult {
  bool ok = false;
  int64_t checked = 0;
  int64_t bad = 0;         // elements over tolerance (NaN/Inf counts as bad)
  int64_t nonfinite = 0;   // NaN/Inf outputs where the reference is finite
  int64_t first_bad = -1;  // flat index of the first bad element
  double max_abs_err = 0;  // over finite elements
  double max_err_over_tol = 0;
  double rel_fro_err = 0;      // ||y - ref||_F / ||ref||_F
  double first_bad_value = 0;  // output, reference and tolerance at first_bad
  double first_bad_ref = 0;
  double first_bad_tol = 0;
  std::string describe() const;
};
// tol_scale multiplies tolerance() (2.0 when comparing against another approximate result, e.g. cuBLAS).
CompareResult compare(const uint16_t* Y, const std::vector<double>& ref, const std::vector<double>& absref, int K,
                      double tol_scale = 1.0);

// ---- cuBLAS bf16 baseline: Y = alpha * X * W^T + beta * Y, W dequantized bf16 [N,K] --
class CublasBf16 {
 public:
  CublasBf16();  // throws std::runtime_error if cuBLAS cannot be created
  ~CublasBf16();
  CublasBf16(const CublasBf16&) = delete;
  CublasBf16& operator=(const CublasBf16&) = delete;
  // Device pointers; returns false (and fills *err) on a cuBLAS error.
  bool gemm(const void* X, const void* W, void* Y, int M, int N, int K, float alpha, float beta, cudaStream_t stream,
            std::string* err = nullptr);

 private:
  void* handle_ = nullptr;
};

// ---- RAII for device memory and streams (throw std::runtime_error on CUDA errors) --
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);  // bytes == 0 leaves the buffer null
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }
  size_t size() const { return bytes_; }
  unsigned char* bytes() const { return static_cast<unsigned char*>(ptr_); }
  // upload() returns once the data is on the device (visible to every stream); download()
  // is ordered only after the legacy default stream: synchronize other streams first.
  void upload(const void* host, size_t bytes, size_t offset = 0);
  void download(void* host, size_t bytes, size_t offset = 0) const;

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

class CudaStream {
 public:
  CudaStream();  // a non-blocking stream, never the legacy default stream
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

// Throws std::runtime_error("<what>: <cuda error string>") unless err == cudaSuccess.
void cuda_check(cudaError_t err, const char* what);

// Fills a vector with N(0,1) values rounded to bf16.
std::vector<uint16_t> random_bf16_normal(Rng& rng, size_t count);

// ---- GPU availability --------------------------------------------------------
// True if a CUDA device of compute capability >= 8.0 is usable; otherwise fills *why.
bool gpu_available(std::string* why);

// ---- one end-to-end GEMM check ------------------------------------------------
struct GemmCase {
  int M = 1, N = 128, K = 128, group_size = 128;
  bool zeros = true;
  float alpha = 1.0f, beta = 0.0f;
  // Run through w4a16PackWeights + w4a16GemmForwardPacked instead of
  // w4a16GemmForwardEx (the same references and tolerances apply).
  bool packed = false;
  // packed only: w4a16GemmForwardPackedEx with W4A16_FORWARD_OVERLAP_PREVIOUS.
  bool overlap_previous = false;
};
struct GemmCheckReport {
  bool ok = false;
  uint64_t seed = 0;
  std::string what;              // "M=.. N=.. K=.. g=.. zeros=.. alpha=.. beta=.. seed=.."
  CompareResult vs_fp64;         // our kernel vs fp64 reference
  CompareResult cublas_vs_fp64;  // cuBLAS vs the same reference (sanity of the reference)
  CompareResult vs_cublas;       // our kernel vs cuBLAS on the dequantized weights (tol_scale 2)
  std::string error;             // non-empty if a call failed
  std::string mismatch;          // non-empty if a bit-exact requirement failed (quantizer GPU vs host,
                                 // dequantizer GPU vs host, guard region, exact-check output)
  std::string describe() const;
};
// Fresh random N(0,1) weights quantized on the GPU (and checked bit-identical to the
// host quantizer), random activations, random Y0 when beta != 0, output poisoned with
// NaN before the run; runs w4a16GemmForwardEx, the fp64 reference, and cuBLAS.
GemmCheckReport check_gemm(const GemmCase& c, uint64_t seed, CublasBf16& cublas);

// Exact check on small integers: integer activations in [-2,2], integer q, power-of-two
// scales and integer zeros, so that every product and partial sum is exact in fp32; the
// output must equal bf16_rn(exact result) bit for bit.
GemmCheckReport check_gemm_exact(const GemmCase& c, uint64_t seed);

}  // namespace w4a16::testutil
