// `w4a16 bench`: times w4a16GemmForwardEx against the two hardware ceilings
// measured on the same GPU (copy bandwidth and the cuBLAS bf16 tensor rate) and
// against cuBLAS bf16 on the dequantized weights, under the same conditions:
//
//  * Cold weights.  Each launch reads the next of several independent copies of
//    the weights (and of the activations/outputs), enough copies that the
//    rotated set exceeds twice the L2, so that successive launches cannot hit in
//    L2 what the previous one loaded.  This is the situation of a model whose
//    layers each read their own weights once per step.
//  * No host overhead.  R back-to-back launches are captured in one CUDA graph
//    and replayed; time per launch = replay time / R, median over replays
//    after a warm-up.  cuBLAS gets the identical treatment, interleaved with
//    ours (about 2 ms of replays each in turn), so that both run at
//    the same clocks: a compute-bound GEMM's time follows the SM clock, which
//    the power cap moves within tens of milliseconds.  The SM clock is
//    sampled (NVML) during each side's timed replays and printed per row.
//  * A floor per shape: max(floor bytes / copy bandwidth, 2MNK / tensor rate),
//    where floor bytes count every operand read once and the output written once.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "cli.h"
#include "gpu_monitor.h"
#include "launch_floor.h"
#include "testutil.h"

namespace w4a16::cli {
namespace {

constexpr int kMaxCopies = 512;
constexpr int kMinLaunchesPerGraph = 20;
constexpr size_t kAlign = 256;

size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

struct Shape {
  int M, N, K;
};

struct BenchConfig {
  bool quick = false;
  int group = W4A16_DEFAULT_GROUP_SIZE;  // 0: g = K for each shape
  bool zeros = true;
  int replays = 20;
  float alpha = 1.0f;
  float beta = 0.0f;
  uint64_t seed = 0;
  int sample_rows = 16;
  // Each shape's warm-up before its timed replays (--warmup-ms; 30 ms with
  // --quick, 100 otherwise).
  double warmup_ms = 100.0;
  bool packed = false;  // --packed: w4a16PackWeights once per weight copy, then w4a16GemmForwardPacked
  // --overlap (with --packed): W4A16_FORWARD_OVERLAP_PREVIOUS on every call, so
  // that each call of a graph overlaps the tail of the one before it.
  bool overlap_previous = false;
  // --config A[,B...]: each kernel configuration (W4A16_FORCE_CONFIG spec) in
  // turn on every shape, one row each, sharing the shape's weights and packs,
  // each timed interleaved with cuBLAS; empty: the dispatcher's choice.
  std::vector<std::string> configs;
  std::vector<Shape> shapes;
};

// ---- shapes -----------------------------------------------------------------

std::vector<Shape> spec_shapes() { return {{256, 256, 256}, {2048, 2048, 2048}, {4096, 5120, 8192}}; }

// Decode and prefill sizes against the projections of a Llama-3-8B-like layer.
std::vector<Shape> llm_shapes(bool quick) {
  const std::vector<int> ms = quick ? std::vector<int>{1, 16, 128, 1024}
                                    : std::vector<int>{1, 16, 32, 64, 128, 256, 1024, 4096};
  std::vector<Shape> out;
  for (auto nk : {std::pair<int, int>{4096, 4096}, {14336, 4096}, {4096, 14336}}) {
    for (int m : ms) out.push_back({m, nk.first, nk.second});
  }
  return out;
}

std::vector<Shape> parse_shapes(const std::string& spec, bool quick) {
  if (spec == "spec") return spec_shapes();
  if (spec == "llm") return llm_shapes(quick);
  if (spec == "all") {
    std::vector<Shape> out = spec_shapes();
    for (const Shape& s : llm_shapes(quick)) out.push_back(s);
    return out;
  }
  std::vector<Shape> out;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    int m = 0, n = 0, k = 0;
    char tail = 0;
    if (std::sscanf(item.c_str(), "%dx%dx%d%c", &m, &n, &k, &tail) != 3 || m < 1 || n < 1 || k < 1) {
      usage_error("--shapes: expected spec, llm, all or MxNxK[,MxNxK...], got '" + item + "'");
    }
    out.push_back({m, n, k});
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// ---- environment ------------------------------------------------------------

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = pclose(p);
  if (rc != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string git_commit() {
  if (const char* env = std::getenv("W4A16_GIT_COMMIT"); env != nullptr && env[0] != '\0') return env;
#ifdef W4A16_SOURCE_DIR
  const std::string git = "git -C " + shell_quote(W4A16_SOURCE_DIR);
#else
  const std::string git = "git";
#endif
  std::string commit = run_command(git + " rev-parse --short HEAD 2>/dev/null");
  if (commit.empty()) return "unknown";
  // Local modifications make the commit alone misleading.
  if (!run_command(git + " status --porcelain --untracked-files=no 2>/dev/null").empty()) commit += "-dirty";
  return commit;
}

std::string utc_now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct DeviceInfo {
  std::string name;
  int cc_major = 0, cc_minor = 0, sms = 0;
  size_t l2 = 0;
  size_t total_mem = 0;
  int driver = 0, runtime = 0;
};

DeviceInfo query_device() {
  DeviceInfo d;
  int dev = 0;
  cudaDeviceProp p{};
  W4A16_CLI_CUDA(cudaGetDevice(&dev));
  W4A16_CLI_CUDA(cudaGetDeviceProperties(&p, dev));
  d.name = p.name;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.sms = p.multiProcessorCount;
  d.l2 = static_cast<size_t>(p.l2CacheSize);
  d.total_mem = p.totalGlobalMem;
  cudaDriverGetVersion(&d.driver);
  cudaRuntimeGetVersion(&d.runtime);
  return d;
}

size_t free_device_memory() {
  size_t free_bytes = 0, total = 0;
  W4A16_CLI_CUDA(cudaMemGetInfo(&free_bytes, &total));
  return free_bytes;
}

// Copies needed for a rotated set larger than 2x L2, within [min_copies,
// kMaxCopies] and within the memory budget.
int rotation_copies(size_t bytes_per_copy, size_t l2, size_t budget, int min_copies, int max_copies) {
  const size_t want = 2 * l2 / std::max<size_t>(bytes_per_copy, 1) + 1;
  size_t copies = std::clamp<size_t>(want, static_cast<size_t>(min_copies), static_cast<size_t>(max_copies));
  copies = std::min(copies, budget / std::max<size_t>(bytes_per_copy, 1));
  if (copies < 1) {
    fail(format("not enough free GPU memory for one copy of %s", human_bytes(static_cast<double>(bytes_per_copy)).c_str()));
  }
  return static_cast<int>(copies);
}

// Launches per graph: a multiple of the copy count, so that a replay ends on the
// copy before the one the next replay starts with and the whole rotated set
// separates two uses of any copy; at least kMinLaunchesPerGraph.
int launches_for(int copies) {
  return copies >= kMinLaunchesPerGraph ? copies : copies * ((kMinLaunchesPerGraph + copies - 1) / copies);
}

// ---- timing -------------------------------------------------------------------

using Enqueue = std::function<void(int, cudaStream_t)>;

struct Timing {
  double median_us = 0, min_us = 0, max_us = 0;
  bool graph = false;
  std::string fallback_reason;  // why graph capture was not used
  // The SM clock and throttle reasons sampled while the timed replays ran.
  // Why: a compute-bound kernel's time depends on how long the GPU has been
  // busy; an H100 at its 700 W cap drops from 1980 MHz to 1300-1800 within
  // a second of back-to-back GEMMs (bench/results/2026-11-28-h100-h200-session23/).
  ClockSummary clocks;
};

// Samples the clocks during timed replays when NVML is available
// (cmd_bench sets it; null: no samples).
const GpuMonitor* g_monitor = nullptr;

// Waits for the replays between `first` and `last`, sampling the SM clock
// every ~100 us while they run.
ClockSummary sample_clocks_until_done(const cudaEvent_t first, const cudaEvent_t last) {
  std::vector<ClockSample> samples;
  if (g_monitor != nullptr && g_monitor->available()) {
    while (cudaEventQuery(first) == cudaErrorNotReady) std::this_thread::sleep_for(std::chrono::microseconds(20));
    while (cudaEventQuery(last) == cudaErrorNotReady) {
      samples.push_back(g_monitor->sample());
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  return summarize(std::move(samples));
}

class GraphExec {
 public:
  GraphExec() = default;
  ~GraphExec() {
    if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
  }
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  cudaGraphExec_t* out() { return &exec_; }
  cudaGraphExec_t get() const { return exec_; }

 private:
  cudaGraphExec_t exec_ = nullptr;
};

// Captures launches 0..n-1 into *exec.  On failure returns false with the reason
// and leaves the stream usable.
bool capture(cudaStream_t s, int n, const Enqueue& enqueue, GraphExec* exec, std::string* why) {
  W4A16_CLI_CUDA(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  std::string err;
  try {
    for (int i = 0; i < n; ++i) enqueue(i, s);
  } catch (const std::exception& e) {
    err = e.what();
  }
  cudaGraph_t graph = nullptr;
  cudaError_t end = cudaStreamEndCapture(s, &graph);
  if (err.empty() && end != cudaSuccess) err = std::string("cudaStreamEndCapture: ") + cudaGetErrorString(end);
  if (err.empty()) {
    cudaError_t inst = cudaGraphInstantiate(exec->out(), graph, 0);
    if (inst != cudaSuccess) err = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(inst);
  }
  if (graph != nullptr) cudaGraphDestroy(graph);
  if (err.empty()) return true;
  cudaGetLastError();  // a failed capture leaves a sticky-free error behind; clear it
  *why = err;
  return false;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Warm-up replays for `warmup_ms`, from the time of one replay (1 to 2000).
int warmup_replays(double warmup_ms, float replay_ms) {
  return std::clamp(static_cast<int>(std::ceil(warmup_ms / std::max(replay_ms, 1e-3f))), 1, 2000);
}

// Median, min and max of the per-launch times of the counted replays.
void set_times(Timing& t, const std::vector<double>& per_launch_us) {
  t.median_us = median(per_launch_us);
  t.min_us = *std::min_element(per_launch_us.begin(), per_launch_us.end());
  t.max_us = *std::max_element(per_launch_us.begin(), per_launch_us.end());
}

// Times `launches` back-to-back launches per replay; returns per-launch times
// over `replays` replays.  All timed replays are queued back to back with an
// event between each, so the GPU never idles (and never drops its clocks)
// between them.  use_graph == false times plain stream launches.
Timing time_launches(const char* what, cudaStream_t s, int launches, int replays, double warmup_ms,
                     const Enqueue& enqueue, bool allow_stream_fallback, bool use_graph = true) {
  Timing t;
  GraphExec exec;
  std::string why = "not requested";
  t.graph = use_graph && capture(s, launches, enqueue, &exec, &why);
  if (!t.graph) {
    if (!allow_stream_fallback) fail(std::string("CUDA graph capture of ") + what + " failed: " + why);
    t.fallback_reason = why;
  }
  auto replay = [&]() {
    if (t.graph) {
      W4A16_CLI_CUDA(cudaGraphLaunch(exec.get(), s));
    } else {
      for (int i = 0; i < launches; ++i) enqueue(i, s);
    }
  };

  Event a, b;
  W4A16_CLI_CUDA(cudaEventRecord(a.get(), s));
  replay();
  W4A16_CLI_CUDA(cudaEventRecord(b.get(), s));
  W4A16_CLI_CUDA(cudaEventSynchronize(b.get()));
  float first_ms = 0;
  W4A16_CLI_CUDA(cudaEventElapsedTime(&first_ms, a.get(), b.get()));
  const int warmups = warmup_replays(warmup_ms, first_ms);
  for (int i = 0; i < warmups; ++i) replay();

  std::vector<Event> events(static_cast<size_t>(replays) + 1);
  W4A16_CLI_CUDA(cudaEventRecord(events[0].get(), s));
  for (int r = 0; r < replays; ++r) {
    replay();
    W4A16_CLI_CUDA(cudaEventRecord(events[r + 1].get(), s));
  }
  t.clocks = sample_clocks_until_done(events.front().get(), events.back().get());
  W4A16_CLI_CUDA(cudaStreamSynchronize(s));
  std::vector<double> per_launch_us;
  for (int r = 0; r < replays; ++r) {
    float ms = 0;
    W4A16_CLI_CUDA(cudaEventElapsedTime(&ms, events[r].get(), events[r + 1].get()));
    per_launch_us.push_back(1000.0 * ms / launches);
  }
  set_times(t, per_launch_us);
  return t;
}

// Timed replays of one side in a row (time_pair): long enough to amortize the
// switch between the two graphs, short next to the tens of milliseconds in
// which the power cap moves the clock.
constexpr float kPairBlockMs = 2.0f;

// One side of an interleaved pair (time_pair).
struct Timed {
  const char* what;
  int launches;
  const Enqueue* enqueue;
  bool allow_stream_fallback;
};

// Times two kernels' launches interleaved: after warm-ups, a few replays of A,
// a few of B, A, ... with an event between each, so that both see the same
// clocks.
// Why: a compute-bound GEMM's time follows the SM clock, which the power cap
// moves within tens of milliseconds (H100: 1980 MHz idle-warm, 1300-1800 at
// 700 W); timed one after the other, the second inherits the heat of the
// first (measured: bench/results/2026-11-28-h100-h200-session23/).  Each
// side's time per launch is the median over its replays; its clock summary
// is of the samples taken while its replays ran.
std::pair<Timing, Timing> time_pair(cudaStream_t s, int replays, double warmup_ms, const Timed& a, const Timed& b) {
  Timing t[2];
  GraphExec exec[2];
  const Timed* side[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    std::string why;
    t[i].graph = capture(s, side[i]->launches, *side[i]->enqueue, &exec[i], &why);
    if (!t[i].graph) {
      if (!side[i]->allow_stream_fallback) fail(std::string("CUDA graph capture of ") + side[i]->what + " failed: " + why);
      t[i].fallback_reason = why;
    }
  }
  auto replay = [&](int i) {
    if (t[i].graph) {
      W4A16_CLI_CUDA(cudaGraphLaunch(exec[i].get(), s));
    } else {
      for (int l = 0; l < side[i]->launches; ++l) (*side[i]->enqueue)(l, s);
    }
  };
  int warmups[2];
  float first_ms[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    Event e0, e1;
    W4A16_CLI_CUDA(cudaEventRecord(e0.get(), s));
    replay(i);
    W4A16_CLI_CUDA(cudaEventRecord(e1.get(), s));
    W4A16_CLI_CUDA(cudaEventSynchronize(e1.get()));
    W4A16_CLI_CUDA(cudaEventElapsedTime(&first_ms[i], e0.get(), e1.get()));
    warmups[i] = warmup_replays(warmup_ms, first_ms[i]);
  }
  // Warm-up interleaved too, each side's share spread over the whole span.
  const int longest = std::max(warmups[0], warmups[1]);
  for (int w = 0; w < longest; ++w) {
    for (int i = 0; i < 2; ++i) {
      if (static_cast<int64_t>(w) * warmups[i] / longest != static_cast<int64_t>(w + 1) * warmups[i] / longest) replay(i);
    }
  }
  // Timed: blocks of about kPairBlockMs per side, A, B, A, B, ...  The first
  // replay of each block follows the other side's graph and pays the switch
  // between graphs (about 0.3 us per launch on the M = 1 rows when every
  // replay switched), so it is timed but not counted; each side counts at
  // least `replays` replays.
  int block[2], rounds = 1;
  for (int i = 0; i < 2; ++i) {
    block[i] = std::clamp(static_cast<int>(std::ceil(kPairBlockMs / std::max(first_ms[i], 1e-3f))), 2, 64);
    rounds = std::max(rounds, (replays + block[i] - 2) / (block[i] - 1));
  }
  struct Segment {
    int side;
    bool counted;
  };
  std::vector<Segment> segments;
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < 2; ++i) {
      for (int k = 0; k < block[i]; ++k) segments.push_back({i, k > 0});
    }
  }
  std::vector<Event> events(segments.size() + 1);
  W4A16_CLI_CUDA(cudaEventRecord(events[0].get(), s));
  for (size_t j = 0; j < segments.size(); ++j) {
    replay(segments[j].side);
    W4A16_CLI_CUDA(cudaEventRecord(events[j + 1].get(), s));
  }
  // Clock samples, each credited to the side whose replay was running: the
  // one that ends at the first event not yet complete.
  std::vector<ClockSample> samples[2];
  if (g_monitor != nullptr && g_monitor->available()) {
    size_t next = 0;
    while (next < events.size()) {
      while (next < events.size() && cudaEventQuery(events[next].get()) == cudaSuccess) ++next;
      if (next == events.size()) break;
      if (next > 0) samples[segments[next - 1].side].push_back(g_monitor->sample());
      if (cudaEventQuery(events[next].get()) != cudaErrorNotReady) break;  // an error: the sync below reports it
      std::this_thread::sleep_for(std::chrono::microseconds(next == 0 ? 20 : 100));
    }
  }
  W4A16_CLI_CUDA(cudaStreamSynchronize(s));
  std::vector<double> per_launch_us[2];
  for (size_t j = 0; j < segments.size(); ++j) {
    if (!segments[j].counted) continue;
    float ms = 0;
    W4A16_CLI_CUDA(cudaEventElapsedTime(&ms, events[j].get(), events[j + 1].get()));
    per_launch_us[segments[j].side].push_back(1000.0 * ms / side[segments[j].side]->launches);
  }
  for (int i = 0; i < 2; ++i) {
    set_times(t[i], per_launch_us[i]);
    t[i].clocks = summarize(std::move(samples[i]));
  }
  return {t[0], t[1]};
}

// ---- ceilings -----------------------------------------------------------------

struct Ceilings {
  double copy_gbps = 0;
  size_t copy_bytes = 0;
  double bf16_tflops = 0;
  Timing copy_timing, gemm_timing;
};

Ceilings measure_ceilings(const BenchConfig& cfg, cudaStream_t s, testutil::CublasBf16& cublas) {
  Ceilings c;
  const int replays = cfg.quick ? 5 : 10;

  // Copy bandwidth: 1 GiB device-to-device, counting bytes read + written.
  size_t bytes = size_t{1} << 30;
  const size_t free_bytes = free_device_memory();
  if (2 * bytes > free_bytes / 2) bytes = (free_bytes / 4) / (size_t{1} << 20) * (size_t{1} << 20);
  {
    DeviceBuffer a(bytes), b(bytes);
    W4A16_CLI_CUDA(cudaMemsetAsync(a.get(), 0x3c, bytes, s));
    W4A16_CLI_CUDA(cudaMemsetAsync(b.get(), 0x3c, bytes, s));
    auto enqueue = [&](int i, cudaStream_t st) {
      const DeviceBuffer& src = (i % 2 == 0) ? a : b;
      const DeviceBuffer& dst = (i % 2 == 0) ? b : a;
      W4A16_CLI_CUDA(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, st));
    };
    // Plain stream launches: in a CUDA graph a device-to-device memcpy node runs
    // on a copy engine, about 20% slower than the SM copy a stream launch gets
    // (H100: 2.44 vs 3.01 TB/s), which would understate the ceiling.  At
    // 1 GiB per copy the launch overhead is negligible.
    c.copy_timing = time_launches("cudaMemcpyAsync", s, 2, replays, 100.0, enqueue, true, false);
    c.copy_bytes = bytes;
    c.copy_gbps = 2.0 * static_cast<double>(bytes) / (c.copy_timing.median_us * 1e-6) / 1e9;
  }

  // Tensor rate: cuBLAS bf16 8192^3 on random data (power draw, and hence
  // clocks, depend on the data: zeros would flatter the ceiling).  The warm-up
  // is as short as each shape's: on an H100 the sustained rate sinks from
  // ~755 to ~665 TFLOP/s over seconds of back-to-back 8192^3 GEMMs as the
  // board heats, and the shapes themselves run in short bursts.
  const int n = 8192;
  const size_t elems = static_cast<size_t>(n) * n;
  {
    const std::vector<uint16_t> host = random_normal_bf16(elems, cfg.seed ^ 0x7e5a11u);
    DeviceBuffer x(elems * 2), w(elems * 2), y(elems * 2);
    W4A16_CLI_CUDA(cudaMemcpy(x.get(), host.data(), elems * 2, cudaMemcpyHostToDevice));
    // W = X with its halves swapped: different operands without a second slow host fill.
    W4A16_CLI_CUDA(cudaMemcpy(w.get(), host.data() + elems / 2, elems, cudaMemcpyHostToDevice));
    W4A16_CLI_CUDA(cudaMemcpy(w.bytes() + elems, host.data(), elems, cudaMemcpyHostToDevice));
    auto enqueue = [&](int, cudaStream_t st) {
      std::string err;
      if (!cublas.gemm(x.get(), w.get(), y.get(), n, n, n, 1.0f, 0.0f, st, &err)) fail("cuBLAS bf16 GEMM: " + err);
    };
    enqueue(0, s);
    W4A16_CLI_CUDA(cudaStreamSynchronize(s));
    c.gemm_timing = time_launches("cuBLAS 8192^3", s, 3, replays, 100.0, enqueue, true);
    c.bf16_tflops = 2.0 * n * static_cast<double>(n) * n / (c.gemm_timing.median_us * 1e-6) / 1e12;
  }
  return c;
}

// ---- per-shape data -------------------------------------------------------------

// Rotated copies of one quantized weight matrix, and of its bf16 dequantization
// for cuBLAS, plus the host copy used by the reference.  Kept across shapes
// that share (N, K, g, zeros): the copy counts depend only on those.
struct WeightSet {
  int N = 0, K = 0, g = 0;
  bool zeros = false;
  size_t packed_bytes = 0, sz_bytes = 0, stride = 0;
  int copies = 0;
  DeviceBuffer q;  // copies x [packed | scales | zeros]
  size_t bf16_stride = 0;
  int bf16_copies = 0;
  DeviceBuffer bf16;
  std::vector<uint16_t> host_dequant;  // [N, K], from the host dequantizer
  bool gpu_dequant_matches = true;

  bool matches(int n, int k, int gs, bool z) const { return q.get() != nullptr && N == n && K == k && g == gs && zeros == z; }
  const void* packed(int i) const { return q.bytes() + (i % copies) * stride; }
  const void* scales(int i) const { return q.bytes() + (i % copies) * stride + align_up(packed_bytes); }
  const void* zero_points(int i) const {
    return zeros ? q.bytes() + (i % copies) * stride + align_up(packed_bytes) + align_up(sz_bytes) : nullptr;
  }
  const void* dequant(int i) const { return bf16.bytes() + (i % bf16_copies) * bf16_stride; }
  size_t rotated_bytes() const { return static_cast<size_t>(copies) * (packed_bytes + sz_bytes * (zeros ? 2 : 1)); }
  size_t bf16_rotated_bytes() const { return static_cast<size_t>(bf16_copies) * N * static_cast<size_t>(K) * 2; }
};

void build_weights(WeightSet& w, int N, int K, int g, bool zeros, size_t l2, uint64_t seed, cudaStream_t s) {
  w = WeightSet();  // release the previous set before sizing the new one
  w.N = N;
  w.K = K;
  w.g = g;
  w.zeros = zeros;
  const size_t nk = static_cast<size_t>(N) * K;
  w.packed_bytes = nk / 2;
  w.sz_bytes = nk / g * 2;
  w.stride = align_up(w.packed_bytes) + align_up(w.sz_bytes) * (zeros ? 2 : 1);
  w.bf16_stride = align_up(nk * 2);
  const size_t budget = free_device_memory() * 3 / 10;
  w.copies = rotation_copies(w.stride, l2, budget, 2, kMaxCopies);
  w.bf16_copies = rotation_copies(w.bf16_stride, l2, budget, 2, kMaxCopies);
  w.q = DeviceBuffer(w.stride * w.copies);
  w.bf16 = DeviceBuffer(w.bf16_stride * w.bf16_copies);

  {
    const std::vector<uint16_t> host_w = random_normal_bf16(nk, seed);
    DeviceBuffer d_w(nk * 2);
    W4A16_CLI_CUDA(cudaMemcpyAsync(d_w.get(), host_w.data(), nk * 2, cudaMemcpyHostToDevice, s));
    check(quantizeWeightToINT4Ex(d_w.get(), const_cast<void*>(w.packed(0)), const_cast<void*>(w.scales(0)),
                                 const_cast<void*>(w.zero_points(0)), N, K, g, s),
          "quantizeWeightToINT4Ex");
    W4A16_CLI_CUDA(cudaStreamSynchronize(s));
  }
  for (int i = 1; i < w.copies; ++i) {
    W4A16_CLI_CUDA(cudaMemcpyAsync(w.q.bytes() + i * w.stride, w.q.get(), w.stride, cudaMemcpyDeviceToDevice, s));
  }
  check(w4a16DequantizeToBF16(w.packed(0), w.scales(0), w.zero_points(0), w.bf16.get(), N, K, g, s),
        "w4a16DequantizeToBF16");
  for (int i = 1; i < w.bf16_copies; ++i) {
    W4A16_CLI_CUDA(cudaMemcpyAsync(w.bf16.bytes() + i * w.bf16_stride, w.bf16.get(), nk * 2,
                                   cudaMemcpyDeviceToDevice, s));
  }

  // Reference weights from the host dequantizer, so that the error column does
  // not depend on the GPU dequantizer that also feeds cuBLAS.
  std::vector<uint8_t> packed(w.packed_bytes);
  std::vector<uint16_t> scales(w.sz_bytes / 2), zs(zeros ? w.sz_bytes / 2 : 0), gpu_dq(nk);
  W4A16_CLI_CUDA(cudaMemcpyAsync(packed.data(), w.packed(0), w.packed_bytes, cudaMemcpyDeviceToHost, s));
  W4A16_CLI_CUDA(cudaMemcpyAsync(scales.data(), w.scales(0), w.sz_bytes, cudaMemcpyDeviceToHost, s));
  if (zeros) W4A16_CLI_CUDA(cudaMemcpyAsync(zs.data(), w.zero_points(0), w.sz_bytes, cudaMemcpyDeviceToHost, s));
  W4A16_CLI_CUDA(cudaMemcpyAsync(gpu_dq.data(), w.bf16.get(), nk * 2, cudaMemcpyDeviceToHost, s));
  W4A16_CLI_CUDA(cudaStreamSynchronize(s));
  w.host_dequant.resize(nk);
  check(w4a16DequantizeHost(packed.data(), scales.data(), zeros ? zs.data() : nullptr, w.host_dequant.data(), N, K,
                            g),
        "w4a16DequantizeHost");
  w.gpu_dequant_matches = gpu_dq == w.host_dequant;
}

// ---- results ------------------------------------------------------------------------

// What one eager call costs the CPU (argument checks, dispatch, the launch):
// the wall time of kHostCalls calls queued back to back on an idle stream,
// over their count, median of kHostBatches batches.  The launch queue holds
// them all, so no call waits for the GPU.  The first call of each batch's
// kind ran before (the correctness launch), so plan memos and lazily loaded
// modules are warm, as in an application's steady state.
constexpr int kHostCalls = 64;
constexpr int kHostBatches = 5;
double host_us_per_call(cudaStream_t s, int copies, const Enqueue& enqueue) {
  std::vector<double> us;
  for (int b = 0; b < kHostBatches; ++b) {
    W4A16_CLI_CUDA(cudaStreamSynchronize(s));
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kHostCalls; ++i) enqueue(i % copies, s);
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / kHostCalls);
  }
  W4A16_CLI_CUDA(cudaStreamSynchronize(s));
  return median(us);
}

struct Row {
  int M = 0, N = 0, K = 0, group = 0;
  bool zeros = false;
  double floor_bytes = 0, flops = 0, floor_us = 0;
  Timing ours, cublas;
  int weight_copies = 0, bf16_copies = 0, act_copies = 0, launches = 0, cublas_launches = 0;
  size_t rotated_bytes = 0, bf16_rotated_bytes = 0, workspace = 0;
  bool rotated_below_2x_l2 = false;
  double max_err_ratio = 0;
  bool err_ok = true;
  std::string err_detail;
  bool dequant_matches = true;
  bool packed = false;
  std::string dispatch;
  double host_us = NAN, cublas_host_us = NAN;  // CPU time of one eager call (host_us_per_call)

  double tflops() const { return flops / (ours.median_us * 1e-6) / 1e12; }
  double gbps() const { return floor_bytes / (ours.median_us * 1e-6) / 1e9; }
  double pct_floor() const { return 100.0 * floor_us / ours.median_us; }
  double cublas_tflops() const { return flops / (cublas.median_us * 1e-6) / 1e12; }
  double speedup() const { return cublas.median_us / ours.median_us; }
};

// One row per configuration of cfg.configs (one row, the dispatcher's, when
// there is none): the weights, activations and packs are built once per shape
// and shared by the rows; each row times cuBLAS again, interleaved with its
// kernel (time_pair).
std::vector<Row> bench_shape(const BenchConfig& cfg, const Shape& shape, const DeviceInfo& dev, const Ceilings& ceil,
                             WeightSet& weights, testutil::CublasBf16& cublas, cudaStream_t s) {
  const int M = shape.M, N = shape.N, K = shape.K;
  const int g = cfg.group == 0 ? K : cfg.group;
  const auto force = [&](size_t i) {
    if (!cfg.configs.empty()) setenv("W4A16_FORCE_CONFIG", cfg.configs[i].c_str(), 1);
  };
  force(0);
  Row row;
  row.M = M;
  row.N = N;
  row.K = K;
  row.group = g;
  row.zeros = cfg.zeros;

  // Validates the shape (with the library's message) before anything is
  // allocated.  (--packed: the pack's own calls below; a configuration forced
  // with --config may then read packed weights only, which the canonical
  // calls would refuse.)
  char dispatch[1024];
  size_t pack_bytes = 0;
  if (cfg.packed) {
    check(w4a16GetPackedWeightsSize(N, K, g, cfg.zeros, &pack_bytes), "w4a16GetPackedWeightsSize");
  } else {
    check(w4a16GetWorkspaceSize(M, N, K, g, cfg.zeros, &row.workspace), "w4a16GetWorkspaceSize");
    check(w4a16DescribeDispatch(M, N, K, g, cfg.zeros, dispatch, sizeof dispatch), "w4a16DescribeDispatch");
    row.dispatch = dispatch;
  }
  row.packed = cfg.packed;

  const double m = M, n = N, k = K;
  row.floor_bytes = n * k / 2 + n * k / g * 2 * (cfg.zeros ? 2 : 1) + m * k * 2 + m * n * 2 * (cfg.beta != 0 ? 2 : 1);
  row.flops = 2 * m * n * k;
  row.floor_us = 1e6 * std::max(row.floor_bytes / (ceil.copy_gbps * 1e9), row.flops / (ceil.bf16_tflops * 1e12));

  if (!weights.matches(N, K, g, cfg.zeros)) {
    const uint64_t wseed = cfg.seed ^ (static_cast<uint64_t>(N) << 40) ^ (static_cast<uint64_t>(K) << 16) ^ g;
    build_weights(weights, N, K, g, cfg.zeros, dev.l2, wseed, s);
  }
  row.weight_copies = weights.copies;
  row.bf16_copies = weights.bf16_copies;
  row.rotated_bytes = weights.rotated_bytes();
  row.bf16_rotated_bytes = weights.bf16_rotated_bytes();
  row.rotated_below_2x_l2 = row.rotated_bytes <= 2 * dev.l2 || row.bf16_rotated_bytes <= 2 * dev.l2;
  row.dequant_matches = weights.gpu_dequant_matches;

  // Activations and outputs rotate too (a few copies; they are small next to
  // the weights except at large M, where the copy count drops to 2).
  const size_t mk = static_cast<size_t>(M) * K, mn = static_cast<size_t>(M) * N;
  const size_t act_stride = align_up(mk * 2), out_stride = align_up(mn * 2);
  row.act_copies = rotation_copies(act_stride + out_stride, dev.l2, free_device_memory() / 2, 2, 8);
  DeviceBuffer act(act_stride * row.act_copies), out(out_stride * row.act_copies);
  const uint64_t aseed = cfg.seed ^ (static_cast<uint64_t>(M) << 48) ^ (static_cast<uint64_t>(K) << 20) ^ 0xac7;
  const std::vector<uint16_t> x = random_normal_bf16(mk, aseed);
  std::vector<uint16_t> y0;
  for (int i = 0; i < row.act_copies; ++i) {
    W4A16_CLI_CUDA(cudaMemcpyAsync(act.bytes() + i * act_stride, x.data(), mk * 2, cudaMemcpyHostToDevice, s));
  }
  if (cfg.beta != 0) {
    y0 = random_normal_bf16(mn, aseed ^ 0x5eed);
    for (int i = 0; i < row.act_copies; ++i) {
      W4A16_CLI_CUDA(cudaMemcpyAsync(out.bytes() + i * out_stride, y0.data(), mn * 2, cudaMemcpyHostToDevice, s));
    }
  }
  // --packed: each rotated weight copy packed once, outside the timing (what
  // an engine build or a model load does), then the forward on the packs.
  std::vector<w4a16PackedWeights> packs;
  DeviceBuffer pack_memory;
  if (cfg.packed) {
    const size_t pack_stride = align_up(pack_bytes);
    pack_memory = DeviceBuffer(pack_stride * weights.copies);
    packs.resize(weights.copies);
    for (int i = 0; i < weights.copies; ++i) {
      check(w4a16PackWeights(weights.packed(i), weights.scales(i), weights.zero_points(i), N, K, g,
                             pack_memory.bytes() + i * pack_stride, pack_bytes, &packs[i], s),
            "w4a16PackWeights");
    }
    W4A16_CLI_CUDA(cudaStreamSynchronize(s));
  }
  DeviceBuffer workspace;

  auto ours = [&](int i, cudaStream_t st) {
    const int a = i % row.act_copies;
    if (cfg.packed) {
      check(w4a16GemmForwardPackedEx(act.bytes() + a * act_stride, &packs[i % weights.copies],
                                     out.bytes() + a * out_stride, M, cfg.alpha, cfg.beta, workspace.get(),
                                     workspace.size(), cfg.overlap_previous ? unsigned{W4A16_FORWARD_OVERLAP_PREVIOUS} : 0u,
                                     st),
            "w4a16GemmForwardPackedEx");
      return;
    }
    check(w4a16GemmForwardEx(act.bytes() + a * act_stride, weights.packed(i), weights.scales(i),
                             weights.zero_points(i), out.bytes() + a * out_stride, M, N, K, g, cfg.alpha, cfg.beta,
                             workspace.get(), workspace.size(), st),
          "w4a16GemmForwardEx");
  };
  auto theirs = [&](int i, cudaStream_t st) {
    const int a = i % row.act_copies;
    std::string err;
    if (!cublas.gemm(act.bytes() + a * act_stride, weights.dequant(i), out.bytes() + a * out_stride, M, N, K,
                     cfg.alpha, cfg.beta, st, &err)) {
      fail("cuBLAS bf16 GEMM: " + err);
    }
  };

  // The fp64 reference of the sampled rows (an fp64 reference of all of
  // M x N x K would take minutes on the host for the large shapes).
  const int rows = std::min(M, cfg.sample_rows);
  const auto sampled_row = [&](int r) {
    return rows == 1 ? 0 : static_cast<int>(static_cast<int64_t>(r) * (M - 1) / (rows - 1));
  };
  std::vector<uint16_t> xs(static_cast<size_t>(rows) * K), ys(static_cast<size_t>(rows) * N),
      y0s(cfg.beta != 0 ? static_cast<size_t>(rows) * N : 0);
  for (int r = 0; r < rows; ++r) {
    const int mi = sampled_row(r);
    std::copy_n(x.begin() + static_cast<size_t>(mi) * K, K, xs.begin() + static_cast<size_t>(r) * K);
    if (cfg.beta != 0) std::copy_n(y0.begin() + static_cast<size_t>(mi) * N, N, y0s.begin() + static_cast<size_t>(r) * N);
  }
  std::vector<double> ref, absref;
  testutil::reference_gemm_fp64(xs.data(), weights.host_dequant.data(), cfg.beta != 0 ? y0s.data() : nullptr, rows,
                                N, K, cfg.alpha, cfg.beta, ref, absref);

  const double warmup_ms = cfg.warmup_ms;
  std::vector<Row> out_rows;
  for (size_t ci = 0; ci < std::max<size_t>(1, cfg.configs.size()); ++ci) {
    force(ci);
    Row& r = out_rows.emplace_back(row);
    if (cfg.packed) {
      check(w4a16GetWorkspaceSizePacked(M, &packs[0], &r.workspace), "w4a16GetWorkspaceSizePacked");
      check(w4a16DescribeDispatchPacked(M, &packs[0], dispatch, sizeof dispatch), "w4a16DescribeDispatchPacked");
    } else {
      check(w4a16GetWorkspaceSize(M, N, K, g, cfg.zeros, &r.workspace), "w4a16GetWorkspaceSize");
      check(w4a16DescribeDispatch(M, N, K, g, cfg.zeros, dispatch, sizeof dispatch), "w4a16DescribeDispatch");
    }
    r.dispatch = dispatch;
    workspace = DeviceBuffer(r.workspace);

    // Accuracy on the sampled rows.  With beta == 0 the output is poisoned
    // with NaN (0xFFFF) first, so a row the kernel skips cannot pass; with
    // beta != 0 copy 0's Y is (re)loaded, as the timed launches consume it.
    if (cfg.beta == 0) {
      W4A16_CLI_CUDA(cudaMemsetAsync(out.get(), 0xFF, mn * 2, s));
    } else {
      W4A16_CLI_CUDA(cudaMemcpyAsync(out.get(), y0.data(), mn * 2, cudaMemcpyHostToDevice, s));
    }
    ours(0, s);
    W4A16_CLI_CUDA(cudaStreamSynchronize(s));
    for (int k = 0; k < rows; ++k) {
      W4A16_CLI_CUDA(cudaMemcpy(ys.data() + static_cast<size_t>(k) * N,
                                out.bytes() + static_cast<size_t>(sampled_row(k)) * N * 2, static_cast<size_t>(N) * 2,
                                cudaMemcpyDeviceToHost));
    }
    const testutil::CompareResult cmp = testutil::compare(ys.data(), ref, absref, K);
    r.max_err_ratio = cmp.max_err_over_tol;
    r.err_ok = cmp.ok;
    if (!cmp.ok) r.err_detail = cmp.describe();
    if (cfg.beta != 0) {
      // The correctness launch consumed copy 0's Y; restore it so every timed
      // launch of either library starts from the same kind of data.
      W4A16_CLI_CUDA(cudaMemcpyAsync(out.get(), y0.data(), mn * 2, cudaMemcpyHostToDevice, s));
    }
    r.launches = launches_for(weights.copies);
    if (ci == 0) {
      theirs(0, s);  // outside capture: surfaces errors and lets cuBLAS pick its kernel
      W4A16_CLI_CUDA(cudaStreamSynchronize(s));
    }
    r.cublas_launches = launches_for(weights.bf16_copies);
    const Enqueue ours_fn = ours, theirs_fn = theirs;
    std::tie(r.ours, r.cublas) =
        time_pair(s, cfg.replays, warmup_ms, Timed{"w4a16GemmForwardEx", r.launches, &ours_fn, false},
                  Timed{"cuBLAS", r.cublas_launches, &theirs_fn, true});
    r.host_us = host_us_per_call(s, weights.copies, ours);
    r.cublas_host_us = ci == 0 ? host_us_per_call(s, weights.bf16_copies, theirs) : out_rows.front().cublas_host_us;
  }
  return out_rows;
}

// ---- output -----------------------------------------------------------------------

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += format("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v, const char* fmt = "%.6g") { return std::isfinite(v) ? format(fmt, v) : "null"; }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct Meta {
  std::string date, command, commit;
  DeviceInfo dev;
  Ceilings ceil;
  const BenchConfig* cfg = nullptr;
};

std::vector<std::pair<std::string, std::string>> meta_fields(const Meta& m) {
  const BenchConfig& c = *m.cfg;
  return {
      {"date", json_string(m.date)},
      {"gpu", json_string(m.dev.name)},
      {"compute_capability", json_string(format("%d.%d", m.dev.cc_major, m.dev.cc_minor))},
      {"sm_count", format("%d", m.dev.sms)},
      {"l2_bytes", format("%zu", m.dev.l2)},
      {"memory_bytes", format("%zu", m.dev.total_mem)},
      {"driver_version", format("%d", m.dev.driver)},
      {"runtime_version", format("%d", m.dev.runtime)},
      {"library_version", json_string(w4a16VersionString())},
      {"copy_bw_gbps", json_number(m.ceil.copy_gbps, "%.1f")},
      {"copy_bytes", format("%zu", m.ceil.copy_bytes)},
      {"bf16_tflops", json_number(m.ceil.bf16_tflops, "%.1f")},
      {"bf16_timing", json_string(m.ceil.gemm_timing.graph ? "graph" : "stream")},
      {"packed_weights", c.packed ? "true" : "false"},
      {"overlap_previous", c.overlap_previous ? "true" : "false"},
      {"copy_timing", json_string("stream")},
      {"git_commit", json_string(m.commit)},
      {"command", json_string(m.command)},
      {"seed", format("%llu", static_cast<unsigned long long>(c.seed))},
      {"alpha", json_number(c.alpha)},
      {"beta", json_number(c.beta)},
      {"replays", format("%d", c.replays)},
      {"sample_rows", format("%d", c.sample_rows)},
      {"warmup_ms", json_number(c.warmup_ms)},
      {"method", json_string("per-launch time = median over CUDA-graph replays of (replay time / launches per graph);"
                             " weights, activations and outputs rotate over copies exceeding 2x L2 where memory"
                             " and the 512-copy cap allow; floor = max(floor_bytes / copy_bw, 2MNK / bf16 rate);"
                             " host_us / cublas_host_us = CPU time of one eager call (wall time of 64 calls queued"
                             " on an idle stream / 64, median of 5); cuBLAS timed interleaved with ours (warm-ups"
                             " replay by replay, then blocks of about 2 ms of replays per side, the first replay of"
                             " each block not counted); sm_mhz_* / clock_reasons = NVML SM clock and clock-event"
                             " reasons sampled during each side's timed replays (0 / \"-\": none sampled)")},
  };
}

std::vector<std::pair<std::string, std::string>> row_fields(const Row& r) {
  return {
      {"M", format("%d", r.M)},
      {"N", format("%d", r.N)},
      {"K", format("%d", r.K)},
      {"group", format("%d", r.group)},
      {"zeros", r.zeros ? "true" : "false"},
      {"time_us", json_number(r.ours.median_us, "%.3f")},
      {"tflops", json_number(r.tflops(), "%.3f")},
      {"gbps", json_number(r.gbps(), "%.1f")},
      {"pct_floor", json_number(r.pct_floor(), "%.2f")},
      {"cublas_us", json_number(r.cublas.median_us, "%.3f")},
      {"cublas_tflops", json_number(r.cublas_tflops(), "%.3f")},
      {"speedup", json_number(r.speedup(), "%.3f")},
      {"max_err_ratio", json_number(r.max_err_ratio, "%.4f")},
      {"dispatch", json_string(r.dispatch)},
      {"host_us", json_number(r.host_us, "%.3f")},
      {"cublas_host_us", json_number(r.cublas_host_us, "%.3f")},
      {"floor_us", json_number(r.floor_us, "%.3f")},
      {"floor_bytes", json_number(r.floor_bytes, "%.0f")},
      {"time_us_min", json_number(r.ours.min_us, "%.3f")},
      {"time_us_max", json_number(r.ours.max_us, "%.3f")},
      {"cublas_us_min", json_number(r.cublas.min_us, "%.3f")},
      {"cublas_us_max", json_number(r.cublas.max_us, "%.3f")},
      {"cublas_timing", json_string(r.cublas.graph ? "graph" : "stream")},
      {"err_ok", r.err_ok ? "true" : "false"},
      {"workspace_bytes", format("%zu", r.workspace)},
      {"weight_copies", format("%d", r.weight_copies)},
      {"weight_rotated_bytes", format("%zu", r.rotated_bytes)},
      {"bf16_copies", format("%d", r.bf16_copies)},
      {"bf16_rotated_bytes", format("%zu", r.bf16_rotated_bytes)},
      {"act_copies", format("%d", r.act_copies)},
      {"launches_per_graph", format("%d", r.launches)},
      {"cublas_launches_per_graph", format("%d", r.cublas_launches)},
      {"rotated_below_2x_l2", r.rotated_below_2x_l2 ? "true" : "false"},
      {"sm_mhz_median", format("%u", r.ours.clocks.sm_mhz_median)},
      {"sm_mhz_min", format("%u", r.ours.clocks.sm_mhz_min)},
      {"sm_mhz_max", format("%u", r.ours.clocks.sm_mhz_max)},
      {"clock_samples", format("%d", r.ours.clocks.samples)},
      {"clock_reasons", json_string(r.ours.clocks.reasons_text())},
      {"cublas_sm_mhz_median", format("%u", r.cublas.clocks.sm_mhz_median)},
      {"cublas_clock_reasons", json_string(r.cublas.clocks.reasons_text())},
  };
}

void write_json(const std::string& path, const Meta& meta, const std::vector<Row>& rows) {
  std::string s = "{\n  \"meta\": {\n";
  const auto mf = meta_fields(meta);
  for (size_t i = 0; i < mf.size(); ++i) {
    s += "    " + json_string(mf[i].first) + ": " + mf[i].second + (i + 1 < mf.size() ? ",\n" : "\n");
  }
  s += "  },\n  \"rows\": [\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto rf = row_fields(rows[r]);
    s += "    {";
    for (size_t i = 0; i < rf.size(); ++i) s += (i ? ", " : "") + json_string(rf[i].first) + ": " + rf[i].second;
    s += (r + 1 < rows.size()) ? "},\n" : "}\n";
  }
  s += "  ]\n}\n";
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), &std::fclose);
  if (!f || std::fwrite(s.data(), 1, s.size(), f.get()) != s.size()) fail("cannot write " + path);
}

// CSV: metadata as leading "# key: value" comment lines, then one header row.
void write_csv(const std::string& path, const Meta& meta, const std::vector<Row>& rows) {
  auto unquote = [](const std::string& v) {
    return v.size() >= 2 && v.front() == '"' ? v.substr(1, v.size() - 2) : v;
  };
  std::string s;
  for (const auto& [k, v] : meta_fields(meta)) s += "# " + k + ": " + unquote(v) + "\n";
  const Row empty;
  const auto names = row_fields(empty);
  for (size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i].first;
  s += "\n";
  for (const Row& r : rows) {
    const auto rf = row_fields(r);
    for (size_t i = 0; i < rf.size(); ++i) {
      s += (i ? "," : "") + (rf[i].first == "dispatch" ? csv_field(r.dispatch) : rf[i].second);
    }
    s += "\n";
  }
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), &std::fclose);
  if (!f || std::fwrite(s.data(), 1, s.size(), f.get()) != s.size()) fail("cannot write " + path);
}

void print_header() {
  std::printf("%6s %6s %6s  %10s %8s %8s %7s  %10s %9s %7s  %7s  %11s  %11s  %s\n", "M", "N", "K", "time_us",
              "TFLOP/s", "GB/s", "%floor", "cublas_us", "cuBLAS_TF", "speedup", "err/tol", "host_us/cub", "MHz/cub",
              "dispatch");
}

void print_row(const Row& r) {
  std::printf("%6d %6d %6d  %9.2f%c %8.2f %8.1f %7.1f  %9.2f%c %9.2f %6.2fx  %7.3f%s  %5.1f/%5.1f  %5s/%-5s  %s\n",
              r.M, r.N, r.K, r.ours.median_us, r.rotated_below_2x_l2 ? '*' : ' ', r.tflops(), r.gbps(), r.pct_floor(),
              r.cublas.median_us, r.cublas.graph ? ' ' : '!', r.cublas_tflops(), r.speedup(), r.max_err_ratio,
              r.err_ok ? "" : " FAIL", r.host_us, r.cublas_host_us, r.ours.clocks.short_text().c_str(),
              r.cublas.clocks.short_text().c_str(), r.dispatch.c_str());
  if (!r.err_ok) std::printf("        accuracy: %s\n", r.err_detail.c_str());
  if (!r.dequant_matches) {
    std::printf("        warning: w4a16DequantizeToBF16 differs from w4a16DequantizeHost: cuBLAS ran on other weights\n");
  }
  std::fflush(stdout);
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  Args args(argc, argv, 2, {"--quick", "--sym", "--launch-floor", "--packed", "--overlap"},
            {"--csv", "--json", "--group", "--shapes", "--repeats", "--beta", "--alpha", "--seed", "--config",
             "--warmup-ms", "--sample-rows"});
  if (!args.positional().empty()) usage_error("bench takes no positional arguments");
  // --config NAME[:SPLIT][,NAME[:SPLIT]...] times these kernel configurations
  // instead of the dispatcher's choice, one row each per shape (the library
  // reads W4A16_FORCE_CONFIG on every call).
  BenchConfig cfg;
  if (args.has("--config")) {
    const std::string list = args.get("--config", "");
    for (size_t begin = 0; begin <= list.size();) {
      const size_t end = std::min(list.find(',', begin), list.size());
      if (end == begin) usage_error("--config: empty configuration name in '" + list + "'");
      cfg.configs.push_back(list.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  cfg.quick = args.has("--quick");
  cfg.zeros = !args.has("--sym");
  cfg.packed = args.has("--packed");
  cfg.overlap_previous = args.has("--overlap");
  if (cfg.overlap_previous && !cfg.packed) usage_error("--overlap needs --packed (w4a16GemmForwardPackedEx)");
  cfg.group = args.get("--group", "") == "K" ? 0 : args.get_int("--group", W4A16_DEFAULT_GROUP_SIZE, 1, 1 << 30);
  cfg.replays = args.get_int("--repeats", cfg.quick ? 5 : 20, 3, 100000);
  cfg.alpha = static_cast<float>(args.get_double("--alpha", 1.0));
  cfg.beta = static_cast<float>(args.get_double("--beta", 0.0));
  cfg.sample_rows = args.get_int("--sample-rows", cfg.quick ? 4 : 16, 1, 1 << 20);
  cfg.warmup_ms = args.get_double("--warmup-ms", cfg.quick ? 30.0 : 100.0);
  if (!(cfg.warmup_ms >= 0.0 && cfg.warmup_ms <= 60000.0)) usage_error("--warmup-ms: 0 to 60000");
  cfg.shapes = parse_shapes(args.get("--shapes", "all"), cfg.quick);
  const std::string csv_path = args.get("--csv", "");
  const std::string json_path = args.get("--json", "");
  require_gpu("bench", "; nothing to measure");
  cfg.seed = args.has("--seed") ? args.get_u64("--seed", 0) : testutil::seed_from_env_or_random();

  Meta meta;
  meta.date = utc_now_iso();
  meta.command = command_line(argc, argv);
  meta.commit = git_commit();
  meta.dev = query_device();
  meta.cfg = &cfg;

  Stream stream;
  testutil::CublasBf16 cublas;
  int cuda_device = 0;
  W4A16_CLI_CUDA(cudaGetDevice(&cuda_device));
  const GpuMonitor monitor(cuda_device);
  g_monitor = &monitor;

  std::printf("w4a16 bench on %s (CC %d.%d, %d SMs, L2 %s), library %s, commit %s, %s\n", meta.dev.name.c_str(),
              meta.dev.cc_major, meta.dev.cc_minor, meta.dev.sms, human_bytes(static_cast<double>(meta.dev.l2)).c_str(),
              w4a16VersionString(), meta.commit.c_str(), meta.date.c_str());
  std::fflush(stdout);
  meta.ceil = measure_ceilings(cfg, stream.get(), cublas);
  const Ceilings& c = meta.ceil;
  std::printf("ceilings: copy %.0f GB/s (cudaMemcpyAsync D2D of %s on a stream, bytes read + written, median of %d)\n",
              c.copy_gbps, human_bytes(static_cast<double>(c.copy_bytes)).c_str(), cfg.quick ? 5 : 10);
  std::printf("          bf16 %.1f TFLOP/s (cuBLAS 8192^3 on random data, median of %d%s; SM clock %s MHz, %s)\n",
              c.bf16_tflops, cfg.quick ? 5 : 10,
              c.gemm_timing.graph ? ", CUDA graph" : ", stream launches: graph capture failed",
              c.gemm_timing.clocks.short_text().c_str(), c.gemm_timing.clocks.reasons_text().c_str());
  if (!monitor.available()) std::printf("clocks: not sampled (%s)\n", monitor.why().c_str());
  const std::string group_text = cfg.group == 0 ? std::string("K") : format("%d", cfg.group);
  std::printf("method: group %s, %s, alpha %g, beta %g, seed %llu; per launch = median of %d CUDA-graph replays / "
              "launches per graph;\n        weights (and cuBLAS's bf16 weights) rotate over copies > 2x L2; "
              "err/tol on %d sampled rows vs fp64; warm-up %g ms per shape;\n        host_us/cub = CPU time of one eager call, ours / "
              "cuBLAS's (64 calls queued on an idle stream, median of 5 batches);\n        MHz/cub = median SM clock "
              "sampled (NVML) during the timed replays, p = power or thermal limit flagged%s\n\n",
              group_text.c_str(), cfg.zeros ? "zero points" : "symmetric", cfg.alpha, cfg.beta,
              static_cast<unsigned long long>(cfg.seed), cfg.replays, cfg.sample_rows, cfg.warmup_ms,
              cfg.overlap_previous ? ";\n        --overlap: each call may start before the previous one ends "
                                     "(W4A16_FORWARD_OVERLAP_PREVIOUS)"
                                   : "");
  if (args.has("--launch-floor")) {
    // What the harness itself costs per launch: an empty kernel, timed like the GEMMs
    // (graph replays of kMinLaunchesPerGraph back-to-back launches, median per launch).
    for (const int blocks : {1, 132, 264, 1056}) {
      auto empty = [&](int, cudaStream_t st) { W4A16_CLI_CUDA(launch_empty_kernel(blocks, 256, st)); };
      const Timing t = time_launches("empty kernel", stream.get(), kMinLaunchesPerGraph, cfg.replays, 30.0, empty, false);
      std::printf("launch floor: empty kernel, %4d blocks x 256 threads, %d per graph: %.2f us per launch "
                  "(min %.2f, max %.2f)\n",
                  blocks, kMinLaunchesPerGraph, t.median_us, t.min_us, t.max_us);
    }
    std::printf("\n");
  }
  print_header();
  std::fflush(stdout);

  std::vector<Row> rows;
  WeightSet weights;
  bool any_below = false, any_stream = false, all_ok = true;
  for (const Shape& shape : cfg.shapes) {
    for (Row& r : bench_shape(cfg, shape, meta.dev, c, weights, cublas, stream.get())) {
      print_row(r);
      any_below = any_below || r.rotated_below_2x_l2;
      if (!r.cublas.graph && !any_stream) {
        std::printf("        note: cuBLAS launches could not be graph-captured (%s); timed as stream launches\n",
                    r.cublas.fallback_reason.c_str());
      }
      any_stream = any_stream || !r.cublas.graph;
      all_ok = all_ok && r.err_ok && r.dequant_matches;
      rows.push_back(std::move(r));
    }
  }
  if (any_below) {
    std::printf("\n* the rotated weight set stayed below 2x L2 (%d-copy cap or memory): partly L2-resident\n",
                kMaxCopies);
  }
  if (any_stream) std::printf("! cuBLAS timed with back-to-back stream launches (includes launch overhead)\n");

  if (!json_path.empty()) {
    write_json(json_path, meta, rows);
    std::printf("wrote %s\n", json_path.c_str());
  }
  if (!csv_path.empty()) {
    write_csv(csv_path, meta, rows);
    std::printf("wrote %s\n", csv_path.c_str());
  }
  if (!all_ok) {
    std::fprintf(stderr, "w4a16 bench: accuracy check failed for at least one shape (see FAIL above)\n");
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace w4a16::cli
