#include "testutil.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "w4a16/w4a16.h"

namespace w4a16::testutil {

// ---- bf16 -------------------------------------------------------------------

namespace {
constexpr uint16_t kBf16QuietNaN = 0x7FC0;

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
}  // namespace

uint16_t f32_to_bf16(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // quiet NaN
  // Round to nearest even on the 16 dropped bits; a carry into the exponent
  // correctly produces the next binade or +-Inf.
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float bf16_to_f32(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

uint16_t f64_to_bf16(double d) {
  if (std::isnan(d)) return std::signbit(d) ? static_cast<uint16_t>(0x8000u | kBf16QuietNaN) : kBf16QuietNaN;
  const uint16_t sign = std::signbit(d) ? 0x8000u : 0u;
  const double a = std::fabs(d);
  if (std::isinf(a)) return static_cast<uint16_t>(sign | 0x7F80u);
  if (a == 0.0) return sign;
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  // bf16 keeps 8 significant bits down to 2^-126, then a fixed quantum of 2^-133 (subnormals).
  const double quantum = std::ldexp(1.0, std::max(e - 8, -133));
  const double r = std::nearbyint(a / quantum) * quantum;  // a / quantum is exact; nearbyint rounds half to even
  if (r >= std::ldexp(1.0, 128)) return static_cast<uint16_t>(sign | 0x7F80u);
  // r has at most 8 significant bits and lies in float range, so the conversion is exact.
  return static_cast<uint16_t>(sign | (float_bits(static_cast<float>(r)) >> 16));
}

// ---- RNG (splitmix64) ---------------------------------------------------------

Rng::Rng(uint64_t seed) : state_(seed) {}

uint64_t Rng::next_u64() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double u1 = 1.0 - uniform();  // (0, 1]: log() stays finite
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * M_PI * u2;
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

int Rng::uniform_int(int lo, int hi) {
  const uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(hi) - lo + 1);
  // Multiply-shift maps 64 random bits onto [0, range) with negligible bias.
  const uint64_t offset = static_cast<uint64_t>((static_cast<unsigned __int128>(next_u64()) * range) >> 64);
  return static_cast<int>(lo + static_cast<int64_t>(offset));
}

uint64_t seed_from_env_or_random() {
  if (const char* env = std::getenv("W4A16_SEED"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(env, &end, 10);
    if (end != nullptr && *end == '\0') return static_cast<uint64_t>(v);
    throw std::runtime_error(std::string("W4A16_SEED is not a decimal integer: ") + env);
  }
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

std::vector<uint16_t> random_bf16_normal(Rng& rng, size_t count) {
  std::vector<uint16_t> v(count);
  for (auto& x : v) x = f32_to_bf16(static_cast<float>(rng.normal()));
  return v;
}

// ---- fp64 reference --------------------------------------------------------------

namespace {

std::vector<float> bf16_to_f32_vector(const uint16_t* src, size_t count) {
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = bf16_to_f32(src[i]);
  return out;
}

// Runs body(begin, end) over [0, count) split across the hardware threads.
template <typename Body>
void parallel_for(int64_t count, int64_t min_per_thread, Body body) {
  const int64_t hw = std::max(1u, std::thread::hardware_concurrency());
  const int64_t threads = std::max<int64_t>(1, std::min(hw, count / std::max<int64_t>(1, min_per_thread)));
  if (threads <= 1) {
    body(int64_t{0}, count);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  const int64_t chunk = (count + threads - 1) / threads;
  for (int64_t t = 0; t < threads; ++t) {
    const int64_t begin = t * chunk;
    const int64_t end = std::min(count, begin + chunk);
    if (begin >= end) break;
    pool.emplace_back([=] { body(begin, end); });
  }
  for (auto& th : pool) th.join();
}

}  // namespace

void reference_gemm_fp64(const uint16_t* X, const uint16_t* W, const uint16_t* Y0, int M, int N, int K, double alpha,
                         double beta, std::vector<double>& ref, std::vector<double>& absref) {
  if (beta != 0.0 && Y0 == nullptr) throw std::invalid_argument("reference_gemm_fp64: Y0 is null but beta != 0");
  const size_t MN = static_cast<size_t>(M) * N;
  ref.assign(MN, 0.0);
  absref.assign(MN, 0.0);
  if (MN == 0) return;
  // bf16 -> float is exact, and a product of two floats with 8-bit significands is
  // exact in double; only the double summation rounds (relative 2^-53 * K, negligible).
  const std::vector<float> xf = bf16_to_f32_vector(X, static_cast<size_t>(M) * K);
  const std::vector<float> wf = bf16_to_f32_vector(W, static_cast<size_t>(N) * K);
  constexpr int kRowBlock = 16;  // rows of W kept hot in cache while all rows of X pass over them
  const int64_t n_blocks = (N + kRowBlock - 1) / kRowBlock;
  const int64_t work_per_block = static_cast<int64_t>(kRowBlock) * K * std::max(M, 1);
  const int64_t min_blocks = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, work_per_block));
  parallel_for(n_blocks, min_blocks, [&](int64_t b_begin, int64_t b_end) {
    for (int64_t b = b_begin; b < b_end; ++b) {
      const int n0 = static_cast<int>(b * kRowBlock);
      const int n1 = std::min(N, n0 + kRowBlock);
      for (int m = 0; m < M; ++m) {
        const float* x = xf.data() + static_cast<size_t>(m) * K;
        for (int n = n0; n < n1; ++n) {
          const float* w = wf.data() + static_cast<size_t>(n) * K;
          // Four independent chains so the loop is not latency bound.
          double s0 = 0, s1 = 0, s2 = 0, s3 = 0, a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          int k = 0;
          for (; k + 4 <= K; k += 4) {
            const double p0 = static_cast<double>(x[k]) * w[k];
            const double p1 = static_cast<double>(x[k + 1]) * w[k + 1];
            const double p2 = static_cast<double>(x[k + 2]) * w[k + 2];
            const double p3 = static_cast<double>(x[k + 3]) * w[k + 3];
            s0 += p0;
            s1 += p1;
            s2 += p2;
            s3 += p3;
            a0 += std::fabs(p0);
            a1 += std::fabs(p1);
            a2 += std::fabs(p2);
            a3 += std::fabs(p3);
          }
          for (; k < K; ++k) {
            const double p = static_cast<double>(x[k]) * w[k];
            s0 += p;
            a0 += std::fabs(p);
          }
          const size_t idx = static_cast<size_t>(m) * N + n;
          double r = alpha * ((s0 + s1) + (s2 + s3));
          double ar = std::fabs(alpha) * ((a0 + a1) + (a2 + a3));
          if (beta != 0.0) {
            const double by = beta * bf16_to_f32(Y0[idx]);
            r += by;
            ar += std::fabs(by);
          }
          ref[idx] = r;
          absref[idx] = ar;
        }
      }
    }
  });
}

double tolerance(double ref, double absref, int K) {
  return 0x1.0p-8 * std::fabs(ref) + (static_cast<double>(K) + 64.0) * 0x1.0p-24 * absref + 0x1.0p-126;
}

CompareResult compare(const uint16_t* Y, const std::vector<double>& ref, const std::vector<double>& absref, int K,
                      double tol_scale) {
  CompareResult r;
  double err2 = 0.0;
  double ref2 = 0.0;
  const int64_t count = static_cast<int64_t>(ref.size());
  for (int64_t i = 0; i < count; ++i) {
    const double y = bf16_to_f32(Y[i]);
    const double rv = ref[i];
    const double tol = tol_scale * tolerance(rv, absref[i], K);
    bool bad = false;
    if (!std::isfinite(rv)) {
      // A non-finite reference must be reproduced exactly (same Inf, or NaN); NaN never matches.
      bad = std::isnan(rv) || std::isnan(y) || y != rv;
    } else if (!std::isfinite(y)) {
      bad = true;
      ++r.nonfinite;
    } else {
      const double err = std::fabs(y - rv);
      r.max_abs_err = std::max(r.max_abs_err, err);
      r.max_err_over_tol = std::max(r.max_err_over_tol, err / tol);
      err2 += err * err;
      ref2 += rv * rv;
      bad = !(err <= tol);
    }
    if (bad) {
      if (r.bad == 0) {
        r.first_bad = i;
        r.first_bad_value = y;
        r.first_bad_ref = rv;
        r.first_bad_tol = tol;
      }
      ++r.bad;
    }
    ++r.checked;
  }
  r.rel_fro_err = ref2 > 0.0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
  r.ok = r.bad == 0;
  return r;
}

std::string CompareResult::describe() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s checked=%" PRId64 " bad=%" PRId64 " nonfinite=%" PRId64
                " max_abs_err=%.3e max_err/tol=%.3f rel_fro_err=%.3e",
                ok ? "PASS" : "FAIL", checked, bad, nonfinite, max_abs_err, max_err_over_tol, rel_fro_err);
  std::string s = buf;
  if (bad > 0) {
    std::snprintf(buf, sizeof buf, " first_bad=[%" PRId64 "] got=%.9g ref=%.9g tol=%.3e", first_bad, first_bad_value,
                  first_bad_ref, first_bad_tol);
    s += buf;
  }
  return s;
}

// ---- CUDA RAII ----------------------------------------------------------------------

void cuda_check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so later calls are unaffected
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
  }
}

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) cuda_check(cudaMalloc(&ptr_, bytes), ("cudaMalloc of " + std::to_string(bytes) + " bytes").c_str());
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_ != nullptr) cudaFree(ptr_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept : ptr_(other.ptr_), bytes_(other.bytes_) {
  other.ptr_ = nullptr;
  other.bytes_ = 0;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_ != nullptr) cudaFree(ptr_);
    ptr_ = other.ptr_;
    bytes_ = other.bytes_;
    other.ptr_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::upload(const void* host, size_t bytes, size_t offset) {
  if (offset + bytes > bytes_) throw std::out_of_range("DeviceBuffer::upload past the end");
  if (bytes == 0) return;
  cuda_check(cudaMemcpy(static_cast<char*>(ptr_) + offset, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy H2D");
  // From pageable memory cudaMemcpy may return before the DMA has landed, and kernels on
  // non-blocking streams do not wait for the legacy stream: wait here so that any stream
  // sees the data.
  cuda_check(cudaStreamSynchronize(cudaStreamLegacy), "cudaStreamSynchronize after H2D copy");
}

void DeviceBuffer::download(void* host, size_t bytes, size_t offset) const {
  if (offset + bytes > bytes_) throw std::out_of_range("DeviceBuffer::download past the end");
  if (bytes > 0)
    cuda_check(cudaMemcpy(host, static_cast<const char*>(ptr_) + offset, bytes, cudaMemcpyDeviceToHost),
               "cudaMemcpy D2H");
}

CudaStream::CudaStream() { cuda_check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate"); }

CudaStream::~CudaStream() {
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

void CudaStream::synchronize() const { cuda_check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

// ---- cuBLAS baseline ------------------------------------------------------------------

namespace {
const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR:
      return "CUBLAS_STATUS_LICENSE_ERROR";
    default:
      return "CUBLAS_STATUS_<unknown>";
  }
}
}  // namespace

CublasBf16::CublasBf16() {
  cublasHandle_t h = nullptr;
  const cublasStatus_t st = cublasCreate(&h);
  if (st != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string("cublasCreate: ") + cublas_status_name(st));
  handle_ = h;
}

CublasBf16::~CublasBf16() {
  if (handle_ != nullptr) cublasDestroy(static_cast<cublasHandle_t>(handle_));
}

bool CublasBf16::gemm(const void* X, const void* W, void* Y, int M, int N, int K, float alpha, float beta,
                      cudaStream_t stream, std::string* err) {
  auto h = static_cast<cublasHandle_t>(handle_);
  cublasStatus_t st = cublasSetStream(h, stream);
  if (st == CUBLAS_STATUS_SUCCESS && M > 0) {
    // Row-major Y[M,N] is the column-major [N,M] matrix Y^T = W X^T.  Row-major W[N,K] read
    // column-major is [K,N] (hence OP_T), row-major X[M,K] read column-major is X^T [K,M].
    st = cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &alpha, W, CUDA_R_16BF, K, X, CUDA_R_16BF, K, &beta, Y,
                      CUDA_R_16BF, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  }
  if (st != CUBLAS_STATUS_SUCCESS) {
    if (err != nullptr) *err = std::string("cublasGemmEx: ") + cublas_status_name(st);
    return false;
  }
  return true;
}

// ---- GPU availability -------------------------------------------------------------------

bool gpu_available(std::string* why) {
  auto fail = [&](const std::string& reason) {
    cudaGetLastError();
    if (why != nullptr) *why = reason;
    return false;
  };
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return fail(std::string("no CUDA device: ") + cudaGetErrorString(e));
  if (count == 0) return fail("no CUDA device: cudaGetDeviceCount returned 0");
  int dev = 0;
  e = cudaGetDevice(&dev);
  if (e != cudaSuccess) return fail(std::string("no CUDA device: ") + cudaGetErrorString(e));
  int major = 0;
  int minor = 0;
  e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
  if (e != cudaSuccess) return fail(std::string("no CUDA device: ") + cudaGetErrorString(e));
  if (major < 8) {
    return fail("compute capability " + std::to_string(major) + "." + std::to_string(minor) + " < 8.0");
  }
  e = cudaFree(nullptr);  // forces context creation: a device that cannot be used fails here
  if (e != cudaSuccess) return fail(std::string("CUDA device unusable: ") + cudaGetErrorString(e));
  return true;
}

// ---- end-to-end checks --------------------------------------------------------------------

namespace {

std::string case_string(const GemmCase& c, uint64_t seed) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "M=%d N=%d K=%d g=%d zeros=%d alpha=%g beta=%g%s seed=%" PRIu64, c.M, c.N, c.K,
                c.group_size, c.zeros ? 1 : 0, static_cast<double>(c.alpha), static_cast<double>(c.beta),
                c.packed ? (c.overlap_previous ? " packed overlap-previous" : " packed") : "", seed);
  return buf;
}

std::string api_error(const char* call, w4a16Status_t st) {
  return std::string(call) + " returned " + w4a16StatusString(st) + ": " + w4a16GetLastErrorMessage();
}

// Index of the first differing element, or -1.
template <typename T>
int64_t first_difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return static_cast<int64_t>(i);
  return -1;
}

// Output buffers carry this many guard elements after M*N; the kernel must not touch them.
constexpr size_t kGuardElems = 256;

uint16_t guard_pattern(size_t i) { return static_cast<uint16_t>(0xA5C3u ^ (i * 0x9E37u)); }

// Fills the output (M*N elements) and the guard after it, uploads it.
void fill_output(DeviceBuffer& out, size_t mn, const std::vector<uint16_t>& y0, bool use_y0) {
  std::vector<uint16_t> h(mn + kGuardElems);
  for (size_t i = 0; i < mn; ++i) h[i] = use_y0 ? y0[i] : kBf16QuietNaN;  // NaN poison: every element must be written
  for (size_t i = 0; i < kGuardElems; ++i) h[mn + i] = guard_pattern(i);
  out.upload(h.data(), h.size() * sizeof(uint16_t));
}

// Downloads M*N outputs; returns a description if the guard changed, else "".
std::string read_output(const DeviceBuffer& out, size_t mn, std::vector<uint16_t>& y) {
  std::vector<uint16_t> h(mn + kGuardElems);
  out.download(h.data(), h.size() * sizeof(uint16_t));
  y.assign(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(mn));
  for (size_t i = 0; i < kGuardElems; ++i) {
    if (h[mn + i] != guard_pattern(i)) {
      return "output guard region overwritten at element M*N+" + std::to_string(i);
    }
  }
  return "";
}

void append(std::string& dst, const std::string& msg) {
  if (msg.empty()) return;
  if (!dst.empty()) dst += "; ";
  dst += msg;
}

size_t at_least_16(size_t bytes) { return std::max<size_t>(bytes, 16); }

// Runs call(first_row, row_count) over blocks of the N rows on all hardware threads;
// returns the first failing status.  The error message is thread-local, so a failing
// block's message is re-recorded on the calling thread by repeating that call.
template <typename Call>
w4a16Status_t host_rows_parallel(int N, Call call) {
  constexpr int kRowsPerBlock = 64;
  const int64_t blocks = (N + kRowsPerBlock - 1) / kRowsPerBlock;
  std::vector<w4a16Status_t> status(static_cast<size_t>(blocks), W4A16_STATUS_SUCCESS);
  parallel_for(blocks, 4, [&](int64_t b_begin, int64_t b_end) {
    for (int64_t b = b_begin; b < b_end; ++b) {
      const int n0 = static_cast<int>(b) * kRowsPerBlock;
      status[static_cast<size_t>(b)] = call(n0, std::min(kRowsPerBlock, N - n0));
    }
  });
  for (int64_t b = 0; b < blocks; ++b) {
    if (status[static_cast<size_t>(b)] != W4A16_STATUS_SUCCESS) {
      const int n0 = static_cast<int>(b) * kRowsPerBlock;
      return call(n0, std::min(kRowsPerBlock, N - n0));
    }
  }
  return W4A16_STATUS_SUCCESS;
}

// Runs w4a16GemmForwardEx with exactly the workspace it asks for; returns "" or the error.
std::string run_gemm(const GemmCase& c, const void* x, const void* packed, const void* scales, const void* zeros,
                     void* y, cudaStream_t stream) {
  if (c.packed) {
    size_t pack_bytes = 0;
    w4a16Status_t st = w4a16GetPackedWeightsSize(c.N, c.K, c.group_size, zeros != nullptr ? 1 : 0, &pack_bytes);
    if (st != W4A16_STATUS_SUCCESS) return api_error("w4a16GetPackedWeightsSize", st);
    DeviceBuffer pack(pack_bytes);
    w4a16PackedWeights pw{};
    st = w4a16PackWeights(packed, scales, zeros, c.N, c.K, c.group_size, pack.get(), pack_bytes, &pw, stream);
    if (st != W4A16_STATUS_SUCCESS) return api_error("w4a16PackWeights", st);
    size_t ws_bytes = 0;
    st = w4a16GetWorkspaceSizePacked(c.M, &pw, &ws_bytes);
    if (st != W4A16_STATUS_SUCCESS) return api_error("w4a16GetWorkspaceSizePacked", st);
    DeviceBuffer workspace(ws_bytes);
    const unsigned flags = c.overlap_previous ? unsigned{W4A16_FORWARD_OVERLAP_PREVIOUS} : 0u;
    st = w4a16GemmForwardPackedEx(x, &pw, y, c.M, c.alpha, c.beta, workspace.get(), ws_bytes, flags, stream);
    if (st != W4A16_STATUS_SUCCESS) return api_error("w4a16GemmForwardPackedEx", st);
    cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize after w4a16GemmForwardPackedEx");
    return "";
  }
  size_t ws_bytes = 0;
  w4a16Status_t st = w4a16GetWorkspaceSize(c.M, c.N, c.K, c.group_size, zeros != nullptr ? 1 : 0, &ws_bytes);
  if (st != W4A16_STATUS_SUCCESS) return api_error("w4a16GetWorkspaceSize", st);
  DeviceBuffer workspace(ws_bytes);
  st = w4a16GemmForwardEx(x, packed, scales, zeros, y, c.M, c.N, c.K, c.group_size, c.alpha, c.beta, workspace.get(),
                          ws_bytes, stream);
  if (st != W4A16_STATUS_SUCCESS) return api_error("w4a16GemmForwardEx", st);
  cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize after w4a16GemmForwardEx");
  return "";
}

}  // namespace

std::string GemmCheckReport::describe() const {
  std::string s = std::string(ok ? "PASS " : "FAIL ") + what;
  if (!error.empty()) s += "\n  error: " + error;
  if (!mismatch.empty()) s += "\n  mismatch: " + mismatch;
  if (vs_fp64.checked > 0 || vs_fp64.bad > 0) s += "\n  w4a16 vs fp64:  " + vs_fp64.describe();
  if (cublas_vs_fp64.checked > 0) s += "\n  cuBLAS vs fp64: " + cublas_vs_fp64.describe();
  if (vs_cublas.checked > 0) s += "\n  w4a16 vs cuBLAS (tol x2, x3 with beta): " + vs_cublas.describe();
  return s;
}

GemmCheckReport check_gemm(const GemmCase& c, uint64_t seed, CublasBf16& cublas) {
  GemmCheckReport rep;
  rep.seed = seed;
  rep.what = case_string(c, seed);
  try {
    if (c.M < 0 || c.N <= 0 || c.K <= 0 || c.group_size <= 0 || c.K % c.group_size != 0 || c.K % 2 != 0) {
      rep.error = "check_gemm: invalid case";
      return rep;
    }
    const size_t M = static_cast<size_t>(c.M), N = static_cast<size_t>(c.N), K = static_cast<size_t>(c.K);
    const size_t groups = N * (K / static_cast<size_t>(c.group_size));
    Rng rng(seed);
    const std::vector<uint16_t> w = random_bf16_normal(rng, N * K);
    const std::vector<uint16_t> x = random_bf16_normal(rng, M * K);
    const bool use_y0 = c.beta != 0.0f;
    const std::vector<uint16_t> y0 = use_y0 ? random_bf16_normal(rng, M * N) : std::vector<uint16_t>();

    CudaStream stream;
    DeviceBuffer d_w(N * K * 2), d_packed(N * K / 2), d_scales(groups * 2);
    DeviceBuffer d_zeros(c.zeros ? groups * 2 : 0);
    d_w.upload(w.data(), w.size() * 2);

    // Quantize on the GPU and on the host; both must agree bit for bit.
    w4a16Status_t st = quantizeWeightToINT4Ex(d_w.get(), d_packed.get(), d_scales.get(), d_zeros.get(), c.N, c.K,
                                              c.group_size, stream.get());
    if (st != W4A16_STATUS_SUCCESS) {
      rep.error = api_error("quantizeWeightToINT4Ex", st);
      return rep;
    }
    stream.synchronize();
    std::vector<uint8_t> packed(N * K / 2), gpu_packed(N * K / 2);
    std::vector<uint16_t> scales(groups), gpu_scales(groups);
    std::vector<uint16_t> zeros(c.zeros ? groups : 0), gpu_zeros(c.zeros ? groups : 0);
    // Rows are independent, so the host reference runs on row blocks in parallel.
    const size_t groups_per_row = K / static_cast<size_t>(c.group_size);
    st = host_rows_parallel(c.N, [&](int n0, int rows) {
      return w4a16QuantizeHost(w.data() + n0 * K, packed.data() + n0 * K / 2, scales.data() + n0 * groups_per_row,
                               c.zeros ? zeros.data() + n0 * groups_per_row : nullptr, rows, c.K, c.group_size);
    });
    if (st != W4A16_STATUS_SUCCESS) {
      rep.error = api_error("w4a16QuantizeHost", st);
      return rep;
    }
    d_packed.download(gpu_packed.data(), gpu_packed.size());
    d_scales.download(gpu_scales.data(), gpu_scales.size() * 2);
    if (c.zeros) d_zeros.download(gpu_zeros.data(), gpu_zeros.size() * 2);
    if (int64_t i = first_difference(packed, gpu_packed); i >= 0)
      append(rep.mismatch, "GPU vs host quantizer: packed byte " + std::to_string(i) + " differs");
    if (int64_t i = first_difference(scales, gpu_scales); i >= 0)
      append(rep.mismatch, "GPU vs host quantizer: scale " + std::to_string(i) + " differs");
    if (int64_t i = first_difference(zeros, gpu_zeros); i >= 0)
      append(rep.mismatch, "GPU vs host quantizer: zero " + std::to_string(i) + " differs");

    // Dequantize on the host (for the fp64 reference) and on the GPU (for cuBLAS).
    std::vector<uint16_t> w_dq(N * K), gpu_w_dq(N * K);
    st = host_rows_parallel(c.N, [&](int n0, int rows) {
      return w4a16DequantizeHost(packed.data() + n0 * K / 2, scales.data() + n0 * groups_per_row,
                                 c.zeros ? zeros.data() + n0 * groups_per_row : nullptr, w_dq.data() + n0 * K, rows,
                                 c.K, c.group_size);
    });
    if (st != W4A16_STATUS_SUCCESS) {
      rep.error = api_error("w4a16DequantizeHost", st);
      return rep;
    }
    DeviceBuffer d_w_dq(N * K * 2);
    st = w4a16DequantizeToBF16(d_packed.get(), d_scales.get(), d_zeros.get(), d_w_dq.get(), c.N, c.K, c.group_size,
                               stream.get());
    if (st != W4A16_STATUS_SUCCESS) {
      rep.error = api_error("w4a16DequantizeToBF16", st);
      return rep;
    }
    stream.synchronize();
    d_w_dq.download(gpu_w_dq.data(), gpu_w_dq.size() * 2);
    if (int64_t i = first_difference(w_dq, gpu_w_dq); i >= 0)
      append(rep.mismatch, "GPU vs host dequantizer: element " + std::to_string(i) + " differs");

    // The GEMM under test.
    DeviceBuffer d_x(at_least_16(M * K * 2));
    d_x.upload(x.data(), x.size() * 2);
    DeviceBuffer d_y((M * N + kGuardElems) * 2);
    fill_output(d_y, M * N, y0, use_y0);
    rep.error = run_gemm(c, d_x.get(), d_packed.get(), d_scales.get(), d_zeros.get(), d_y.get(), stream.get());
    if (!rep.error.empty()) return rep;
    std::vector<uint16_t> y;
    append(rep.mismatch, read_output(d_y, M * N, y));

    // cuBLAS on the GPU-dequantized weights.  With beta == 0 its C starts at zero: it is
    // the baseline, not the code under test, so it gets no NaN poison.
    DeviceBuffer d_yc(at_least_16(M * N * 2));
    if (use_y0) {
      d_yc.upload(y0.data(), y0.size() * 2);
    } else {
      cuda_check(cudaMemsetAsync(d_yc.get(), 0, d_yc.size(), stream.get()), "cudaMemsetAsync");
    }
    std::string cublas_err;
    if (!cublas.gemm(d_x.get(), d_w_dq.get(), d_yc.get(), c.M, c.N, c.K, c.alpha, c.beta, stream.get(), &cublas_err)) {
      rep.error = cublas_err;
      return rep;
    }
    stream.synchronize();
    std::vector<uint16_t> yc(M * N);
    d_yc.download(yc.data(), yc.size() * 2);

    std::vector<double> ref, absref;
    reference_gemm_fp64(x.data(), w_dq.data(), use_y0 ? y0.data() : nullptr, c.M, c.N, c.K, c.alpha, c.beta, ref,
                        absref);
    rep.vs_fp64 = compare(y.data(), ref, absref, c.K);
    // cuBLAS with bf16 C and beta != 0 rounds alpha*A*B to bf16 before adding
    // beta*C (seen on H100, cuBLAS 13.1: 75.5 for a reference of 75.137), a
    // second 2^-8 rounding: its bound is twice ours then.
    const double cublas_scale = c.beta != 0.0f ? 2.0 : 1.0;
    rep.cublas_vs_fp64 = compare(yc.data(), ref, absref, c.K, cublas_scale);
    // Against cuBLAS both sides carry their own error: the bounds add.
    std::vector<double> ref_cublas(yc.size());
    for (size_t i = 0; i < yc.size(); ++i) ref_cublas[i] = bf16_to_f32(yc[i]);
    rep.vs_cublas = compare(y.data(), ref_cublas, absref, c.K, 1.0 + cublas_scale);
  } catch (const std::exception& e) {
    append(rep.error, e.what());
  }
  rep.ok = rep.error.empty() && rep.mismatch.empty() && rep.vs_fp64.ok && rep.cublas_vs_fp64.ok && rep.vs_cublas.ok;
  return rep;
}

namespace {
bool is_power_of_two_or_zero(float v) {
  if (v == 0.0f) return true;
  int e = 0;
  return std::isfinite(v) && std::fabs(std::frexp(v, &e)) == 0.5f;
}
bool exact_in_f32(double v) { return static_cast<double>(static_cast<float>(v)) == v; }
}  // namespace

GemmCheckReport check_gemm_exact(const GemmCase& c, uint64_t seed) {
  GemmCheckReport rep;
  rep.seed = seed;
  rep.what = "exact " + case_string(c, seed);
  try {
    if (c.M < 0 || c.N <= 0 || c.K <= 0 || c.group_size <= 0 || c.K % c.group_size != 0 || c.K % 2 != 0) {
      rep.error = "check_gemm_exact: invalid case";
      return rep;
    }
    // Power-of-two alpha/beta keep alpha*acc and beta*y exact in fp32 (checked per element below).
    if (c.alpha == 0.0f || !is_power_of_two_or_zero(c.alpha) || !is_power_of_two_or_zero(c.beta)) {
      rep.error = "check_gemm_exact: alpha must be a power of two and beta zero or a power of two";
      return rep;
    }
    const size_t M = static_cast<size_t>(c.M), N = static_cast<size_t>(c.N), K = static_cast<size_t>(c.K);
    const size_t g = static_cast<size_t>(c.group_size);
    const size_t groups_per_row = K / g;
    Rng rng(seed);

    // The canonical format, built directly: q in [-8,7], scales in {1/4,1/2,1,2},
    // zeros integers in [-3,3].  Every s*q + z is a multiple of 1/4 below 20: exact in bf16.
    static const float kScales[4] = {0.25f, 0.5f, 1.0f, 2.0f};
    std::vector<uint16_t> scales(N * groups_per_row), zeros(c.zeros ? N * groups_per_row : 0);
    for (auto& s : scales) s = f32_to_bf16(kScales[rng.uniform_int(0, 3)]);
    for (auto& z : zeros) z = f32_to_bf16(static_cast<float>(rng.uniform_int(-3, 3)));
    std::vector<uint8_t> packed(N * K / 2);
    std::vector<double> w_exact(N * K);
    for (size_t n = 0; n < N; ++n) {
      for (size_t j = 0; j < K / 2; ++j) {
        const int q_even = rng.uniform_int(-8, 7);
        const int q_odd = rng.uniform_int(-8, 7);
        packed[n * (K / 2) + j] =
            static_cast<uint8_t>((static_cast<unsigned>(q_even) & 0xFu) | ((static_cast<unsigned>(q_odd) & 0xFu) << 4));
        for (int t = 0; t < 2; ++t) {
          const size_t k = 2 * j + static_cast<size_t>(t);
          const size_t grp = n * groups_per_row + k / g;
          const double z = c.zeros ? bf16_to_f32(zeros[grp]) : 0.0;
          w_exact[n * K + k] = bf16_to_f32(scales[grp]) * (t == 0 ? q_even : q_odd) + z;
        }
      }
    }
    std::vector<int> x_int(M * K);
    std::vector<uint16_t> x(M * K);
    for (size_t i = 0; i < x.size(); ++i) {
      x_int[i] = rng.uniform_int(-2, 2);
      x[i] = f32_to_bf16(static_cast<float>(x_int[i]));
    }
    const bool use_y0 = c.beta != 0.0f;
    std::vector<uint16_t> y0(use_y0 ? M * N : 0);
    for (auto& v : y0) v = f32_to_bf16(static_cast<float>(rng.uniform_int(-4, 4)));

    // Expected: every partial sum is a multiple of 1/4 with |sum| < 2^21 (K <= 16384),
    // so fp32 accumulation in any order is exact and the only rounding is the final bf16 one.
    std::vector<uint16_t> expected(M * N);
    for (size_t m = 0; m < M; ++m) {
      for (size_t n = 0; n < N; ++n) {
        double acc = 0.0;
        double abs_acc = 0.0;
        for (size_t k = 0; k < K; ++k) {
          const double p = x_int[m * K + k] * w_exact[n * K + k];
          acc += p;
          abs_acc += std::fabs(p);
        }
        const double scaled = static_cast<double>(c.alpha) * acc;
        const double by = use_y0 ? static_cast<double>(c.beta) * bf16_to_f32(y0[m * N + n]) : 0.0;
        if (abs_acc * 4.0 >= 0x1.0p24 || !exact_in_f32(scaled) || !exact_in_f32(by) || !exact_in_f32(scaled + by)) {
          rep.error = "check_gemm_exact: case not exactly representable in fp32 (K too large?)";
          return rep;
        }
        expected[m * N + n] = f64_to_bf16(scaled + by);
      }
    }

    CudaStream stream;
    DeviceBuffer d_packed(packed.size()), d_scales(scales.size() * 2), d_zeros(zeros.size() * 2);
    d_packed.upload(packed.data(), packed.size());
    d_scales.upload(scales.data(), scales.size() * 2);
    if (c.zeros) d_zeros.upload(zeros.data(), zeros.size() * 2);
    DeviceBuffer d_x(at_least_16(M * K * 2));
    d_x.upload(x.data(), x.size() * 2);
    DeviceBuffer d_y((M * N + kGuardElems) * 2);
    fill_output(d_y, M * N, y0, use_y0);
    rep.error = run_gemm(c, d_x.get(), d_packed.get(), d_scales.get(), d_zeros.get(), d_y.get(), stream.get());
    if (!rep.error.empty()) return rep;
    std::vector<uint16_t> y;
    append(rep.mismatch, read_output(d_y, M * N, y));

    CompareResult& r = rep.vs_fp64;
    for (size_t i = 0; i < y.size(); ++i) {
      ++r.checked;
      const double got = bf16_to_f32(y[i]);
      const double want = bf16_to_f32(expected[i]);
      if (!std::isfinite(got)) ++r.nonfinite;
      if (std::isfinite(got)) r.max_abs_err = std::max(r.max_abs_err, std::fabs(got - want));
      if (y[i] != expected[i]) {
        if (r.bad == 0) {
          r.first_bad = static_cast<int64_t>(i);
          r.first_bad_value = got;
          r.first_bad_ref = want;
          char buf[160];
          std::snprintf(buf, sizeof buf, "output (m=%zu, n=%zu) is 0x%04x (%.9g), expected 0x%04x (%.9g)", i / N, i % N,
                        y[i], got, expected[i], want);
          append(rep.mismatch, buf);
        }
        ++r.bad;
      }
    }
    r.ok = r.bad == 0;
    if (r.bad > 1) append(rep.mismatch, std::to_string(r.bad) + " mismatching outputs in all");
  } catch (const std::exception& e) {
    append(rep.error, e.what());
  }
  rep.ok = rep.error.empty() && rep.mismatch.empty() && rep.vs_fp64.ok;
  return rep;
}

}  // namespace w4a16::testutil
