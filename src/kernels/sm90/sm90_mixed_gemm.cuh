// Hopper W4A16 GEMM: one CUTLASS 3.x kernel type per configuration of
// sm90_mixed_configs.h (docs/cutlass-mixed-input.md has every fact used here,
// with the CUTLASS 4.2 file and line it comes from).
//
// The problem is computed transposed, D'[N, M] = W[N, K] * X^T, so that the
// narrow int4 weights are the WGMMA's register-sourced A operand (converted to
// bf16 in registers, then s*q + z per group) and the tokens are the WGMMA's N,
// which lets small token tiles serve mid-size M:
//   * W: our canonical [N, K/2] bytes are a RowMajor (K-major) cutlass::int4b_t
//     matrix as they are (two's complement, element 0 in the low nibble);
//     reordered configurations read the copy sm90_prepack_weights made
//     (ReorderedWeightAtom below).
//   * X: [M, K] row-major == a ColumnMajor (K x M) B operand.
//   * Y: [M, N] row-major == D' ColumnMajor [N, M]; C = D = Y gives beta * Y.
//   * Scales and zeros: CUTLASS reads them N-contiguous, [K/g, N]; the caller
//     transposes ours ([N, K/g]) into the workspace first.
// Dequantization: ConvertAndScaleWithZero writes `q * s + z` with bf16
// operators; ptxas contracts them into one HFMA2.BF16 (one rounding), which is
// what makes the weights bit-identical to our bf16_rn(s*q + z).  That is a
// compiler decision, not a CUTLASS guarantee: tests/sass_checks (TODO(#4))
// must assert HFMA2.BF16 and no HMUL2.BF16 in every instance.
#pragma once

#include <cuda_runtime.h>

#include "cute/tensor.hpp"
#include "cutlass/cutlass.h"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/util/packed_stride.hpp"
#include "kernels/sm90/sm90_mixed_gemm.h"

namespace w4a16::kernels::sm90 {

template <Sm90Schedule S>
struct ScheduleOf;
template <>
struct ScheduleOf<Sm90Schedule::coop> {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedCooperative;
  using Epilogue = cutlass::epilogue::TmaWarpSpecializedCooperative;
};
template <>
struct ScheduleOf<Sm90Schedule::pp> {
  using Kernel = cutlass::gemm::KernelTmaWarpSpecializedPingpong;
  using Epilogue = cutlass::epilogue::TmaWarpSpecialized;
};

template <Sm90Scheduler S>
struct SchedulerOf {
  using type = void;  // CUTLASS's default: the persistent data-parallel scheduler
};
template <>
struct SchedulerOf<Sm90Scheduler::streamk> {
  using type = cutlass::gemm::StreamKScheduler;
};

// The reordered weight layout (docs/sm90-weight-reorder.md), as the CuTe
// layout the mainloop's TMA and shared-memory copies read it through.  One
// atom is one warp's 16 x 16 (rows x k) slice of the WGMMA A operand:
//   row n = n0 + 8*n1          (n0 = lane / 4, n1 = the fragment's row half)
//   k     = k0 + 2*k1 + 8*k2   (k1 = lane % 4, k0/k2 = the pair and k halves)
//   offset = 32*n0 + n1 + 4*k0 + 8*k1 + 2*k2
// so lane (n0, k1) owns the 8 contiguous nibbles [32*n0 + 8*k1, +8), in the
// value order [0,2,4,6,1,3,5,7] that CUTLASS's int4 -> bf16 converter
// (LayoutAwareConvertImpl, cutlass/detail/collective/mixed_input_utils.hpp)
// specialises on.  This is the atom CUTLASS's compute_memory_reordering_atom
// builds for bf16 with the [0,2,4,6,1,3,5,7] value shuffle (its trivial
// modes kept, so that the converter's layout match still fires); atoms tile N
// first, then K.  sm90_prepack_weights (sm90_mixed_gemm.cu) writes it.
using ReorderedWeightAtom =
    cute::Layout<cute::Shape<cute::Shape<cute::Shape<cute::_8, cute::_2>, cute::_1>,
                             cute::Shape<cute::Shape<cute::_2, cute::_4, cute::_2>, cute::_1>>,
                 cute::Stride<cute::Stride<cute::Stride<cute::_32, cute::_1>, cute::_0>,
                              cute::Stride<cute::Stride<cute::_4, cute::_8, cute::_2>, cute::_0>>>;

template <Sm90MixedConfigId Id>
struct MixedGemm {
  static constexpr Sm90MixedConfig kConfig = kSm90MixedConfigs[static_cast<int>(Id)];
  using ElementW = cutlass::int4b_t;
  using ElementScale = cutlass::bfloat16_t;
  using ElementZero = cutlass::bfloat16_t;
  using ElementX = cutlass::bfloat16_t;
  using ElementY = cutlass::bfloat16_t;
  using LayoutWCanonical = cutlass::layout::RowMajor;  // [N, K], K contiguous
  using StrideWCanonical = cutlass::detail::TagToStrideA_t<LayoutWCanonical>;
  static constexpr bool kReordered = kConfig.weights == Sm90Weights::reordered;
  using LayoutWReordered = decltype(cute::tile_to_shape(
      ReorderedWeightAtom{}, cute::Layout<cute::Shape<int, int, int>, StrideWCanonical>{}));
  // The builder takes a layout tag (canonical) or a full CuTe layout (reordered).
  using LayoutW = cute::conditional_t<kReordered, LayoutWReordered, LayoutWCanonical>;
  using LayoutX = cutlass::layout::ColumnMajor;   // (K x M) == X[M, K] row-major
  using LayoutY = cutlass::layout::ColumnMajor;   // D'[N, M] == Y[M, N] row-major
  static constexpr int kAlignW = 32;              // 16 B of int4
  static constexpr int kAlignX = 8;               // 16 B of bf16
  static constexpr int kAlignY = 8;
  using TileShape = cute::Shape<cute::Int<kConfig.tile_n>, cute::Int<kConfig.tile_m>, cute::Int<kConfig.tile_k>>;
  using ClusterShape = cute::Shape<cute::Int<kConfig.cluster_n>, cute::_1, cute::_1>;
  using Schedule = ScheduleOf<kConfig.schedule>;

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      cutlass::epilogue::collective::EpilogueTileAuto, float, float, ElementY, LayoutY, kAlignY, ElementY, LayoutY,
      kAlignY, typename Schedule::Epilogue>::CollectiveOp;
  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, cute::tuple<ElementW, ElementScale, ElementZero>, LayoutW,
      kAlignW, ElementX, LayoutX, kAlignX, float, TileShape, ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Schedule::Kernel>::CollectiveOp;
  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, CollectiveMainloop,
                                                      CollectiveEpilogue, typename SchedulerOf<kConfig.scheduler>::type>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;

  static typename Gemm::Arguments arguments(const Sm90MixedParams& p) {
    using StrideX = typename Kernel::StrideB;
    using StrideC = typename Kernel::StrideC;
    using StrideD = typename Kernel::StrideD;
    using StrideS = typename CollectiveMainloop::StrideScale;
    const int L = 1;
    const int scale_k = (p.K + p.group_size - 1) / p.group_size;
    typename Gemm::Arguments args{
        cutlass::gemm::GemmUniversalMode::kGemm,
        {p.N, p.M, p.K, L},
        {static_cast<const ElementW*>(p.wq), weight_layout(p),
         static_cast<const ElementX*>(p.x), cutlass::make_cute_packed_stride(StrideX{}, cute::make_shape(p.M, p.K, L)),
         static_cast<const ElementScale*>(p.scales_t),
         cutlass::make_cute_packed_stride(StrideS{}, cute::make_shape(p.N, scale_k, L)), p.group_size,
         static_cast<const ElementZero*>(p.zeros_t)},
        {{p.alpha, p.beta},
         static_cast<const ElementY*>(p.y),
         cutlass::make_cute_packed_stride(StrideC{}, cute::make_shape(p.N, p.M, L)),
         static_cast<ElementY*>(p.y),
         cutlass::make_cute_packed_stride(StrideD{}, cute::make_shape(p.N, p.M, L))}};
    if constexpr (kConfig.scheduler == Sm90Scheduler::streamk) {
      // splits > 1: CUTLASS's split-K decomposition with exactly that many K
      // ranges per output tile (whole 64-deep k blocks each, so every range
      // starts on a group boundary of g % 64 == 0), reduced in a fixed order
      // (ReductionMode::Deterministic, the scheduler's default).  Otherwise
      // the scheduler's own data-parallel / split-K / stream-K heuristic.
      if (p.splits > 1) {
        args.scheduler.splits = p.splits;
        args.scheduler.decomposition_mode = cutlass::gemm::kernel::detail::DecompositionMode::SplitK;
      }
    }
    args.hw_info.device_id = p.device;
    args.hw_info.sm_count = p.sm_count;
    return args;
  }

  static auto weight_layout(const Sm90MixedParams& p) {
    if constexpr (kReordered) {
      return cute::tile_to_shape(ReorderedWeightAtom{}, cute::make_shape(p.N, p.K, 1));
    } else {
      return cutlass::make_cute_packed_stride(StrideWCanonical{}, cute::make_shape(p.N, p.K, 1));
    }
  }

  static size_t workspace_size(const Sm90MixedParams& p) { return Gemm::get_workspace_size(arguments(p)); }

  // No allocation, no synchronization: initialize() encodes the TMA
  // descriptors on the host, sets the kernel's shared-memory limit and (stream-K
  // only) zeroes the caller's workspace with cudaMemsetAsync; run() launches.
  static cudaError_t run(const Sm90MixedParams& p, cudaStream_t stream) {
    Gemm gemm;
    const typename Gemm::Arguments args = arguments(p);
    if (gemm.can_implement(args) != cutlass::Status::kSuccess) return cudaErrorInvalidValue;
    const size_t need = Gemm::get_workspace_size(args);
    if (need > 0 && (p.workspace == nullptr || p.workspace_bytes < need)) return cudaErrorInvalidValue;
    if (gemm.initialize(args, need > 0 ? p.workspace : nullptr, stream) != cutlass::Status::kSuccess)
      return cudaErrorLaunchFailure;
    if (gemm.run(stream) != cutlass::Status::kSuccess) {
      const cudaError_t err = cudaGetLastError();
      return err != cudaSuccess ? err : cudaErrorLaunchFailure;
    }
    return cudaSuccess;
  }
};

}  // namespace w4a16::kernels::sm90

#define W4A16_SM90_MIXED_INSTANCE(name)                                                   \
  namespace w4a16::kernels {                                                              \
  cudaError_t sm90_mixed_gemm_##name(const Sm90MixedParams& p, cudaStream_t stream) {     \
    return sm90::MixedGemm<Sm90MixedConfigId::name>::run(p, stream);                      \
  }                                                                                       \
  size_t sm90_mixed_workspace_##name(const Sm90MixedParams& p) {                          \
    return sm90::MixedGemm<Sm90MixedConfigId::name>::workspace_size(p);                   \
  }                                                                                       \
  }
