// Thin PTX wrappers used by the sm80+ kernels.  Each says why it is PTX.
#pragma once

#include <cstdint>

namespace w4a16::kernels::ptx {

// 16-byte global->shared copy that bypasses L1 (.cg) and zero-fills the
// destination when `valid` is false (src-size 0): out-of-range rows and the
// K tail then read as zeros without a branch around the copy.
__device__ __forceinline__ void cp_async_16(void* smem_dst, const void* gmem_src, bool valid) {
  const uint32_t dst = static_cast<uint32_t>(__cvta_generic_to_shared(smem_dst));
  const int src_size = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem_src), "r"(src_size));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// D = A * B + C, m16n8k16, bf16 inputs, fp32 accumulators.
__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Packed bf16x2 fused multiply-add with one rounding per lane (sm_80+).  Used
// for dequantization so that the kernel's What is bf16_rn(s*q + z) exactly,
// bit-identical to the host reference.
__device__ __forceinline__ uint32_t fma_bf16x2(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t d;
  asm("fma.rn.bf16x2 %0, %1, %2, %3;\n" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

// Byte permute: picks 16-bit halves of two registers into one (see prmt).
__device__ __forceinline__ uint32_t prmt(uint32_t a, uint32_t b, uint32_t selector) {
  uint32_t d;
  asm("prmt.b32 %0, %1, %2, %3;\n" : "=r"(d) : "r"(a), "r"(b), "r"(selector));
  return d;
}

// 16-byte global loads, zero-filled when !valid: predicated in PTX, so the
// zero fill costs no branch.  volatile: they keep program order with the
// (volatile) mma, so a pipeline stage is refilled right after its registers
// are consumed instead of being hoisted (which needs a second set of
// registers, and spills).  The two differ in the cache policy:
//   ldg_stream_16: ld.global.nc.L1::no_allocate, for data read once (weights),
//                  which must not push reused lines out of L1;
//   ld_act_16:     ld.global (coherent, cached in L1), for data several warps
//                  reread (activations).  Not .nc: under a programmatic launch
//                  the activations may be the previous kernel's output, and
//                  ptxas moves .nc loads (read-only for the kernel's lifetime)
//                  above griddepcontrol.wait (ACQBULK) -- it did for the
//                  decode prologue's activation loads (tenth session).
// One definition for both kinds of predicated 16-byte load: `fill` is the PTX
// run before the load (the zero fill below, or nothing for the _pred loads).
#define W4A16_PTX_LDG16(name, fill, load)                                                  \
  __device__ __forceinline__ uint4 name(const void* ptr, bool valid) {                     \
    uint4 v;                                                                               \
    asm volatile(                                                                          \
        "{\n .reg .pred p;\n setp.ne.b32 p, %5, 0;\n" fill                                \
        " @p " load " {%0, %1, %2, %3}, [%4];\n}\n"                                       \
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)                                       \
        : "l"(ptr), "r"(static_cast<int>(valid)));                                         \
    return v;                                                                              \
  }
#define W4A16_PTX_ZERO_FILL " mov.b32 %0, 0; mov.b32 %1, 0; mov.b32 %2, 0; mov.b32 %3, 0;\n"
W4A16_PTX_LDG16(ldg_stream_16, W4A16_PTX_ZERO_FILL, "ld.global.nc.L1::no_allocate.v4.u32")
W4A16_PTX_LDG16(ld_act_16, W4A16_PTX_ZERO_FILL, "ld.global.v4.u32")
#undef W4A16_PTX_ZERO_FILL

// ldg_stream_16 without the zero fill: when !valid the registers keep their
// previous contents (finite int4 codes whatever they are), which the decode
// kernel neutralises with a zero scale and zero point.  Saves four moves.
// ld_stream_16_keep is the same without .nc, for a prologue that must stay
// behind a griddepcontrol.wait in program order (ptxas moves .nc loads
// across it).
#define W4A16_PTX_LDG16_KEEP(name, load)                                         \
  __device__ __forceinline__ void name(uint4& v, const void* ptr, bool valid) {  \
    asm volatile(                                                                \
        "{\n .reg .pred p;\n setp.ne.b32 p, %5, 0;\n"                            \
        " @p " load " {%0, %1, %2, %3}, [%4];\n}\n"                              \
        : "+r"(v.x), "+r"(v.y), "+r"(v.z), "+r"(v.w)                             \
        : "l"(ptr), "r"(static_cast<int>(valid)));                               \
  }
W4A16_PTX_LDG16_KEEP(ldg_stream_16_keep, "ld.global.nc.L1::no_allocate.v4.u32")
W4A16_PTX_LDG16_KEEP(ld_stream_16_keep, "ld.global.L1::no_allocate.v4.u32")
#undef W4A16_PTX_LDG16_KEEP

// Predicated loads with no fill at all: when !valid the destination is
// undefined.  For the decode kernels' hot loop, whose skipped loads are only
// ever those of stages past the warp's last k block (never computed) and of
// m16 blocks past N (rows discarded); K tails take a zero-filling path.
// (Zero fills cost 16 moves per stage at M <= 8; docs/perf-notes.md.)
W4A16_PTX_LDG16(ldg_stream_16_pred, "", "ld.global.nc.L1::no_allocate.v4.u32")
W4A16_PTX_LDG16(ld_act_16_pred, "", "ld.global.v4.u32")
// The weights' load without .nc: for loads that must stay ahead of a
// griddepcontrol.wait in program order (ptxas moves .nc loads across it).
W4A16_PTX_LDG16(ld_stream_16_pred, "", "ld.global.L1::no_allocate.v4.u32")
#undef W4A16_PTX_LDG16
// 2-byte load into the low half of a 32-bit register (high half zero).  Not
// volatile: the group parameters are read-only for the kernel's lifetime, so
// the compiler may move the load (measured the same as volatile).
__device__ __forceinline__ uint32_t ldg_u16_pred(const void* ptr, bool valid) {
  uint32_t v;
  asm(
      "{\n .reg .pred p;\n setp.ne.b32 p, %2, 0;\n"
      " @p ld.global.nc.u16 %0, [%1];\n}\n"
      : "=r"(v)
      : "l"(ptr), "r"(static_cast<int>(valid)));
  return v;
}

// Coherent 2-byte loads for the decode prologues, whose loads must stay
// behind a griddepcontrol.wait that precedes them in program order (ptxas
// moves .nc loads across it, as for the 16-byte loads above): ld_u16 for a
// load under a C++ condition (the canonical prologue, in the shape of its
// hot loop's `v ? __ldg(..) : 0`), ld_u16_pred predicated in PTX.
__device__ __forceinline__ uint32_t ld_u16(const void* ptr) {
  uint16_t v;
  asm volatile("ld.global.u16 %0, [%1];\n" : "=h"(v) : "l"(ptr));
  return v;
}
__device__ __forceinline__ uint32_t ld_u16_pred(const void* ptr, bool valid) {
  uint32_t v;
  asm volatile(
      "{\n .reg .pred p;\n setp.ne.b32 p, %2, 0;\n"
      " @p ld.global.u16 %0, [%1];\n}\n"
      : "=r"(v)
      : "l"(ptr), "r"(static_cast<int>(valid)));
  return v;
}

// (a & b) ^ c in one LOP3 (the compiler emits an AND and a XOR when b and c
// are both immediates, since a LOP3 encodes one immediate operand).
__device__ __forceinline__ uint32_t and_xor(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t d;
  asm("lop3.b32 %0, %1, %2, %3, 0x6a;\n" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

// Asks L2 for the 128-byte line holding ptr (prefetch.global.L2): no register,
// no scoreboard; callers pass in-range addresses only.  L2 is the GPU's point
// of coherence for device memory, so a line prefetched before
// griddepcontrol.wait can never serve a stale value to a load issued after
// it: a later write by the previous grid updates that same L2 line.
__device__ __forceinline__ void prefetch_l2(const void* ptr) {
  asm volatile("prefetch.global.L2 [%0];\n" ::"l"(ptr));
}

// Programmatic dependent launch (sm_90+; both are no-ops on older archs, and
// at run time when the grid was not launched with the programmatic-stream-
// serialization attribute).
//   grid_dependency_wait: blocks until every grid this one depends on has
//     completed and its memory is visible.  A kernel launched programmatically
//     may read only data no earlier kernel writes (the weights) before it.
//   launch_dependent_grids: lets the next grid in the stream, if it was
//     launched programmatically, be scheduled once every CTA of this grid has
//     executed it or exited; its CTAs then fill SMs as this grid's CTAs leave.
__device__ __forceinline__ void grid_dependency_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void launch_dependent_grids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

}  // namespace w4a16::kernels::ptx
