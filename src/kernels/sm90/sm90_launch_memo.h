// A memo of CUTLASS's kernel parameters per argument set, so that an eager
// forward call on the Hopper path does not rebuild them every time.
//
// Why: CUTLASS's initialize() turns the arguments into the kernel's Params on
// every call, and that encodes four to six TMA descriptors on the host, each
// after a cudaGetDriverEntryPointByVersion lookup by name
// (cutlass/cuda_host_adapter.hpp: without CUTLASS_ENABLE_DIRECT_CUDA_DRIVER_CALL,
// which would make the library link libcuda and fail to load on a machine
// without a driver).  bench/lab/host_cost_lab.cu on the H100 machine's host:
// 0.13 us per lookup and 0.09 per encode, plus the layout arithmetic, against
// about 3.5-4.5 us per kernel launch.  The Params are a pure function of the
// arguments and the device (pointers, shapes, strides, alpha and beta, the
// K slices, the workspace, the SM count); they hold no stream and no state
// of a previous launch for the persistent and K-slice schedulers (stream-K
// configurations zero their workspace on every call and are not memoized).
// A TMA descriptor holds an address, not the memory: a buffer freed and
// allocated again at the same address with the same shape reuses its entry
// correctly.
//
// Thread-safe (one mutex per kernel type; Params are computed outside it).
// Bounded: at kSm90LaunchMemoCapacity entries the memo is emptied, which keeps
// memory fixed (an entry is about a kilobyte) for a caller that cycles through
// more argument sets than that, such as a sweep; a model's layers (a few
// hundred weight sets) fit.  Host-only: no CUDA or CUTLASS header.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "kernels/sm90/sm90_mixed_gemm.h"

namespace w4a16::kernels {

inline constexpr size_t kSm90LaunchMemoCapacity = 1024;

// Every field of Sm90MixedParams that CUTLASS's Params depend on: all but the
// two launch flags (programmatic, programmatic_reduce), which choose how the
// kernels are launched, not what they are given.
struct Sm90LaunchKey {
  const void* x;
  const void* wq;
  const void* scales_t;
  const void* zeros_t;
  const void* y;
  const void* workspace;
  size_t workspace_bytes;
  int M, N, K, group_size;
  int device, sm_count, splits;
  uint32_t alpha_bits, beta_bits;  // bitwise: -0.0f and 0.0f are different arguments

  bool operator==(const Sm90LaunchKey& o) const {
    return x == o.x && wq == o.wq && scales_t == o.scales_t && zeros_t == o.zeros_t && y == o.y &&
           workspace == o.workspace && workspace_bytes == o.workspace_bytes && M == o.M && N == o.N && K == o.K &&
           group_size == o.group_size && device == o.device && sm_count == o.sm_count && splits == o.splits &&
           alpha_bits == o.alpha_bits && beta_bits == o.beta_bits;
  }
};

// A field added to Sm90MixedParams must be added to the key (or to the list
// of launch flags above) before this size is updated.
static_assert(sizeof(void*) != 8 || sizeof(Sm90MixedParams) == 104,
              "Sm90MixedParams changed: update Sm90LaunchKey and launch_key()");

inline Sm90LaunchKey launch_key(const Sm90MixedParams& p) {
  Sm90LaunchKey k{};
  k.x = p.x;
  k.wq = p.wq;
  k.scales_t = p.scales_t;
  k.zeros_t = p.zeros_t;
  k.y = p.y;
  k.workspace = p.workspace;
  k.workspace_bytes = p.workspace_bytes;
  k.M = p.M;
  k.N = p.N;
  k.K = p.K;
  k.group_size = p.group_size;
  k.device = p.device;
  k.sm_count = p.sm_count;
  k.splits = p.splits;
  std::memcpy(&k.alpha_bits, &p.alpha, sizeof(float));
  std::memcpy(&k.beta_bits, &p.beta, sizeof(float));
  return k;
}

struct Sm90LaunchKeyHash {
  size_t operator()(const Sm90LaunchKey& k) const {
    size_t h = 0;
    const auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    const std::hash<const void*> ptr;
    mix(ptr(k.x));
    mix(ptr(k.wq));
    mix(ptr(k.scales_t));
    mix(ptr(k.zeros_t));
    mix(ptr(k.y));
    mix(ptr(k.workspace));
    mix(k.workspace_bytes);
    mix((static_cast<size_t>(static_cast<uint32_t>(k.M)) << 32) | static_cast<uint32_t>(k.N));
    mix((static_cast<size_t>(static_cast<uint32_t>(k.K)) << 32) | static_cast<uint32_t>(k.group_size));
    mix((static_cast<size_t>(static_cast<uint32_t>(k.device)) << 32) | static_cast<uint32_t>(k.sm_count));
    mix(static_cast<uint32_t>(k.splits));
    mix((static_cast<size_t>(k.alpha_bits) << 32) | k.beta_bits);
    return h;
  }
};

// One memo per kernel type (Params is that kernel's CUTLASS Params).
template <class Params>
class Sm90LaunchMemo {
 public:
  // Copies the Params stored for `p`'s arguments into *out; false when none.
  bool find(const Sm90MixedParams& p, Params* out) const {
    const Sm90LaunchKey key = launch_key(p);
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = map_.find(key);
    if (it == map_.end()) return false;
    *out = it->second;
    return true;
  }

  void insert(const Sm90MixedParams& p, const Params& params) {
    const Sm90LaunchKey key = launch_key(p);
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kSm90LaunchMemoCapacity && map_.find(key) == map_.end()) map_.clear();
    map_[key] = params;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.size();
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<Sm90LaunchKey, Params, Sm90LaunchKeyHash> map_;
};

}  // namespace w4a16::kernels
