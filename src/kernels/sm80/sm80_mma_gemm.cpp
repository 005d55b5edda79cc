#include "kernels/sm80/sm80_mma_gemm.h"

namespace w4a16::kernels {

cudaError_t sm80_mma_gemm(Sm80MmaConfigId id, const GemmParams& p, cudaStream_t stream) {
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

}  // namespace w4a16::kernels
