// A memo of the dispatcher's plans, so that a forward call does not rerun the
// heuristics (and format their reasons) on every call: plan_gemm /
// plan_packed cost 0.6-4.0 us of host time per call on the development
// machine's CPU and 0.3-2.1 us on the H200 machine's (bench/lab/
// dispatch_cost_lab: the decode rules score every candidate tile and split
// and write each reason with snprintf), a sizeable part of a small decode
// GEMM's GPU time; a hit costs about 0.04-0.07 us (a hash lookup and a copy of
// the plan).
//
// Thread-safe (one mutex; the plan is computed outside it, so two threads that
// miss on the same key both compute it, and the results are equal: the
// dispatcher is a pure function of its key).  Bounded: at kPlanCacheCapacity
// entries the memo is emptied and starts over, which keeps memory fixed for a
// caller that sweeps many shapes, at no cost to the usual handful of layer
// shapes per model.  W4A16_FORCE_CONFIG and autotuned plans do not go through
// it (both are read on every call by the API).
#pragma once

#include <cstddef>

#include "dispatch/dispatch.h"

namespace w4a16::dispatch {

inline constexpr size_t kPlanCacheCapacity = 4096;

// plan_packed(p, d) for PackedLayout::sm90_fragment, else plan_gemm(p, d),
// computed once per (p, d, layout).
GemmPlan cached_plan(const Problem& p, const Device& d, PackedLayout layout);

// Entries now held (for tests).
size_t plan_cache_size();

}  // namespace w4a16::dispatch
