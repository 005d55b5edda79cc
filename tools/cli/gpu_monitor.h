// SM clock and throttle reasons of the benchmarked GPU, sampled through NVML
// while timed launches run (`w4a16 bench`).  NVML is the driver's library
// (libnvidia-ml.so.1), opened at run time: a build machine without a driver
// builds and runs the tool, which then reports no samples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace w4a16::cli {

struct ClockSample {
  unsigned sm_mhz = 0;
  unsigned long long reasons = 0;  // nvmlClocksEventReasons bit mask
};

// What the samples of one timed window say.
struct ClockSummary {
  int samples = 0;
  unsigned sm_mhz_min = 0, sm_mhz_median = 0, sm_mhz_max = 0;
  unsigned long long reasons = 0;  // OR over the samples
  // Power cap, power brake or a thermal slowdown flagged in any sample.
  bool limited() const;
  // "1980" or "1620p" (p: limited), "-" without samples.
  std::string short_text() const;
  // "sw-power-cap,hw-slowdown" etc., "none", or "-" without samples.
  std::string reasons_text() const;
};

ClockSummary summarize(std::vector<ClockSample> samples);

class GpuMonitor {
 public:
  // The NVML device of the CUDA device `cuda_device` (matched by PCI bus id).
  // available() is false when NVML or the device cannot be opened; why() says
  // which.
  explicit GpuMonitor(int cuda_device);
  ~GpuMonitor();
  GpuMonitor(const GpuMonitor&) = delete;
  GpuMonitor& operator=(const GpuMonitor&) = delete;

  bool available() const { return device_ != nullptr; }
  const std::string& why() const { return why_; }
  // One sample (zeros when unavailable or when NVML fails).
  ClockSample sample() const;

 private:
  void* lib_ = nullptr;
  void* device_ = nullptr;
  std::string why_;
  int (*get_clock_)(void*, int, unsigned*) = nullptr;
  int (*get_reasons_)(void*, unsigned long long*) = nullptr;
  int (*shutdown_)() = nullptr;
};

}  // namespace w4a16::cli
