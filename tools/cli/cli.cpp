#include "cli.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "testutil.h"

namespace w4a16::cli {

void fail(const std::string& message) { throw CliError(kExitFailure, message); }

void usage_error(const std::string& message) {
  throw CliError(kExitUsage, message + " (see `w4a16 --help`)");
}

void check(w4a16Status_t status, const std::string& what) {
  if (status == W4A16_STATUS_SUCCESS) return;
  fail(what + " failed: " + w4a16StatusString(status) + ": " + w4a16GetLastErrorMessage());
}

void check_cuda(cudaError_t err, const char* expr, const char* file, int line) {
  if (err == cudaSuccess) return;
  fail(format("CUDA error %s (%s) in %s at %s:%d", cudaGetErrorName(err), cudaGetErrorString(err), expr, file,
              line));
}

void require_gpu(const std::string& command, const std::string& tail) {
  std::string why;
  if (testutil::gpu_available(&why)) return;
  throw CliError(kExitNoGpu, "w4a16 " + command + ": no CUDA GPU available (" + why + ")" + tail);
}

// ---- RAII -------------------------------------------------------------------

Stream::Stream() { W4A16_CLI_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
Stream::~Stream() {
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

Event::Event() { W4A16_CLI_CUDA(cudaEventCreate(&event_)); }
Event::~Event() {
  if (event_ != nullptr) cudaEventDestroy(event_);
}
Event::Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

// ---- arguments ----------------------------------------------------------------

Args::Args(int argc, char** argv, int first, const std::set<std::string>& flags,
           const std::set<std::string>& valued) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::string value;
    bool inline_value = false;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    if (flags.count(name) != 0) {
      if (inline_value) usage_error("option " + name + " takes no value");
      options_[name] = "";
    } else if (valued.count(name) != 0) {
      if (!inline_value) {
        if (i + 1 >= argc) usage_error("option " + name + " needs a value");
        value = argv[++i];
      }
      options_[name] = value;
    } else {
      usage_error("unknown option " + name);
    }
  }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = options_.find(name);
  return it == options_.end() ? fallback : it->second;
}

int parse_int(const std::string& text, const std::string& what, int min_value, int max_value) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min_value || v > max_value) {
    usage_error(format("%s must be an integer in [%d, %d], got '%s'", what.c_str(), min_value, max_value,
                       text.c_str()));
  }
  return static_cast<int>(v);
}

int Args::get_int(const std::string& name, int fallback, int min_value, int max_value) const {
  return has(name) ? parse_int(get(name, ""), name, min_value, max_value) : fallback;
}

uint64_t Args::get_u64(const std::string& name, uint64_t fallback) const {
  if (!has(name)) return fallback;
  std::string text = get(name, "");
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0) {
    usage_error(name + " must be an unsigned 64-bit integer, got '" + text + "'");
  }
  return static_cast<uint64_t>(v);
}

double Args::get_double(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  std::string text = get(name, "");
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') usage_error(name + " must be a number, got '" + text + "'");
  return v;
}

std::string command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool plain = !a.empty() && a.find_first_not_of(
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=.,/:@%") ==
                                   std::string::npos;
    if (i > 0) out += ' ';
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

// ---- formatting -----------------------------------------------------------------

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, args);
  va_end(args);
  return out;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? format("%.0f B", bytes) : format("%.1f %s", bytes, units[u]);
}

std::vector<uint16_t> random_normal_bf16(size_t count, uint64_t seed) {
  testutil::Rng rng(seed);
  std::vector<uint16_t> out(count);
  for (auto& v : out) v = testutil::f32_to_bf16(static_cast<float>(rng.normal()));
  return out;
}

}  // namespace w4a16::cli
