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
// compiler decision, not a CUTLASS guarantee: the ctest sm90_dequant_sass
// (scripts/check_sm90_sass.sh) asserts HFMA2.BF16 and no HMUL2.BF16 in every
// instance.
#pragma once

#include <cuda_runtime.h>

#include "cute/tensor.hpp"
#include "cutlass/cutlass.h"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/util/packed_stride.hpp"
#include "kernels/common/smem_limit.h"
#include "kernels/common/splitk_reduce.h"
#include "kernels/sm90/sm90_launch_memo.h"
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
  using type = void;  // CUTLASS's default: the persistent data-parallel scheduler (also for kslices)
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
  // K slices (sm90_mixed_configs.h): the batch mode L of the GEMM is the
  // slice, D is fp32 partials [S, M, N] in the workspace (no C), and
  // splitk_reduce applies alpha, beta and the rounding.  Only the reordered
  // layout, whose K slices are plain offsets (16-deep k slices of all N rows
  // are contiguous, so tile_to_shape's L mode strides N * K / S).
  static constexpr bool kKSlices = kConfig.scheduler == Sm90Scheduler::kslices;
  static_assert(!kKSlices || kReordered, "kslices configurations read the reordered weights");
  using LayoutWReordered = decltype(cute::tile_to_shape(
      ReorderedWeightAtom{}, cute::Layout<cute::Shape<int, int, int>, StrideWCanonical>{}));
  // The builder takes a layout tag (canonical) or a full CuTe layout (reordered).
  using LayoutW = cute::conditional_t<kReordered, LayoutWReordered, LayoutWCanonical>;
  using LayoutX = cutlass::layout::ColumnMajor;   // (K x M) == X[M, K] row-major
  using LayoutY = cutlass::layout::ColumnMajor;   // D'[N, M] == Y[M, N] row-major
  using ElementD = cute::conditional_t<kKSlices, float, ElementY>;
  using ElementC = cute::conditional_t<kKSlices, void, ElementY>;
  static constexpr int kAlignW = 32;              // 16 B of int4
  static constexpr int kAlignX = 8;               // 16 B of bf16
  static constexpr int kAlignD = 16 / static_cast<int>(sizeof(ElementD));
  using TileShape = cute::Shape<cute::Int<kConfig.tile_n>, cute::Int<kConfig.tile_m>, cute::Int<kConfig.tile_k>>;
  using ClusterShape = cute::Shape<cute::Int<kConfig.cluster_n>, cute::_1, cute::_1>;
  // A TMA box has at most 256 elements per dimension, and the mainloop loads
  // the group scales and zeros ([K/g, N]) in boxes of TILE_N along N.  A
  // 512-row tile compiles, but cuTensorMapEncodeTiled refuses its scale box;
  // CUTLASS only prints that to stderr and launches anyway, and the kernel
  // dies with an illegal instruction (measured on H100, 2026-11-27).
  static_assert(kConfig.tile_n <= 256, "TILE_N > 256: the scale and zero TMA box would exceed 256 rows");
  using Schedule = ScheduleOf<kConfig.schedule>;

  using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      cutlass::epilogue::collective::EpilogueTileAuto, float, float, ElementC, LayoutY, kAlignD, ElementD, LayoutY,
      kAlignD, typename Schedule::Epilogue>::CollectiveOp;
  using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, cute::tuple<ElementW, ElementScale, ElementZero>, LayoutW,
      kAlignW, ElementX, LayoutX, kAlignX, float, TileShape, ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename CollectiveEpilogue::SharedStorage))>,
      typename Schedule::Kernel>::CollectiveOp;
  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, CollectiveMainloop,
                                                      CollectiveEpilogue, typename SchedulerOf<kConfig.scheduler>::type>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;

  // K slices of this problem: the forced or planned split for kslices
  // configurations (1 when unset), 1 otherwise.
  static int slices(const Sm90MixedParams& p) { return kKSlices && p.splits > 1 ? p.splits : 1; }

  // kslices: whole groups per slice (g < K; with g == K only one slice).
  static bool slices_valid(const Sm90MixedParams& p) {
    const int s = slices(p);
    return s == 1 || (p.group_size < p.K && p.K % (s * p.group_size) == 0);
  }

  // The fp32 partials of kslices configurations, at the start of the
  // workspace (CUTLASS's own workspace, if any, follows).
  static size_t partial_bytes(const Sm90MixedParams& p) {
    if constexpr (kKSlices) {
      const size_t bytes = static_cast<size_t>(slices(p)) * p.M * p.N * sizeof(float);
      return (bytes + 255) / 256 * 256;
    } else {
      return 0;
    }
  }

  static typename Gemm::Arguments arguments(const Sm90MixedParams& p) {
    using StrideX = typename Kernel::StrideB;
    using StrideC = typename Kernel::StrideC;
    using StrideD = typename Kernel::StrideD;
    using StrideS = typename CollectiveMainloop::StrideScale;
    const int L = slices(p);
    const int k_slice = p.K / L;
    const int scale_k = (k_slice + p.group_size - 1) / p.group_size;
    // Slice l of X is columns [l * K / L, (l + 1) * K / L): batch stride K / L
    // with the row stride of the whole K (L = 1: the packed strides).
    StrideX stride_x = cutlass::make_cute_packed_stride(StrideX{}, cute::make_shape(p.M, p.K, 1));
    if (L > 1) cute::get<2>(stride_x) = k_slice;
    // kslices: D = fp32 partials [L, M, N] (each [M, N] row-major == [N, M]
    // column-major), no C, alpha = 1, beta = 0 (splitk_reduce applies them).
    void* d_ptr = kKSlices ? p.workspace : p.y;
    const float alpha = kKSlices ? 1.0f : p.alpha;
    const float beta = kKSlices ? 0.0f : p.beta;
    typename Gemm::Arguments args{
        cutlass::gemm::GemmUniversalMode::kGemm,
        {p.N, p.M, k_slice, L},
        {static_cast<const ElementW*>(p.wq), weight_layout(p),
         static_cast<const ElementX*>(p.x), stride_x,
         static_cast<const ElementScale*>(p.scales_t),
         cutlass::make_cute_packed_stride(StrideS{}, cute::make_shape(p.N, scale_k, L)), p.group_size,
         static_cast<const ElementZero*>(p.zeros_t)},
        {{alpha, beta},
         kKSlices ? nullptr : static_cast<const ElementC*>(p.y),
         cutlass::make_cute_packed_stride(StrideC{}, cute::make_shape(p.N, p.M, L)),
         static_cast<ElementD*>(d_ptr),
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
      return cute::tile_to_shape(ReorderedWeightAtom{}, cute::make_shape(p.N, p.K / slices(p), slices(p)));
    } else {
      return cutlass::make_cute_packed_stride(StrideWCanonical{}, cute::make_shape(p.N, p.K, 1));
    }
  }

  static size_t workspace_size(const Sm90MixedParams& p) {
    if (!slices_valid(p)) return 0;
    return partial_bytes(p) + Gemm::get_workspace_size(arguments(p));
  }

  // The kernel's Params for these arguments: from the memo when an earlier
  // call built them (sm90_launch_memo.h: CUTLASS's to_underlying_arguments
  // encodes the TMA descriptors on the host), else built, and kept unless the
  // configuration needs CUTLASS workspace (stream-K: zeroed on every call by
  // initialize_workspace, with cudaMemsetAsync).  *programmatic_ok: the
  // launch may be programmatic (nothing was enqueued before it).
  static cudaError_t params_for(const Sm90MixedParams& p, cudaStream_t stream, typename Gemm::Params* params,
                                bool* programmatic_ok) {
    static Sm90LaunchMemo<typename Gemm::Params> memo;
    constexpr bool kMemoizable = kConfig.scheduler != Sm90Scheduler::streamk;
    *programmatic_ok = true;
    if (kMemoizable && memo.find(p, params)) return cudaSuccess;
    const typename Gemm::Arguments args = arguments(p);
    if (Gemm::can_implement(args) != cutlass::Status::kSuccess) return cudaErrorInvalidValue;
    const size_t partials = partial_bytes(p);
    const size_t need = Gemm::get_workspace_size(args);
    if ((partials + need > 0) && (p.workspace == nullptr || p.workspace_bytes < partials + need))
      return cudaErrorInvalidValue;
    void* cutlass_ws = need > 0 ? static_cast<char*>(p.workspace) + partials : nullptr;
    if (Kernel::initialize_workspace(args, cutlass_ws, stream, nullptr) != cutlass::Status::kSuccess)
      return cudaErrorLaunchFailure;
    *params = Kernel::to_underlying_arguments(args, cutlass_ws);
    *programmatic_ok = need == 0;
    if (kMemoizable && need == 0) memo.insert(p, *params);
    return cudaSuccess;
  }

  // No allocation, no synchronization: the Params (memoized per argument
  // set), the shared-memory limit (once per device, smem_limit.h), the
  // launch; kslices add the reduction kernel.
  static cudaError_t run(const Sm90MixedParams& p, cudaStream_t stream) {
    if (!slices_valid(p)) return cudaErrorInvalidValue;
    typename Gemm::Params params;
    bool programmatic_ok = false;
    const cudaError_t prep = params_for(p, stream, &params, &programmatic_ok);
    if (prep != cudaSuccess) return prep;
    // Programmatic only for the kernels compiled with CUTLASS's
    // griddepcontrol.wait (src/CMakeLists.txt: packed weights, not stream-K)
    // and only when nothing was enqueued between the previous kernel and this
    // one.
    constexpr bool kHasGridDependencyWait = kReordered && kConfig.scheduler != Sm90Scheduler::streamk;
    const bool programmatic = kHasGridDependencyWait && p.programmatic && programmatic_ok;
    static DynamicSmemLimit smem_limit;
    constexpr int kSmem = Kernel::SharedStorageSize;
    const auto launch = [&]() -> cudaError_t {
      if (Gemm::run(params, stream, nullptr, programmatic) == cutlass::Status::kSuccess) return cudaSuccess;
      const cudaError_t err = cudaGetLastError();
      return err != cudaSuccess ? err : cudaErrorLaunchFailure;
    };
    const cudaError_t err =
        kSmem >= (48 << 10)
            ? launch_with_smem_limit(smem_limit, reinterpret_cast<const void*>(&cutlass::device_kernel<Kernel>),
                                     kSmem, p.device, launch)
            : launch();
    if (err != cudaSuccess) return err;
    if constexpr (kKSlices) {
      GemmParams r{};
      r.y = static_cast<uint16_t*>(p.y);
      r.partials = static_cast<float*>(p.workspace);
      r.M = p.M;
      r.N = p.N;
      r.K = p.K;
      r.alpha = p.alpha;
      r.beta = p.beta;
      r.split_k = slices(p);
      return splitk_reduce(r, stream, p.programmatic_reduce);
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
