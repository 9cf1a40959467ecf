// Hopper-only PTX the sm90 GEMMs use: mbarriers, the bulk tensor copy (TMA), wgmma fences and
// shared-memory descriptors, warpgroup register reallocation. Compiled for sm_90a only (the
// sm_80 pass of the addon sees empty declarations and never launches these kernels).
#pragma once

#include <cuda.h>

#include <cstdint>

namespace vl2::cuda::sm90 {

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

__device__ __forceinline__ uint32_t smemAddress(const void* pointer) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(pointer));
}

__device__ __forceinline__ void mbarrierInit(uint64_t* barrier, int arrivals) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smemAddress(barrier)), "r"(arrivals));
}

// Makes the initialised barriers visible to the copy engine before any TMA names them.
__device__ __forceinline__ void fenceBarrierInit() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}

__device__ __forceinline__ void mbarrierArrive(uint64_t* barrier) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smemAddress(barrier)) : "memory");
}

__device__ __forceinline__ void mbarrierArriveExpectBytes(uint64_t* barrier, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smemAddress(barrier)),
               "r"(bytes)
               : "memory");
}

// Arrives on the barrier once every cp.async this thread issued so far has landed (the
// arrival is one of those the barrier was initialised with).
__device__ __forceinline__ void cpAsyncArrive(uint64_t* barrier) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(smemAddress(barrier))
               : "memory");
}

// Spins until the barrier's phase with this parity has completed.
__device__ __forceinline__ void mbarrierWait(uint64_t* barrier, uint32_t parity) {
  asm volatile(
      "{\n.reg .pred done;\n"
      "WAIT_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT_%=;\n}\n" ::"r"(smemAddress(barrier)),
      "r"(parity)
      : "memory");
}

// 2-D tile [c1 .. c1 + box1) x [c0 .. c0 + box0) of `map` into smem; out-of-range elements
// arrive as zeros and count towards the barrier's expected bytes.
__device__ __forceinline__ void tmaLoad2d(void* smem, const CUtensorMap* map, uint64_t* barrier, int c0,
                                          int c1) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], "
      "[%2];\n" ::"r"(smemAddress(smem)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(smemAddress(barrier)), "r"(c0), "r"(c1)
      : "memory");
}

// 2-D tile of smem (written in the map's swizzle) to [c1 ..) x [c0 ..) of `map`; elements
// outside the tensor are not written. Completes asynchronously (bulkCommit / bulkWait*).
__device__ __forceinline__ void tmaStore2d(const CUtensorMap* map, const void* smem, int c0, int c1) {
  asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%2, %3}], [%1];\n" ::"l"(
                   reinterpret_cast<uint64_t>(map)),
               "r"(smemAddress(smem)), "r"(c0), "r"(c1)
               : "memory");
}
__device__ __forceinline__ void bulkCommit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }
// Until the committed stores have read their smem (it may be written again).
__device__ __forceinline__ void bulkWaitRead() {
  asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory");
}
// Until the committed stores have completed.
__device__ __forceinline__ void bulkWait() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }

// Barrier among `threads` threads (a multiple of 32) of the block; id 0 is __syncthreads'.
__device__ __forceinline__ void namedBarrier(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// Shared memory written by ordinary stores or cp.async that wgmma (the async proxy) reads next.
__device__ __forceinline__ void fenceProxyAsync() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

__device__ __forceinline__ void wgmmaFence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmmaCommit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int kPending>
__device__ __forceinline__ void wgmmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}

// Keeps the compiler from moving accumulator reads or writes across an in-flight wgmma.
template <int kCount>
__device__ __forceinline__ void fenceAccumulators(float (&d)[kCount]) {
#pragma unroll
  for (int i = 0; i < kCount; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

template <int kRegisters>
__device__ __forceinline__ void lowerRegisters() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegisters));
}
template <int kRegisters>
__device__ __forceinline__ void raiseRegisters() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegisters));
}

// wgmma descriptor of a K-major tile in smem written with the 128-byte swizzle (TMA's
// SWIZZLE_128B, or the same XOR by hand): rows of 64 bf16, groups of 8 rows 1024 bytes apart.
// The tile must start 1024-byte aligned; stepping K by 16 adds 32 bytes to the start address.
__device__ __forceinline__ uint64_t swizzledDescriptor(const void* smem) {
  constexpr uint64_t kRowGroupBytes = 1024;
  constexpr uint64_t kSwizzle128B = 1;
  return static_cast<uint64_t>((smemAddress(smem) & 0x3FFFF) >> 4) | (uint64_t{1} << 16) |
         ((kRowGroupBytes >> 4) << 32) | (kSwizzle128B << 62);
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

}  // namespace vl2::cuda::sm90
