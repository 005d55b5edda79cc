#include "dispatch/plan_cache.h"

#include <functional>
#include <mutex>
#include <unordered_map>

namespace w4a16::dispatch {
namespace {

struct Key {
  Problem p;
  Device d;
  PackedLayout layout;
  bool operator==(const Key& o) const {
    return p.M == o.p.M && p.N == o.p.N && p.K == o.p.K && p.group_size == o.p.group_size &&
           p.has_zeros == o.p.has_zeros && d.arch == o.d.arch && d.sm_count == o.d.sm_count && layout == o.layout;
  }
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 0;
    const auto mix = [&h](long long v) { h ^= std::hash<long long>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    mix(k.p.M);
    mix(k.p.N);
    mix(k.p.K);
    mix(k.p.group_size);
    mix(k.p.has_zeros);
    mix(k.d.arch);
    mix(k.d.sm_count);
    mix(static_cast<int>(k.layout));
    return h;
  }
};

struct Memo {
  std::mutex mutex;
  std::unordered_map<Key, GemmPlan, KeyHash> plans;
};

Memo& memo() {
  static Memo* m = new Memo;  // never destroyed: forward calls from static destructors stay safe
  return *m;
}

}  // namespace

GemmPlan cached_plan(const Problem& p, const Device& d, PackedLayout layout) {
  const Key key{p, d, layout};
  Memo& m = memo();
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    const auto it = m.plans.find(key);
    if (it != m.plans.end()) return it->second;
  }
  GemmPlan plan = layout == PackedLayout::sm90_fragment ? plan_packed(p, d) : plan_gemm(p, d);
  std::lock_guard<std::mutex> lock(m.mutex);
  if (m.plans.size() >= kPlanCacheCapacity) m.plans.clear();
  m.plans.emplace(key, plan);
  return plan;
}

size_t plan_cache_size() {
  Memo& m = memo();
  std::lock_guard<std::mutex> lock(m.mutex);
  return m.plans.size();
}

}  // namespace w4a16::dispatch
