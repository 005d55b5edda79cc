// The autotune mode's persisted choices (W4A16_AUTOTUNE=1): per problem key,
// the configuration spec ("name" or "name:split") that timed fastest, in a
// text file that later runs load.  A file made by another library version or
// for another GPU (stale), or one that does not parse (corrupt), is ignored
// as a whole with a warning; nothing in it is trusted.  Pure host code.
//
// File format (one key per line after the header, '#' lines are comments):
//   w4a16-autotune 2
//   library 0.1.0
//   gpu NVIDIA H100 80GB HBM3
//   arch 90 sm_count 132
//   <M> <N> <K> <g> <zeros 0|1> <layout 0|1> <spec> <time_us>
// layout is the weights' PackedLayout (0: canonical, w4a16GemmForward and
// canonical packs; 1: the sm90 fragment order of w4a16PackWeights), since the
// two layouts are read by different kernels.  A version-1 file (no layout
// column) is stale.
#pragma once

#include <map>
#include <string>
#include <tuple>

namespace w4a16::dispatch {

struct TuneKey {
  int M, N, K, group_size;
  bool has_zeros;
  int layout = 0;  // dispatch::PackedLayout as int
  bool operator<(const TuneKey& o) const {
    return std::tie(M, N, K, group_size, has_zeros, layout) <
           std::tie(o.M, o.N, o.K, o.group_size, o.has_zeros, o.layout);
  }
};

struct TuneFingerprint {
  std::string library;  // w4a16VersionString()
  std::string gpu;      // cudaDeviceProp::name
  int arch = 0;         // 90 for sm_90
  int sm_count = 0;
};

struct TuneChoice {
  std::string spec;  // what W4A16_FORCE_CONFIG would take
  double time_us = 0.0;
};

class AutotuneCache {
 public:
  // Replaces the contents with the file's.  Returns true when the file was
  // loaded; false when it does not exist (*warning empty) or was ignored
  // (*warning says why: unreadable, corrupt at line n, stale fingerprint).
  bool load(const std::string& path, const TuneFingerprint& expected, std::string* warning);
  // Writes every entry under `fingerprint` (to path.tmp, then renamed, so a
  // reader never sees half a file).  False with *error on failure.
  bool save(const std::string& path, const TuneFingerprint& fingerprint, std::string* error) const;

  const TuneChoice* find(const TuneKey& key) const;
  void put(const TuneKey& key, const TuneChoice& choice) { entries_[key] = choice; }
  void erase(const TuneKey& key) { entries_.erase(key); }
  size_t size() const { return entries_.size(); }

 private:
  std::map<TuneKey, TuneChoice> entries_;
};

}  // namespace w4a16::dispatch
