// Shared by the standalone measurement programs of bench/lab: CK(call)
// prints the failing CUDA call's file, line and error and exits 1.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#define CK(x)                                                                        \
  do {                                                                               \
    cudaError_t e = (x);                                                             \
    if (e != cudaSuccess) {                                                          \
      std::printf("%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e));          \
      std::exit(1);                                                                  \
    }                                                                                \
  } while (0)
