#include "dispatch/autotune_cache.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace w4a16::dispatch {
namespace {

constexpr const char* kMagic = "w4a16-autotune 2";
constexpr const char* kMagicPrefix = "w4a16-autotune ";

bool valid_spec(const std::string& spec) {
  if (spec.empty() || spec.size() > 64) return false;
  for (char c : spec) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool AutotuneCache::load(const std::string& path, const TuneFingerprint& expected, std::string* warning) {
  warning->clear();
  entries_.clear();
  std::ifstream in(path);
  if (!in) {
    std::ifstream probe(path, std::ios::in | std::ios::binary);
    if (probe.good()) *warning = "autotune file " + path + " is unreadable";
    return false;
  }
  std::map<TuneKey, TuneChoice> entries;
  std::string line;
  int line_no = 0;
  auto corrupt = [&](const char* what) {
    *warning = "ignoring autotune file " + path + ": line " + std::to_string(line_no) + " " + what;
    return false;
  };
  // Header: magic, library, gpu, arch + sm_count, each compared exactly.
  const std::string want_arch = "arch " + std::to_string(expected.arch) + " sm_count " + std::to_string(expected.sm_count);
  const std::string header[] = {kMagic, "library " + expected.library, "gpu " + expected.gpu, want_arch};
  for (const std::string& want : header) {
    ++line_no;
    if (!std::getline(in, line)) return corrupt("missing (truncated header)");
    if (line != want) {
      if (line_no == 1 && line.rfind(kMagicPrefix, 0) != 0)
        return corrupt("is not an autotune header (corrupt or another format)");
      *warning = "ignoring stale autotune file " + path + ": it says '" + line + "', this run is '" + want + "'";
      return false;
    }
  }
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    TuneKey key{};
    int zeros = -1;
    TuneChoice choice;
    std::string extra;
    if (!(ss >> key.M >> key.N >> key.K >> key.group_size >> zeros >> key.layout >> choice.spec >> choice.time_us) ||
        (ss >> extra))
      return corrupt("does not parse as '<M> <N> <K> <g> <zeros> <layout> <spec> <time_us>'");
    if (key.M < 1 || key.N < 1 || key.K < 1 || key.group_size < 1 || (zeros != 0 && zeros != 1) ||
        (key.layout != 0 && key.layout != 1))
      return corrupt("has an impossible problem");
    if (!valid_spec(choice.spec)) return corrupt("has an invalid configuration spec");
    if (!(choice.time_us > 0.0 && choice.time_us < 1e9)) return corrupt("has an impossible time");
    key.has_zeros = zeros == 1;
    entries[key] = choice;
  }
  entries_ = std::move(entries);
  return true;
}

bool AutotuneCache::save(const std::string& path, const TuneFingerprint& fp, std::string* error) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      *error = "cannot write " + tmp;
      return false;
    }
    out << kMagic << "\nlibrary " << fp.library << "\ngpu " << fp.gpu << "\narch " << fp.arch << " sm_count "
        << fp.sm_count << "\n";
    char buf[64];
    for (const auto& [key, choice] : entries_) {
      std::snprintf(buf, sizeof buf, "%.3f", choice.time_us);
      out << key.M << ' ' << key.N << ' ' << key.K << ' ' << key.group_size << ' ' << (key.has_zeros ? 1 : 0) << ' '
          << key.layout << ' ' << choice.spec << ' ' << buf << '\n';
    }
    if (!out.flush()) {
      *error = "cannot write " + tmp;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + tmp + " to " + path;
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

const TuneChoice* AutotuneCache::find(const TuneKey& key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace w4a16::dispatch
