// Checks every CUDA kernel family against fp64 host references on fresh random inputs,
// then times them on the models' real shapes: median of repeats with CUDA events, inputs
// rotated past the L2. Prints a table with achieved TB/s and TFLOP/s and % of the copy
// bandwidth measured in this run; writes the rows as TSV for torch_ref.py, which adds
// torch's time on the same shapes. Usage: kernels [--quick] [--only FAMILY] [--tsv FILE]
// (FAMILY: memory, elementwise, gemm, moe, attention; sweep: tile-shape variants only).
#include <cstdlib>

#include "harness.h"

namespace {

double measureCopyTBs() {
  const size_t bytes = 2ull << 30;
  bench::DeviceBuffer<char> a(bytes), b(bytes);
  VL2_CUDA_CHECK(cudaMemset(a.get(), 1, bytes));
  const double us = bench::timeMedianUs(
      [&](int) { VL2_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice)); }, 3,
      10);
  return 2.0 * bytes / us * 1e-6;
}

void printTable(double copyTBs, FILE* tsv) {
  std::printf("\n%-34s %-26s %10s %8s %7s %9s\n", "kernel", "shape", "time us", "TB/s", "%copy", "TFLOP/s");
  for (const auto& r : bench::rows()) {
    std::printf("%-34s %-26s %10.2f %8.3f %6.1f%% %9.2f\n", r.kernel.c_str(), r.shape.c_str(), r.us, r.tbs,
                100.0 * r.tbs / copyTBs, r.tflops);
    if (tsv != nullptr)
      std::fprintf(tsv, "%s\t%s\t%.3f\t%.4f\t%.3f\t%s\n", r.kernel.c_str(), r.shape.c_str(), r.us, r.tbs,
                   r.tflops, r.torchKey.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a killed run still leaves its lines
  bool quick = false;
  const char* tsvPath = nullptr;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--tsv") == 0 && i + 1 < argc) tsvPath = argv[++i];
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
  }
  auto wanted = [&](const char* family) { return only.empty() || only == family; };
  try {
    cudaDeviceProp prop{};
    VL2_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("device %s, %d SMs, L2 %d MB\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize >> 20);
    if (wanted("memory")) bench::runMemory();
    if (wanted("elementwise")) bench::runElementwise(quick);
    if (wanted("gemm")) bench::runGemm(quick);
    if (wanted("moe")) bench::runMoe(quick);
    if (wanted("attention")) bench::runAttention(quick);
    if (only == "sweep") bench::runSweep();
    int failed = 0;
    for (const auto& c : bench::checks()) failed += c.passed ? 0 : 1;
    std::printf("\nchecks: %zu run, %d failed\n", bench::checks().size(), failed);
    if (!quick) {
      const double copyTBs = measureCopyTBs();
      std::printf("ceiling: device-to-device copy %.3f TB/s (read + write)\n", copyTBs);
      FILE* tsv = tsvPath != nullptr ? std::fopen(tsvPath, "w") : nullptr;
      if (tsv != nullptr) std::fprintf(tsv, "copy\t\t0\t%.4f\t0\t\n", copyTBs);
      printTable(copyTBs, tsv);
      if (tsv != nullptr) std::fclose(tsv);
    }
    return failed == 0 ? 0 : 1;
  } catch (const vl2::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
