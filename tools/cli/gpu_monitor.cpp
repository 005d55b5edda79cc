#include "gpu_monitor.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <algorithm>

namespace w4a16::cli {
namespace {

// The few NVML entry points used, declared here with their C ABI (nvml.h is
// not part of every CUDA install): nvmlReturn_t is an int (0 = success),
// nvmlDevice_t an opaque pointer, NVML_CLOCK_SM = 1.
constexpr int kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;

// nvmlClocksEventReasons bits that mean the clock is held down by power or
// temperature (not idle, not an application clock setting).
constexpr unsigned long long kSwPowerCap = 0x4, kHwSlowdown = 0x8, kSwThermal = 0x20, kHwThermal = 0x40,
                             kHwPowerBrake = 0x80;
constexpr unsigned long long kLimiting = kSwPowerCap | kHwSlowdown | kSwThermal | kHwThermal | kHwPowerBrake;

template <class F>
F symbol(void* lib, const char* name) {
  return reinterpret_cast<F>(dlsym(lib, name));
}

}  // namespace

bool ClockSummary::limited() const { return (reasons & kLimiting) != 0; }

std::string ClockSummary::short_text() const {
  if (samples == 0) return "-";
  return std::to_string(sm_mhz_median) + (limited() ? "p" : "");
}

std::string ClockSummary::reasons_text() const {
  if (samples == 0) return "-";
  static const std::pair<unsigned long long, const char*> kNames[] = {
      {0x1, "idle"},          {0x2, "app-clocks"},        {kSwPowerCap, "sw-power-cap"},
      {kHwSlowdown, "hw-slowdown"}, {0x10, "sync-boost"},  {kSwThermal, "sw-thermal"},
      {kHwThermal, "hw-thermal"},   {kHwPowerBrake, "hw-power-brake"}, {0x100, "display-clocks"}};
  std::string out;
  unsigned long long rest = reasons;
  for (const auto& [bit, name] : kNames) {
    if ((reasons & bit) == 0) continue;
    out += (out.empty() ? "" : ",") + std::string(name);
    rest &= ~bit;
  }
  if (rest != 0) out += (out.empty() ? "" : ",") + std::string("other");
  return out.empty() ? "none" : out;
}

ClockSummary summarize(std::vector<ClockSample> samples) {
  ClockSummary s;
  samples.erase(std::remove_if(samples.begin(), samples.end(), [](const ClockSample& c) { return c.sm_mhz == 0; }),
                samples.end());
  s.samples = static_cast<int>(samples.size());
  if (samples.empty()) return s;
  for (const ClockSample& c : samples) s.reasons |= c.reasons;
  std::sort(samples.begin(), samples.end(), [](const ClockSample& a, const ClockSample& b) { return a.sm_mhz < b.sm_mhz; });
  s.sm_mhz_min = samples.front().sm_mhz;
  s.sm_mhz_max = samples.back().sm_mhz;
  s.sm_mhz_median = samples[samples.size() / 2].sm_mhz;
  return s;
}

GpuMonitor::GpuMonitor(int cuda_device) {
  lib_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib_ == nullptr) {
    why_ = "libnvidia-ml.so.1 not found";
    return;
  }
  auto init = symbol<int (*)()>(lib_, "nvmlInit_v2");
  auto by_bus = symbol<int (*)(const char*, void**)>(lib_, "nvmlDeviceGetHandleByPciBusId_v2");
  get_clock_ = symbol<int (*)(void*, int, unsigned*)>(lib_, "nvmlDeviceGetClockInfo");
  get_reasons_ = symbol<int (*)(void*, unsigned long long*)>(lib_, "nvmlDeviceGetCurrentClocksEventReasons");
  if (get_reasons_ == nullptr) {
    get_reasons_ = symbol<int (*)(void*, unsigned long long*)>(lib_, "nvmlDeviceGetCurrentClocksThrottleReasons");
  }
  shutdown_ = symbol<int (*)()>(lib_, "nvmlShutdown");
  if (init == nullptr || by_bus == nullptr || get_clock_ == nullptr || get_reasons_ == nullptr || shutdown_ == nullptr) {
    why_ = "libnvidia-ml.so.1 lacks an entry point";
    return;
  }
  if (init() != kNvmlSuccess) {
    why_ = "nvmlInit failed";
    shutdown_ = nullptr;
    return;
  }
  char bus[32] = {};
  void* dev = nullptr;
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, cuda_device) != cudaSuccess || by_bus(bus, &dev) != kNvmlSuccess) {
    why_ = "no NVML device for this CUDA device";
    return;
  }
  device_ = dev;
}

GpuMonitor::~GpuMonitor() {
  if (shutdown_ != nullptr) shutdown_();
  if (lib_ != nullptr) dlclose(lib_);
}

ClockSample GpuMonitor::sample() const {
  ClockSample c;
  if (device_ == nullptr) return c;
  unsigned mhz = 0;
  unsigned long long reasons = 0;
  if (get_clock_(device_, kNvmlClockSm, &mhz) != kNvmlSuccess) return c;
  if (get_reasons_(device_, &reasons) != kNvmlSuccess) reasons = 0;
  c.sm_mhz = mhz;
  c.reasons = reasons;
  return c;
}

}  // namespace w4a16::cli
