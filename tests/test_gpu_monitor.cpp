// The bench's clock sampling (tools/cli/gpu_monitor.h): the summary of the
// samples of one timed window, and the NVML monitor itself, which must work
// where the driver is present and say why it cannot where it is not.
#include "gpu_monitor.h"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <vector>

namespace w4a16::cli {
namespace {

TEST(GpuMonitor, SummaryOfSamples) {
  const ClockSummary none = summarize({});
  EXPECT_EQ(none.samples, 0);
  EXPECT_EQ(none.short_text(), "-");
  EXPECT_EQ(none.reasons_text(), "-");
  EXPECT_FALSE(none.limited());

  // Failed reads (0 MHz) are dropped; the median of an even count is the upper one.
  const ClockSummary s = summarize({{1980, 0}, {0, 0x4}, {1620, 0x4}, {1755, 0}, {1440, 0x1}});
  EXPECT_EQ(s.samples, 4);
  EXPECT_EQ(s.sm_mhz_min, 1440u);
  EXPECT_EQ(s.sm_mhz_max, 1980u);
  EXPECT_EQ(s.sm_mhz_median, 1755u);
  EXPECT_EQ(s.reasons, 0x5ull);
  EXPECT_TRUE(s.limited());
  EXPECT_EQ(s.short_text(), "1755p");
  EXPECT_EQ(s.reasons_text(), "idle,sw-power-cap");

  const ClockSummary quiet = summarize({{1980, 0}, {1965, 0}});
  EXPECT_FALSE(quiet.limited());
  EXPECT_EQ(quiet.short_text(), "1980");
  EXPECT_EQ(quiet.reasons_text(), "none");

  // Application clocks or idle are not limits; thermal, brake and unknown bits are named.
  EXPECT_FALSE(summarize({{1500, 0x2}}).limited());
  EXPECT_TRUE(summarize({{1500, 0x40}}).limited());
  EXPECT_EQ(summarize({{1500, 0x80 | 0x20 | (1ull << 40)}}).reasons_text(), "sw-thermal,hw-power-brake,other");
}

// With a GPU (and hence a driver, which ships NVML) the monitor opens and
// reads a clock; without one it must say why instead of pretending.
TEST(GpuMonitor, OpensWhereTheDriverIs) {
  int count = 0;
  const bool gpu = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  cudaGetLastError();
  const GpuMonitor monitor(0);
  if (!gpu) {
    EXPECT_FALSE(monitor.available() && monitor.why().empty());
    GTEST_SKIP() << "no CUDA device: the monitor reports '" << monitor.why() << "'";
  }
  ASSERT_TRUE(monitor.available()) << monitor.why();
  const ClockSample c = monitor.sample();
  EXPECT_GT(c.sm_mhz, 100u);
  EXPECT_LT(c.sm_mhz, 5000u);
}

}  // namespace
}  // namespace w4a16::cli
