// Shared pieces of the `w4a16` command: error/exit-code handling, argument
// parsing, RAII device memory, small formatting helpers, and the entry points
// of the subcommands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <cuda_runtime_api.h>

#include "testutil.h"
#include "w4a16/w4a16.h"

namespace w4a16::cli {

// Exit codes of the command (documented in the usage text).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // a check failed or a call returned an error
constexpr int kExitNoGpu = 2;    // the subcommand needs a CUDA GPU and there is none
constexpr int kExitUsage = 64;   // bad command line (EX_USAGE)

// Thrown anywhere below main(); main() prints what() to stderr and exits with code.
class CliError : public std::runtime_error {
 public:
  CliError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

[[noreturn]] void fail(const std::string& message);
[[noreturn]] void usage_error(const std::string& message);

// Library calls: on failure throws with the status name and the library's message.
void check(w4a16Status_t status, const std::string& what);

// CUDA runtime calls: on failure throws with the CUDA error and the call site.
void check_cuda(cudaError_t err, const char* expr, const char* file, int line);
#define W4A16_CLI_CUDA(expr) ::w4a16::cli::check_cuda((expr), #expr, __FILE__, __LINE__)

// Exits with kExitNoGpu and "w4a16 <command>: no CUDA GPU available (<why>)<tail>"
// unless testutil::gpu_available() says a usable GPU is present.
void require_gpu(const std::string& command, const std::string& tail);

// Owning device allocation: the test utilities' (cudaMalloc; throws on failure).
using DeviceBuffer = testutil::DeviceBuffer;

// Owning CUDA stream / event wrappers so that early exits do not leak.
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  Event();
  ~Event();
  Event(Event&& other) noexcept;
  Event& operator=(Event&&) = delete;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// Command-line options of one subcommand: "--name value", "--name=value" or a
// bare "--flag"; everything else is positional.  Unknown options are usage errors.
class Args {
 public:
  Args(int argc, char** argv, int first, const std::set<std::string>& flags,
       const std::set<std::string>& valued);

  bool has(const std::string& name) const { return options_.count(name) != 0; }
  std::string get(const std::string& name, const std::string& fallback) const;
  int get_int(const std::string& name, int fallback, int min_value, int max_value) const;
  uint64_t get_u64(const std::string& name, uint64_t fallback) const;
  double get_double(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> options_;
  std::vector<std::string> positional_;
};

int parse_int(const std::string& text, const std::string& what, int min_value, int max_value);

// The full command line, shell-quoted where needed (recorded in bench results).
std::string command_line(int argc, char** argv);

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string human_bytes(double bytes);  // "50.0 MiB"

// Host N(0,1) bf16 values from a seeded generator.
std::vector<uint16_t> random_normal_bf16(size_t count, uint64_t seed);

// Subcommands.  Each returns the process exit code.
int cmd_info(int argc, char** argv);
int cmd_verify(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_quant(int argc, char** argv);
int cmd_dispatch(int argc, char** argv);

}  // namespace w4a16::cli
