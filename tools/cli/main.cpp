// `w4a16`: device info, correctness sweep, benchmark, quantization quality and
// dispatch inspection for the w4a16 library.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli.h"

namespace {

const char kUsage[] =
    "usage: w4a16 <command> [options]\n"
    "\n"
    "commands:\n"
    "  info                       GPU, driver/runtime and build information\n"
    "  verify [--quick] [--seed S] [--case I]\n"
    "                             GEMM correctness sweep against an fp64 reference and cuBLAS;\n"
    "                             --case runs only case I (1-based) of the list\n"
    "  bench [--csv FILE] [--json FILE] [--quick] [--group G|K] [--sym]\n"
    "        [--shapes spec|llm|all|MxNxK[,MxNxK...]] [--repeats R] [--alpha A] [--beta B] [--seed S]\n"
    "        [--config NAME[:SPLIT][,NAME[:SPLIT]...]] [--launch-floor] [--packed [--overlap]]\n"
    "        [--warmup-ms W] [--sample-rows S]\n"
    "                             time w4a16 against the copy-bandwidth / bf16-tensor-rate floor\n"
    "                             and cuBLAS bf16 on the dequantized weights (default shapes: all;\n"
    "                             R = timed CUDA-graph replays, default 20; --quick: fewer replays,\n"
    "                             M in {1,16,128,1024} for the LLM sweep, 4 sampled rows for err/tol\n"
    "                             (S, default 16) and a 30 ms warm-up per shape (W, default 100);\n"
    "                             --config: force these kernel configurations, one row each per\n"
    "                             shape sharing its weights, each timed interleaved with cuBLAS\n"
    "                             (docs/kernels.md);\n"
    "                             --launch-floor: first time an empty kernel the same way;\n"
    "                             --packed: weights packed once (w4a16PackWeights), then timed\n"
    "                             through w4a16GemmForwardPacked; --overlap: with\n"
    "                             W4A16_FORWARD_OVERLAP_PREVIOUS, each call overlapping the last)\n"
    "  quant [--N n] [--K k] [--seed S]\n"
    "                             quantization error of random N(0,1) weights for every group size\n"
    "  dispatch M N K [--group G] [--sym] [--packed]\n"
    "                             kernel configuration and workspace size for one problem;\n"
    "                             --packed: for w4a16GemmForwardPacked on weights packed by\n"
    "                             w4a16PackWeights (also prints the pack's size)\n"
    "\n"
    "Defaults: group size 128 with zero points; W4A16_SEED sets the seed when --seed is absent.\n"
    "bench: W4A16_GIT_COMMIT overrides the commit recorded in the results.\n"
    "Exit codes: 0 success, 1 failure (a check failed or a call returned an error),\n"
    "            2 no usable CUDA GPU, 64 bad command line.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace w4a16::cli;
  if (argc < 2) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 ||
        (i == 1 && std::strcmp(argv[i], "help") == 0)) {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
  }
  const std::string command = argv[1];
  try {
    if (command == "info") return cmd_info(argc, argv);
    if (command == "verify") return cmd_verify(argc, argv);
    if (command == "bench") return cmd_bench(argc, argv);
    if (command == "quant") return cmd_quant(argc, argv);
    if (command == "dispatch") return cmd_dispatch(argc, argv);
    usage_error("unknown command '" + command + "'");
  } catch (const CliError& e) {
    std::fflush(stdout);
    // The no-GPU message is already complete ("w4a16 bench: no CUDA GPU ...").
    if (e.code() == kExitNoGpu) {
      std::fprintf(stderr, "%s\n", e.what());
    } else {
      std::fprintf(stderr, "w4a16 %s: %s\n", command.c_str(), e.what());
    }
    return e.code();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "w4a16 %s: %s\n", command.c_str(), e.what());
    return kExitFailure;
  }
  return kExitFailure;
}
