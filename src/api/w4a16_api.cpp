// The public C API: argument checks, dispatch, launch.  Everything below
// returns a status; no exception leaves this file (the only throwing calls,
// std::string allocations in the dispatcher, are wrapped).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "core/device_info.h"
#include "core/status.h"
#include "core/validate.h"
#include "dispatch/autotune_cache.h"
#include "dispatch/dispatch.h"
#include "dispatch/plan_cache.h"
#include "kernels/sm80/sm80_mma_gemm.h"
#include "kernels/sm90/sm90_mixed_gemm.h"
#include "quant/quantize.h"
#include "w4a16/w4a16.h"

namespace w4a16::detail {
namespace {

constexpr size_t kBf16 = 2;

size_t bytes2(int a, int b, size_t elem) { return static_cast<size_t>(a) * static_cast<size_t>(b) * elem; }

dispatch::Problem make_problem(int M, int N, int K, int group_size, bool has_zeros) {
  return dispatch::Problem{M, N, K, group_size, has_zeros};
}

// An environment variable set to anything but "" or "0".
bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
}

bool log_dispatch_enabled() {
  static const bool enabled = env_flag("W4A16_LOG_DISPATCH");
  return enabled;
}

// Programmatic dependent launches (sm_90 and later), on unless W4A16_PDL=0:
//   * the split-K reductions (splitk_reduce.h) after the K-slice Hopper tiles
//     and the decode kernels;
//   * (fifteenth session) the forward's own kernel -- the decode kernels
//     (`decr`; `dec` from the sixteenth) in their wait-first mode
//     (GemmParams::programmatic), the packed Hopper tiles as built (CUTLASS's
//     producer waits before its first load):
//     each waits for the previous grid before its first global access, so
//     only its launch and set-up overlap the previous kernel's tail and
//     nothing is assumed about what that kernel writes;
//   * (twenty-second session) in that mode the packed M <= 8 decode tiles
//     first ask L2 for their first two k blocks per warp (a prefetch, which
//     reads no value: L2 is coherent, so nothing stale can be served).
// W4A16_PDL=0 turns all off, W4A16_PDL=reduce keeps the first (the behaviour
// before the fifteenth session), W4A16_PDL=wait the first two (before the
// twenty-second); they exist to measure what each saves and to rule them out
// when debugging; results are the same either way.  The overlap flag
// (W4A16_FORWARD_OVERLAP_PREVIOUS) is the caller's and not affected.
enum class PdlMode { off, reductions, wait, all };

PdlMode pdl_mode() {
  static const PdlMode mode = [] {
    const char* v = std::getenv("W4A16_PDL");
    if (v == nullptr) return PdlMode::all;
    if (std::strcmp(v, "0") == 0) return PdlMode::off;
    if (std::strcmp(v, "reduce") == 0) return PdlMode::reductions;
    if (std::strcmp(v, "wait") == 0) return PdlMode::wait;
    return PdlMode::all;
  }();
  return mode;
}

// The split-K reductions.
bool programmatic_launch_enabled() { return pdl_mode() != PdlMode::off; }

// The forward's own kernel (default mode: wait first).
bool programmatic_forward_enabled() { return pdl_mode() == PdlMode::all || pdl_mode() == PdlMode::wait; }

// The decode kernels' wait-first mode, with the L2 prefetch unless
// W4A16_PDL=wait.
int forward_wait_mode() {
  return pdl_mode() == PdlMode::wait ? kernels::kProgrammaticWaitFirst : kernels::kProgrammaticWaitFirstPrefetch;
}

// W4A16_FORCE_CONFIG, or nullptr when unset or empty.
const char* forced_config() {
  const char* v = std::getenv("W4A16_FORCE_CONFIG");
  return v != nullptr && v[0] != '\0' ? v : nullptr;
}

// W4A16_AUTOTUNE is on and no configuration is forced (forcing wins).
bool autotune_enabled() { return env_flag("W4A16_AUTOTUNE") && forced_config() == nullptr; }

// The dispatcher's plan (memoized per problem: dispatch/plan_cache.h), or the
// one W4A16_FORCE_CONFIG names (read on every call so that a benchmark can
// switch configurations between calls).
w4a16Status_t make_plan(const char* fn, const dispatch::Problem& problem, const DeviceInfo& dev,
                        dispatch::GemmPlan* plan,
                        dispatch::PackedLayout layout = dispatch::PackedLayout::canonical) {
  const dispatch::Device device{dev.arch(), dev.sm_count};
  if (const char* forced = forced_config()) {
    std::string error;
    if (!dispatch::plan_forced(problem, device, forced, plan, &error, layout)) {
      return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: %s", fn, error.c_str());
    }
    return W4A16_STATUS_SUCCESS;
  }
  *plan = dispatch::cached_plan(problem, device, layout);
  return W4A16_STATUS_SUCCESS;
}

// Workspace bytes of the plan for `problem` on weights in `layout`; with
// autotune on, enough for the largest candidate, since any may win.
w4a16Status_t planned_workspace(const char* fn, const dispatch::Problem& problem, const DeviceInfo& dev,
                                dispatch::PackedLayout layout, size_t* workspace_size) {
  dispatch::GemmPlan plan;
  W4A16_RETURN_IF_ERROR(make_plan(fn, problem, dev, &plan, layout));
  *workspace_size = plan.workspace_bytes;
  if (autotune_enabled()) {
    std::vector<std::string> rejected;
    for (const auto& cand : dispatch::candidates(problem, {dev.arch(), dev.sm_count}, &rejected, layout))
      *workspace_size = std::max(*workspace_size, cand.plan.workspace_bytes);
  }
  return W4A16_STATUS_SUCCESS;
}

// The validated arguments of one forward call.
struct ForwardArgs {
  const void* x;
  const void* wq;
  const void* scales;
  const void* zeros;
  void* y;
  int M, N, K, group_size;
  float alpha, beta;
  void* workspace;
  // Packed weights in the sm90 fragment order (plan.packed): wq and scales
  // are the pack's reordered weights and [K/g, N] scales; zeros_t its [K/g, N]
  // zeros block, present (all zero) for symmetric weights too.
  const void* zeros_t = nullptr;
  // W4A16_FORWARD_OVERLAP_PREVIOUS: the kernels that read their weights
  // before griddepcontrol.wait are launched as programmatic dependents.
  bool overlap_previous = false;
};

// Enqueues `plan` on `stream` (the arguments are validated and the workspace
// is large enough for the plan).  Nothing allocated, no host sync.
cudaError_t enqueue_plan(const dispatch::GemmPlan& plan, const ForwardArgs& a, const DeviceInfo& dev,
                         cudaStream_t stream) {
  if (plan.sm90) {
    // Hopper CUTLASS path: group params transposed into the workspace (and,
    // for `_rp` configurations, the weights reordered), then the GEMM (two or
    // three kernels on `stream`, nothing allocated, no host sync).  Packed
    // weights already are in that form: the GEMM alone.
    char* ws = static_cast<char*>(a.workspace);
    const void* weights = a.wq;
    const void* scales_t = a.scales;
    const void* zeros_t = a.zeros_t;
    if (!plan.packed) {
      if (plan.weights_reordered) {
        void* reordered = ws + plan.reordered_w_offset;
        const cudaError_t err = kernels::sm90_prepack_weights(a.wq, reordered, a.N, a.K, stream);
        if (err != cudaSuccess) return err;
        weights = reordered;
      }
      scales_t = ws + plan.scales_t_offset;
      zeros_t = ws + plan.zeros_t_offset;
      const cudaError_t err = kernels::transpose_group_params(a.scales, a.zeros, ws + plan.scales_t_offset,
                                                              ws + plan.zeros_t_offset, a.N, a.K / a.group_size,
                                                              stream);
      if (err != cudaSuccess) return err;
    }
    kernels::Sm90MixedParams sp{};
    sp.x = a.x;
    sp.wq = weights;
    sp.scales_t = scales_t;
    sp.zeros_t = zeros_t;
    sp.y = a.y;
    sp.M = a.M;
    sp.N = a.N;
    sp.K = a.K;
    sp.group_size = a.group_size;
    sp.alpha = a.alpha;
    sp.beta = a.beta;
    sp.device = dev.device;
    sp.sm_count = dev.sm_count;
    sp.splits = plan.sm90_splits;
    sp.workspace = plan.cutlass_ws_bytes > 0 ? ws + plan.cutlass_ws_offset : nullptr;
    sp.workspace_bytes = plan.cutlass_ws_bytes;
    sp.programmatic_reduce = plan.sm90_programmatic_reduce && programmatic_launch_enabled();
    // Packed Hopper tiles wait before their first load in either mode.
    sp.programmatic = plan.packed && (a.overlap_previous || (dev.arch() >= 90 && programmatic_forward_enabled()));
    return kernels::sm90_mixed_gemm(plan.sm90_config, sp, stream);
  }

  kernels::GemmParams params{};
  params.x = static_cast<const uint16_t*>(a.x);
  params.wq = static_cast<const uint8_t*>(a.wq);
  params.scales = static_cast<const uint16_t*>(a.scales);
  params.zeros = static_cast<const uint16_t*>(a.zeros);
  params.y = static_cast<uint16_t*>(a.y);
  params.partials = static_cast<float*>(plan.split_k > 1 ? a.workspace : nullptr);
  params.M = a.M;
  params.N = a.N;
  params.K = a.K;
  params.group_size = a.group_size;
  params.groups_per_row = a.K / a.group_size;
  params.group_shift = params.groups_per_row > 1 ? log2_exact(a.group_size) : 0;
  params.alpha = a.alpha;
  params.beta = a.beta;
  params.split_k = plan.split_k;
  // The default launch waits first in the decode kernels (both weight
  // layouts), whose SASS is checked to wait before any load
  // (scripts/check_decode_wait_sass.sh); the other sm80 kernels are plain
  // launches.
  const bool wait_first = kernels::is_decode(kernels::kSm80MmaConfigs[static_cast<int>(plan.config)].kind);
  params.programmatic = dev.arch() < 90                              ? 0
                        : a.overlap_previous                            ? kernels::kProgrammaticOverlap
                        : wait_first && programmatic_forward_enabled()  ? forward_wait_mode()
                                                                        : 0;
  params.programmatic_reduce = dev.arch() >= 90 && programmatic_launch_enabled() ? 1 : 0;

  return kernels::sm80_mma_gemm(plan.config, params, stream);
}

// ---- autotune mode (W4A16_AUTOTUNE=1) -------------------------------------
// On the first call of a problem (M, N, K, g, zeros, weight layout), outside
// stream capture and with beta == 0, every candidate configuration that reads
// that layout (dispatch::candidates: w4a16GemmForward and canonical packs get
// the canonical-layout kernels, sm90 fragment packs the `decr` and `_rp` ones)
// and fits the caller's workspace is timed on the caller's buffers (one
// warm-up, then the median of 5 event-timed launches; this call synchronizes
// the stream), the fastest is kept and the table is saved to
// W4A16_AUTOTUNE_FILE (default ./w4a16_autotune.txt), which later runs load.
// A stale or corrupt file is ignored with a warning on stderr.  Inside a
// capture, with beta != 0 (timing would overwrite y), or when timing fails,
// the heuristic plan is used.  W4A16_FORCE_CONFIG takes precedence.  The
// timing runs on the caller's weights as they are: a layer smaller than L2
// is timed L2-resident after the warm-up, which favours configurations that
// are compute-bound over ones that stream well (the dispatcher's rules were
// fitted to the benchmark's rotated-weights sweep instead).

struct AutotuneState {
  std::mutex mu;
  dispatch::AutotuneCache cache;
  std::string loaded_path;  // empty: nothing loaded yet
  int loaded_device = -1;
  dispatch::TuneFingerprint fingerprint;
};

AutotuneState& autotune_state() {
  static AutotuneState state;
  return state;
}

std::string autotune_path() {
  const char* v = std::getenv("W4A16_AUTOTUNE_FILE");
  return v != nullptr && v[0] != '\0' ? v : "w4a16_autotune.txt";
}

void warn(const std::string& message) { std::fprintf(stderr, "[w4a16] warning: %s\n", message.c_str()); }

// Loads the file once per (path, device fingerprint); caller holds the lock.
void ensure_loaded(AutotuneState& st, const DeviceInfo& dev) {
  const std::string path = autotune_path();
  if (st.loaded_path == path && st.loaded_device == dev.device) return;
  dispatch::TuneFingerprint fp;
  fp.library = w4a16VersionString();
  cudaDeviceProp prop{};
  fp.gpu = cudaGetDeviceProperties(&prop, dev.device) == cudaSuccess ? prop.name : "unknown";
  fp.arch = dev.arch();
  fp.sm_count = dev.sm_count;
  std::string warning;
  if (!st.cache.load(path, fp, &warning) && !warning.empty()) warn(warning);
  st.loaded_path = path;
  st.loaded_device = dev.device;
  st.fingerprint = fp;
}

// Median time of `plan` in microseconds, or a negative value when it failed.
double time_plan(const dispatch::GemmPlan& plan, const ForwardArgs& a, const DeviceInfo& dev, cudaStream_t stream) {
  constexpr int kReps = 5;
  cudaEvent_t ev[kReps + 1];
  for (auto& e : ev) cudaEventCreate(&e);
  double result = -1.0;
  if (enqueue_plan(plan, a, dev, stream) == cudaSuccess) {  // warm-up (module load, TMA descriptor set-up)
    bool ok = true;
    cudaEventRecord(ev[0], stream);
    for (int r = 0; r < kReps && ok; ++r) {
      ok = enqueue_plan(plan, a, dev, stream) == cudaSuccess;
      cudaEventRecord(ev[r + 1], stream);
    }
    if (ok && cudaEventSynchronize(ev[kReps]) == cudaSuccess) {
      std::vector<double> t;
      for (int r = 0; r < kReps; ++r) {
        float ms = 0.0f;
        cudaEventElapsedTime(&ms, ev[r], ev[r + 1]);
        t.push_back(1000.0 * ms);
      }
      std::sort(t.begin(), t.end());
      result = t[kReps / 2];
    }
  }
  cudaStreamSynchronize(stream);
  cudaGetLastError();  // a failed candidate must not leave a sticky error behind
  for (auto& e : ev) cudaEventDestroy(e);
  return result;
}

// The autotuned plan for this call, or false (then the caller plans as usual).
bool autotuned_plan(const dispatch::Problem& problem, const DeviceInfo& dev, const ForwardArgs& a,
                    size_t workspace_size, cudaStream_t stream, dispatch::PackedLayout layout,
                    dispatch::GemmPlan* plan) {
  AutotuneState& st = autotune_state();
  std::lock_guard<std::mutex> lock(st.mu);
  ensure_loaded(st, dev);
  const dispatch::Device device{dev.arch(), dev.sm_count};
  const dispatch::TuneKey key{problem.M, problem.N, problem.K, problem.group_size, problem.has_zeros,
                              static_cast<int>(layout)};
  if (const dispatch::TuneChoice* choice = st.cache.find(key)) {
    std::string error;
    dispatch::GemmPlan p;
    if (dispatch::plan_forced(problem, device, choice->spec.c_str(), &p, &error, layout) &&
        p.workspace_bytes <= workspace_size) {
      p.reason = "autotuned (" + choice->spec + ", " + std::to_string(choice->time_us) + " us)";
      *plan = p;
      return true;
    }
    warn("autotune entry '" + choice->spec + "' does not fit this call (" + error + "); retuning");
    st.cache.erase(key);
  }
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &capture) != cudaSuccess || capture != cudaStreamCaptureStatusNone) return false;
  if (a.beta != 0.0f) return false;
  std::vector<std::string> rejected;
  double best = -1.0;
  dispatch::Candidate winner;
  for (dispatch::Candidate& cand : dispatch::candidates(problem, device, &rejected, layout)) {
    if (cand.plan.workspace_bytes > workspace_size || (cand.plan.workspace_bytes > 0 && a.workspace == nullptr))
      continue;
    const double us = time_plan(cand.plan, a, dev, stream);
    if (us > 0.0 && (best < 0.0 || us < best)) {
      best = us;
      winner = std::move(cand);
    }
  }
  if (best < 0.0) return false;
  st.cache.put(key, dispatch::TuneChoice{winner.spec, best});
  std::string error;
  if (!st.cache.save(st.loaded_path, st.fingerprint, &error)) warn("autotune: " + error);
  winner.plan.reason = "autotuned now (" + winner.spec + ", " + std::to_string(best) + " us)";
  *plan = winner.plan;
  return true;
}

template <class F>
w4a16Status_t guarded(const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(W4A16_STATUS_INTERNAL_ERROR, "%s: internal error: %s", fn, e.what());
  } catch (...) {
    return fail(W4A16_STATUS_INTERNAL_ERROR, "%s: internal error", fn);
  }
}

w4a16Status_t check_quant_shape_and_pointers(const char* fn, const void* w, const void* packed,
                                             const void* scales, int N, int K, int group_size) {
  W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, w, "bf16_weights"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, packed, "int4_packed"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
  return W4A16_STATUS_SUCCESS;
}

// `zeros_t`: packed weights in the sm90 fragment order only (wq, scales and
// zeros are then the pack's arrays; zeros_t is its zero block, all zero for
// symmetric weights, which the Hopper kernels read either way).
w4a16Status_t gemm_forward(const char* fn, const void* x, const void* wq, const void* scales, const void* zeros,
                           void* y, int M, int N, int K, int group_size, float alpha, float beta, void* workspace,
                           size_t workspace_size, cudaStream_t stream, const void* zeros_t = nullptr,
                           unsigned flags = 0, const DeviceInfo* pack_device = nullptr) {
  const dispatch::PackedLayout layout =
      zeros_t != nullptr ? dispatch::PackedLayout::sm90_fragment : dispatch::PackedLayout::canonical;
  W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
  W4A16_RETURN_IF_ERROR(check_m(fn, M, N, K));
  if (!std::isfinite(alpha) || !std::isfinite(beta)) {
    return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: alpha = %g and beta = %g must be finite", fn, alpha, beta);
  }
  W4A16_RETURN_IF_ERROR(check_not_null(fn, wq, "int4_packed"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
  if (M == 0) return W4A16_STATUS_SUCCESS;  // empty batch: nothing to read or write
  W4A16_RETURN_IF_ERROR(check_not_null(fn, x, "activation"));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, y, "output"));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, x, "activation", 16));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, wq, "int4_packed", 16));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, scales, "scales", 2));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, zeros, "zeros", 2));
  W4A16_RETURN_IF_ERROR(check_aligned(fn, y, "output", 16));

  // Packed weights (pack_device set): the caller queried the device and
  // check_packed_device found packed->data on it; wq, scales and zeros lie in
  // that buffer.  Asking the driver again would cost 0.26 us for the device
  // and 0.2 us per pointer (bench/lab/host_cost_lab.cu, H100 machine).
  DeviceInfo dev;
  if (pack_device != nullptr) {
    dev = *pack_device;
  } else {
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
  }
  W4A16_RETURN_IF_ERROR(check_device_pointer(fn, x, "activation", dev.device));
  if (pack_device == nullptr) {
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, wq, "int4_packed", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, scales, "scales", dev.device));
    if (zeros != nullptr) W4A16_RETURN_IF_ERROR(check_device_pointer(fn, zeros, "zeros", dev.device));
  }
  W4A16_RETURN_IF_ERROR(check_device_pointer(fn, y, "output", dev.device));

  const size_t y_bytes = bytes2(M, N, kBf16);
  const size_t sz_bytes = bytes2(N, K / group_size, kBf16);
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", x, bytes2(M, K, kBf16), "activation"));
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", wq, bytes2(N, K / 2, 1), "int4_packed"));
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", scales, sz_bytes, "scales"));
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", zeros, sz_bytes, "zeros"));
  W4A16_RETURN_IF_ERROR(check_no_overlap(fn, y, y_bytes, "output", zeros_t, sz_bytes, "packed zeros"));

  const dispatch::Problem problem = make_problem(M, N, K, group_size, zeros != nullptr);
  ForwardArgs args{x, wq, scales, zeros, y, M, N, K, group_size, alpha, beta, workspace, zeros_t};
  args.overlap_previous = (flags & W4A16_FORWARD_OVERLAP_PREVIOUS) != 0;
  dispatch::GemmPlan plan;
  const bool autotune = autotune_enabled();
  if (autotune && workspace != nullptr && workspace_size > 0) {
    // Candidates use up to workspace_size bytes: all of it must be usable.
    W4A16_RETURN_IF_ERROR(check_aligned(fn, workspace, "workspace", 16));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, workspace, "workspace", dev.device));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, workspace, workspace_size, "workspace", y, y_bytes, "output"));
    W4A16_RETURN_IF_ERROR(
        check_no_overlap(fn, workspace, workspace_size, "workspace", x, bytes2(M, K, kBf16), "activation"));
  }
  if (!autotune ||
      !autotuned_plan(problem, dev, args, workspace == nullptr ? 0 : workspace_size, stream, layout, &plan)) {
    W4A16_RETURN_IF_ERROR(make_plan(fn, problem, dev, &plan, layout));
  }
  if (log_dispatch_enabled()) {
    std::fprintf(stderr, "[w4a16] M=%d N=%d K=%d g=%d zeros=%d -> %s\n", M, N, K, group_size, zeros != nullptr,
                 dispatch::describe(plan, problem).c_str());
  }
  if (plan.workspace_bytes > 0) {
    if (workspace == nullptr || workspace_size < plan.workspace_bytes) {
      return fail(W4A16_STATUS_WORKSPACE_TOO_SMALL,
                  "%s: this problem needs %zu bytes of workspace (w4a16GetWorkspaceSize), got %zu at %p", fn,
                  plan.workspace_bytes, workspace == nullptr ? size_t{0} : workspace_size, workspace);
    }
    W4A16_RETURN_IF_ERROR(check_aligned(fn, workspace, "workspace", 16));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, workspace, "workspace", dev.device));
    W4A16_RETURN_IF_ERROR(
        check_no_overlap(fn, workspace, plan.workspace_bytes, "workspace", y, y_bytes, "output"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, workspace, plan.workspace_bytes, "workspace", x,
                                           bytes2(M, K, kBf16), "activation"));
  }

  const cudaError_t err = enqueue_plan(plan, args, dev, stream);
  if (err != cudaSuccess) return fail_cuda(err, fn);
  return W4A16_STATUS_SUCCESS;
}

// ---- packed weights ---------------------------------------------------------
size_t align256(size_t b) { return (b + 255) / 256 * 256; }

// Byte layout of a pack: [weights][scales][zeros], each 256-byte aligned.  The
// zeros block exists for symmetric weights too (the Hopper kernels read a
// zero tensor either way); its size is the same in both layouts.
struct PackGeometry {
  size_t weights_offset, scales_offset, zeros_offset, size;
};
PackGeometry pack_geometry(int N, int K, int group_size) {
  const size_t w = bytes2(N, K / 2, 1);
  const size_t params = bytes2(N, K / group_size, kBf16);
  PackGeometry g{};
  g.weights_offset = 0;
  g.scales_offset = align256(w);
  g.zeros_offset = g.scales_offset + align256(params);
  g.size = g.zeros_offset + params;
  return g;
}

dispatch::PackedLayout layout_for(int N, int K, int group_size, const DeviceInfo& dev, std::string* why) {
  return dispatch::packed_layout_for(make_problem(0, N, K, group_size, false), {dev.arch(), dev.sm_count},
                                     kernels::sm90_mixed_available(), why);
}

// A descriptor filled by w4a16PackWeights: the checks that touch no GPU.
w4a16Status_t check_packed_host(const char* fn, const w4a16PackedWeights* pw) {
  W4A16_RETURN_IF_ERROR(check_not_null(fn, pw, "packed"));
  if (pw->magic != W4A16_PACKED_MAGIC) {
    return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: packed was not filled by w4a16PackWeights (magic %#llx)", fn,
                static_cast<unsigned long long>(pw->magic));
  }
  W4A16_RETURN_IF_ERROR(check_weight_shape(fn, pw->N, pw->K, pw->group_size));
  W4A16_RETURN_IF_ERROR(check_not_null(fn, pw->data, "packed->data"));
  return check_aligned(fn, pw->data, "packed->data", 256);
}

// ... and for the current device: made for it, in the layout it would use.
w4a16Status_t check_packed_device(const char* fn, const w4a16PackedWeights* pw, const DeviceInfo& dev) {
  if (pw->device != dev.device) {
    return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: the weights were packed for device %d, the current device is %d",
                fn, pw->device, dev.device);
  }
  const PackGeometry g = pack_geometry(pw->N, pw->K, pw->group_size);
  const dispatch::PackedLayout expected = layout_for(pw->N, pw->K, pw->group_size, dev, nullptr);
  if (pw->layout != static_cast<int>(expected) || pw->weights_offset != g.weights_offset ||
      pw->scales_offset != g.scales_offset || pw->zeros_offset != g.zeros_offset || pw->size != g.size) {
    std::string why;
    layout_for(pw->N, pw->K, pw->group_size, dev, &why);
    return fail(W4A16_STATUS_INVALID_ARGUMENT,
                "%s: packed describes layout %d, size %zu; w4a16PackWeights makes layout %d, size %zu for N = %d, "
                "K = %d, g = %d on this device (%s)",
                fn, pw->layout, pw->size, static_cast<int>(expected), g.size, pw->N, pw->K, pw->group_size,
                why.c_str());
  }
  return check_device_pointer(fn, pw->data, "packed->data", dev.device);
}

constexpr unsigned kKnownForwardFlags = W4A16_FORWARD_OVERLAP_PREVIOUS;

// w4a16GemmForwardPacked(Ex): the pack's checks, then gemm_forward on its arrays.
w4a16Status_t gemm_forward_packed(const char* fn, const void* activation, const w4a16PackedWeights* packed,
                                  void* output, int M, float alpha, float beta, void* workspace,
                                  size_t workspace_size, unsigned flags, cudaStream_t stream) {
  return guarded(fn, [&]() -> w4a16Status_t {
    if ((flags & ~kKnownForwardFlags) != 0) {
      return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: flags 0x%x: bits 0x%x are not w4a16ForwardFlag values", fn,
                  flags, flags & ~kKnownForwardFlags);
    }
    W4A16_RETURN_IF_ERROR(check_packed_host(fn, packed));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_packed_device(fn, packed, dev));
    const char* data = static_cast<const char*>(packed->data);
    const void* zeros = packed->has_zeros ? data + packed->zeros_offset : nullptr;
    const void* zeros_t = packed->layout == W4A16_PACKED_SM90_FRAGMENT ? data + packed->zeros_offset : nullptr;
    return gemm_forward(fn, activation, data + packed->weights_offset, data + packed->scales_offset, zeros, output, M,
                        packed->N, packed->K, packed->group_size, alpha, beta, workspace, workspace_size, stream,
                        zeros_t, flags, &dev);
  });
}

}  // namespace
}  // namespace w4a16::detail

using namespace w4a16::detail;

extern "C" {

w4a16Status_t quantizeWeightToINT4Ex(const void* bf16_weights, void* int4_packed, void* scales, void* zeros, int N,
                                     int K, int group_size, cudaStream_t stream) {
  constexpr const char* fn = "quantizeWeightToINT4";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_quant_shape_and_pointers(fn, bf16_weights, int4_packed, scales, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, bf16_weights, "bf16_weights", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, int4_packed, "int4_packed", 16));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, scales, "scales", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, zeros, "zeros", 2));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, bf16_weights, "bf16_weights", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, int4_packed, "int4_packed", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, scales, "scales", dev.device));
    if (zeros != nullptr) W4A16_RETURN_IF_ERROR(check_device_pointer(fn, zeros, "zeros", dev.device));
    const size_t w_bytes = bytes2(N, K, kBf16), p_bytes = bytes2(N, K / 2, 1);
    const size_t sz_bytes = bytes2(N, K / group_size, kBf16);
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, int4_packed, p_bytes, "int4_packed", bf16_weights, w_bytes, "bf16_weights"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, scales, sz_bytes, "scales", bf16_weights, w_bytes, "bf16_weights"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, scales, sz_bytes, "scales", int4_packed, p_bytes, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, zeros, sz_bytes, "zeros", bf16_weights, w_bytes, "bf16_weights"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, zeros, sz_bytes, "zeros", int4_packed, p_bytes, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, zeros, sz_bytes, "zeros", scales, sz_bytes, "scales"));
    const cudaError_t err = w4a16::quant::launch_quantize(
        static_cast<const uint16_t*>(bf16_weights), static_cast<uint8_t*>(int4_packed),
        static_cast<uint16_t*>(scales), static_cast<uint16_t*>(zeros), N, K, group_size, stream);
    return err == cudaSuccess ? W4A16_STATUS_SUCCESS : fail_cuda(err, fn);
  });
}

w4a16Status_t quantizeWeightToINT4(const void* bf16_weights, void* int4_packed, void* scales, void* zeros, int N,
                                   int K, int group_size, cudaStream_t stream) {
  return quantizeWeightToINT4Ex(bf16_weights, int4_packed, scales, zeros, N, K, group_size, stream);
}

w4a16Status_t w4a16QuantizeHost(const uint16_t* bf16_weights, uint8_t* int4_packed, uint16_t* scales,
                                uint16_t* zeros, int N, int K, int group_size) {
  constexpr const char* fn = "w4a16QuantizeHost";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_quant_shape_and_pointers(fn, bf16_weights, int4_packed, scales, N, K, group_size));
    w4a16::quant::quantize_host(bf16_weights, int4_packed, scales, zeros, N, K, group_size);
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16DequantizeToBF16(const void* int4_packed, const void* scales, const void* zeros, void* bf16_out,
                                    int N, int K, int group_size, cudaStream_t stream) {
  constexpr const char* fn = "w4a16DequantizeToBF16";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, int4_packed, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, bf16_out, "bf16_out"));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, int4_packed, "int4_packed", 16));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, scales, "scales", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, zeros, "zeros", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, bf16_out, "bf16_out", 4));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, int4_packed, "int4_packed", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, scales, "scales", dev.device));
    if (zeros != nullptr) W4A16_RETURN_IF_ERROR(check_device_pointer(fn, zeros, "zeros", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, bf16_out, "bf16_out", dev.device));
    const size_t o_bytes = bytes2(N, K, kBf16), sz_bytes = bytes2(N, K / group_size, kBf16);
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, bf16_out, o_bytes, "bf16_out", int4_packed, bytes2(N, K / 2, 1), "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, bf16_out, o_bytes, "bf16_out", scales, sz_bytes, "scales"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, bf16_out, o_bytes, "bf16_out", zeros, sz_bytes, "zeros"));
    const cudaError_t err = w4a16::quant::launch_dequantize(
        static_cast<const uint8_t*>(int4_packed), static_cast<const uint16_t*>(scales),
        static_cast<const uint16_t*>(zeros), static_cast<uint16_t*>(bf16_out), N, K, group_size, stream);
    return err == cudaSuccess ? W4A16_STATUS_SUCCESS : fail_cuda(err, fn);
  });
}

w4a16Status_t w4a16DequantizeHost(const uint8_t* int4_packed, const uint16_t* scales, const uint16_t* zeros,
                                  uint16_t* bf16_out, int N, int K, int group_size) {
  constexpr const char* fn = "w4a16DequantizeHost";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, int4_packed, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, bf16_out, "bf16_out"));
    w4a16::quant::dequantize_host(int4_packed, scales, zeros, bf16_out, N, K, group_size);
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16QuantizationErrorHost(const uint16_t* bf16_weights, const uint8_t* int4_packed,
                                         const uint16_t* scales, const uint16_t* zeros, int N, int K,
                                         int group_size, w4a16QuantError_t* result) {
  constexpr const char* fn = "w4a16QuantizationErrorHost";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_quant_shape_and_pointers(fn, bf16_weights, int4_packed, scales, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, result, "result"));
    w4a16::quant::quantization_error_host(bf16_weights, int4_packed, scales, zeros, N, K, group_size, result);
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16GetWorkspaceSize(int M, int N, int K, int group_size, int has_zeros, size_t* workspace_size) {
  constexpr const char* fn = "w4a16GetWorkspaceSize";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_not_null(fn, workspace_size, "workspace_size"));
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_m(fn, M, N, K));
    if (M == 0) {
      *workspace_size = 0;
      return W4A16_STATUS_SUCCESS;
    }
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    return planned_workspace(fn, make_problem(M, N, K, group_size, has_zeros != 0), dev,
                             w4a16::dispatch::PackedLayout::canonical, workspace_size);
  });
}

w4a16Status_t w4a16GemmForwardEx(const void* activation, const void* int4_packed, const void* scales,
                                 const void* zeros, void* output, int M, int N, int K, int group_size, float alpha,
                                 float beta, void* workspace, size_t workspace_size, cudaStream_t stream) {
  constexpr const char* fn = "w4a16GemmForward";
  return guarded(fn, [&]() {
    return gemm_forward(fn, activation, int4_packed, scales, zeros, output, M, N, K, group_size, alpha, beta,
                        workspace, workspace_size, stream);
  });
}

w4a16Status_t w4a16GemmForward(const void* activation, const void* int4_packed, const void* scales,
                               const void* zeros, void* output, int M, int N, int K, float alpha, float beta,
                               void* workspace, size_t workspace_size, cudaStream_t stream) {
  return w4a16GemmForwardEx(activation, int4_packed, scales, zeros, output, M, N, K, W4A16_DEFAULT_GROUP_SIZE,
                            alpha, beta, workspace, workspace_size, stream);
}

w4a16Status_t w4a16GetPackedWeightsSize(int N, int K, int group_size, int has_zeros, size_t* bytes) {
  constexpr const char* fn = "w4a16GetPackedWeightsSize";
  (void)has_zeros;  // the zeros block is always there (see pack_geometry)
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_not_null(fn, bytes, "bytes"));
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    *bytes = pack_geometry(N, K, group_size).size;
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16PackWeights(const void* int4_packed, const void* scales, const void* zeros, int N, int K,
                               int group_size, void* buffer, size_t buffer_size, w4a16PackedWeights* packed,
                               cudaStream_t stream) {
  constexpr const char* fn = "w4a16PackWeights";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, int4_packed, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, scales, "scales"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, buffer, "buffer"));
    W4A16_RETURN_IF_ERROR(check_not_null(fn, packed, "packed"));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, int4_packed, "int4_packed", 16));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, scales, "scales", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, zeros, "zeros", 2));
    W4A16_RETURN_IF_ERROR(check_aligned(fn, buffer, "buffer", 256));
    const PackGeometry g = pack_geometry(N, K, group_size);
    if (buffer_size < g.size) {
      return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: buffer_size %zu is smaller than the %zu bytes of the pack "
                  "(w4a16GetPackedWeightsSize)", fn, buffer_size, g.size);
    }
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, int4_packed, "int4_packed", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, scales, "scales", dev.device));
    if (zeros != nullptr) W4A16_RETURN_IF_ERROR(check_device_pointer(fn, zeros, "zeros", dev.device));
    W4A16_RETURN_IF_ERROR(check_device_pointer(fn, buffer, "buffer", dev.device));
    const size_t w_bytes = bytes2(N, K / 2, 1), p_bytes = bytes2(N, K / group_size, kBf16);
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, buffer, g.size, "buffer", int4_packed, w_bytes, "int4_packed"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, buffer, g.size, "buffer", scales, p_bytes, "scales"));
    W4A16_RETURN_IF_ERROR(check_no_overlap(fn, buffer, g.size, "buffer", zeros, p_bytes, "zeros"));

    const w4a16::dispatch::PackedLayout layout = layout_for(N, K, group_size, dev, nullptr);
    char* data = static_cast<char*>(buffer);
    cudaError_t err = cudaSuccess;
    if (layout == w4a16::dispatch::PackedLayout::sm90_fragment) {
      err = w4a16::kernels::sm90_prepack_weights(int4_packed, data + g.weights_offset, N, K, stream);
      if (err == cudaSuccess)
        err = w4a16::kernels::transpose_group_params(scales, zeros, data + g.scales_offset, data + g.zeros_offset, N,
                                                     K / group_size, stream);
    } else {
      err = cudaMemcpyAsync(data + g.weights_offset, int4_packed, w_bytes, cudaMemcpyDeviceToDevice, stream);
      if (err == cudaSuccess)
        err = cudaMemcpyAsync(data + g.scales_offset, scales, p_bytes, cudaMemcpyDeviceToDevice, stream);
      if (err == cudaSuccess && zeros != nullptr)
        err = cudaMemcpyAsync(data + g.zeros_offset, zeros, p_bytes, cudaMemcpyDeviceToDevice, stream);
    }
    if (err != cudaSuccess) return fail_cuda(err, fn);
    w4a16PackedWeights out{};
    out.magic = W4A16_PACKED_MAGIC;
    out.N = N;
    out.K = K;
    out.group_size = group_size;
    out.has_zeros = zeros != nullptr;
    out.layout = static_cast<int>(layout);
    out.device = dev.device;
    out.data = buffer;
    out.size = g.size;
    out.weights_offset = g.weights_offset;
    out.scales_offset = g.scales_offset;
    out.zeros_offset = g.zeros_offset;
    *packed = out;
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16GetWorkspaceSizePacked(int M, const w4a16PackedWeights* packed, size_t* workspace_size) {
  constexpr const char* fn = "w4a16GetWorkspaceSizePacked";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_not_null(fn, workspace_size, "workspace_size"));
    W4A16_RETURN_IF_ERROR(check_packed_host(fn, packed));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_packed_device(fn, packed, dev));
    if (packed->layout == W4A16_PACKED_CANONICAL)
      return w4a16GetWorkspaceSize(M, packed->N, packed->K, packed->group_size, packed->has_zeros, workspace_size);
    W4A16_RETURN_IF_ERROR(check_m(fn, M, packed->N, packed->K));
    *workspace_size = 0;
    if (M == 0) return W4A16_STATUS_SUCCESS;
    return planned_workspace(fn, make_problem(M, packed->N, packed->K, packed->group_size, packed->has_zeros != 0),
                             dev, w4a16::dispatch::PackedLayout::sm90_fragment, workspace_size);
  });
}

w4a16Status_t w4a16GemmForwardPacked(const void* activation, const w4a16PackedWeights* packed, void* output, int M,
                                     float alpha, float beta, void* workspace, size_t workspace_size,
                                     cudaStream_t stream) {
  return gemm_forward_packed("w4a16GemmForwardPacked", activation, packed, output, M, alpha, beta, workspace,
                             workspace_size, 0u, stream);
}

w4a16Status_t w4a16GemmForwardPackedEx(const void* activation, const w4a16PackedWeights* packed, void* output,
                                       int M, float alpha, float beta, void* workspace, size_t workspace_size,
                                       unsigned flags, cudaStream_t stream) {
  return gemm_forward_packed("w4a16GemmForwardPackedEx", activation, packed, output, M, alpha, beta, workspace,
                             workspace_size, flags, stream);
}

w4a16Status_t w4a16DescribeDispatchPacked(int M, const w4a16PackedWeights* packed, char* buffer, size_t buffer_size) {
  constexpr const char* fn = "w4a16DescribeDispatchPacked";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_not_null(fn, buffer, "buffer"));
    if (buffer_size == 0) return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: buffer_size is 0", fn);
    W4A16_RETURN_IF_ERROR(check_packed_host(fn, packed));
    W4A16_RETURN_IF_ERROR(check_m(fn, M, packed->N, packed->K));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    W4A16_RETURN_IF_ERROR(check_packed_device(fn, packed, dev));
    const bool fragment = packed->layout == W4A16_PACKED_SM90_FRAGMENT;
    std::string text = fragment ? "packed (sm90 fragment order): " : "packed (canonical copy): ";
    if (M == 0) {
      text += "M = 0: no-op";
    } else {
      const auto problem = make_problem(M, packed->N, packed->K, packed->group_size, packed->has_zeros != 0);
      w4a16::dispatch::GemmPlan plan;
      W4A16_RETURN_IF_ERROR(make_plan(fn, problem, dev, &plan,
                                      fragment ? w4a16::dispatch::PackedLayout::sm90_fragment
                                               : w4a16::dispatch::PackedLayout::canonical));
      text += w4a16::dispatch::describe(plan, problem);
    }
    std::snprintf(buffer, buffer_size, "%s", text.c_str());
    return W4A16_STATUS_SUCCESS;
  });
}

w4a16Status_t w4a16DescribeDispatch(int M, int N, int K, int group_size, int has_zeros, char* buffer,
                                    size_t buffer_size) {
  constexpr const char* fn = "w4a16DescribeDispatch";
  return guarded(fn, [&]() -> w4a16Status_t {
    W4A16_RETURN_IF_ERROR(check_not_null(fn, buffer, "buffer"));
    if (buffer_size == 0) return fail(W4A16_STATUS_INVALID_ARGUMENT, "%s: buffer_size is 0", fn);
    W4A16_RETURN_IF_ERROR(check_weight_shape(fn, N, K, group_size));
    W4A16_RETURN_IF_ERROR(check_m(fn, M, N, K));
    DeviceInfo dev;
    W4A16_RETURN_IF_ERROR(current_device_info(&dev));
    const auto problem = make_problem(M, N, K, group_size, has_zeros != 0);
    std::string text = "M = 0: no-op";
    if (M > 0) {
      w4a16::dispatch::GemmPlan plan;
      W4A16_RETURN_IF_ERROR(make_plan(fn, problem, dev, &plan));
      text = w4a16::dispatch::describe(plan, problem);
    }
    std::snprintf(buffer, buffer_size, "%s", text.c_str());
    return W4A16_STATUS_SUCCESS;
  });
}

}  // extern "C"
