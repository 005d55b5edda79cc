#include "kernels/sm80/sm80_mma_gemm.h"

#include "kernels/common/splitk_reduce.h"

namespace w4a16::kernels {

namespace {

cudaError_t launch_config(Sm80MmaConfigId id, const GemmParams& p, cudaStream_t stream) {
  switch (id) {
#define W4A16_X(name, ...)          \
  case Sm80MmaConfigId::name:       \
    return sm80_mma_gemm_##name(p, stream);
    W4A16_SM80_MMA_CONFIGS(W4A16_X)
#undef W4A16_X
    case Sm80MmaConfigId::kCount:
      break;
  }
  return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t sm80_mma_gemm(Sm80MmaConfigId id, const GemmParams& p, cudaStream_t stream) {
  if (static_cast<int>(id) < 0 || id >= Sm80MmaConfigId::kCount) return cudaErrorInvalidValue;
  cudaError_t err = launch_config(id, p, stream);
  // With split_k > 1 every kernel writes fp32 partials, added in a second
  // kernel; after the decode kernels (which trigger their dependents at
  // their start) as a programmatic dependent launch where allowed.
  if (err == cudaSuccess && p.split_k > 1) {
    const bool decode = is_decode(kSm80MmaConfigs[static_cast<int>(id)].kind);
    err = splitk_reduce(p, stream, decode && p.programmatic_reduce != 0);
  }
  return err;
}

}  // namespace w4a16::kernels
