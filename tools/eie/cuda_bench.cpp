// `eie bench --device cuda`: every layer at every batch size, four implementations built from the same
// CompressedLayer on the same GPU in one process, each timed by time_cuda_operation (eie/cuda.h): CUDA
// events, warm caches, the median and p99 of single launches (launch overhead included) and the median of
// back-to-back launches (launch overhead overlapped). Speedups compare single-launch medians. The bias is
// dropped from every layer: the baselines time W x alone, so eie does too.
#ifdef EIE_HAVE_CUDA

#include "cuda_bench.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "eie/cuda.h"
#include "eie/io.h"

namespace eie::cli {
namespace {

std::string host_cpu() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string cuda_version(int v) { return fmt::format("{}.{}", v / 1000, v % 1000 / 10); }

nlohmann::json describe_gpu(const CudaDeviceInfo& d, double ghz) {
  nlohmann::json m;
  m["gpu"] = d.name;
  m["compute_capability"] = fmt::format("{}.{}", d.compute_major, d.compute_minor);
  m["multiprocessors"] = d.multiprocessors;
  m["memory_bytes"] = d.memory_bytes;
  m["l2_bytes"] = d.l2_bytes;
  m["driver_cuda_version"] = cuda_version(d.driver_version);
  m["runtime_cuda_version"] = cuda_version(d.runtime_version);
  m["max_sm_clock_mhz"] = d.max_sm_clock_mhz;
  m["max_memory_clock_mhz"] = d.max_memory_clock_mhz;
  m["memory_bus_bits"] = d.memory_bus_bits;
  m["measured_sm_clock_ghz"] = std::round(ghz * 1000) / 1000;
  m["host_cpu"] = host_cpu();
  m["timing"] = "CUDA events on the implementation's stream, warm caches (same weights and input every run), "
                "warm-up first. median_us/p99_us: one launch between two events on an idle stream, launch "
                "overhead included. back_to_back_*: a group of launches between two events, divided by the group "
                "size (launch overhead overlapped). Input upload and output download are not timed; eie-cuda is "
                "one CUDA Graph launch per run.";
  return m;
}

double geomean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += std::log(x);
  return v.empty() ? 0.0 : std::exp(s / static_cast<double>(v.size()));
}

// max |a - b| / max(1, |b|)
double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]) / std::max(1.0, std::fabs(static_cast<double>(b[i]))));
  }
  return worst;
}

struct Measured {
  const char* impl;
  std::unique_ptr<CudaOperation> op;
  CudaTiming timing;
  std::vector<float> y;
};

}  // namespace

void run_cuda_bench(const std::vector<BenchLayer>& layers, const CudaBenchOptions& o) {
  const CudaDeviceInfo device = cuda_device_info();  // the one-line error when there is no GPU
  const double ghz = measure_sm_clock_ghz();
  nlohmann::json doc;
  doc["command"] = o.command_line;
  doc["machine"] = describe_gpu(device, ghz);
  doc["results"] = nlohmann::json::array();
  fmt::print("eie bench {} --device cuda: {} (sm_{}{}, {} SMs, {:.0f} MB L2, driver CUDA {}, runtime {}, "
             "{:.2f} GHz measured, {} MHz max)\n",
             o.title, device.name, device.compute_major, device.compute_minor, device.multiprocessors,
             static_cast<double>(device.l2_bytes) / 1e6, cuda_version(device.driver_version),
             cuda_version(device.runtime_version), ghz, device.max_sm_clock_mhz);
  fmt::print("Timing: CUDA events, warm caches, warm-up then >= 20 runs / {:.2f} s per implementation; medians of single\n"
             "launches (launch overhead included; p99 for eie) and of back-to-back launches (b2b, overhead overlapped).\n"
             "cuBLAS = Sgemv/Sgemm on the decompressed fp32 layer; fp16 = cublasGemmEx fp16 in, fp32 accumulate and out;\n"
             "cuSPARSE = SpMV/SpMM on fp32 CSR; eie = one CUDA Graph launch. Bias dropped: every implementation times W x.\n",
             o.budget);

  struct Summary { std::vector<double> vs_cublas, vs_fp16, vs_cusparse; bool beat_all = true; };
  for (std::int64_t batch : o.batches) {
    fmt::print("\nbatch {}\n", batch);
    fmt::print("{:<8} {:>9} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>7} {:>7} {:>8}\n", "layer",
               "entries", "act%", "cuBLAS us", "fp16 us", "cuSP us", "eie us", "eie p99", "eie b2b", "xcuBLAS",
               "xfp16", "xcuSP", "eie MB");
    Summary s;
    for (const BenchLayer& l : layers) {
      CompressedLayer weights = l.weights;
      weights.bias.clear();
      std::vector<float> x;
      std::int64_t nonzero = 0;
      for (std::int64_t b = 0; b < batch; ++b) {
        const std::vector<float> xb = l.make_input(b);
        nonzero += std::count_if(xb.begin(), xb.end(), [](float v) { return v != 0.0f; });
        x.insert(x.end(), xb.begin(), xb.end());
      }
      auto engine = std::make_unique<CudaEngine>(std::vector<CompressedLayer>{weights},
                                                 CudaEngineOptions{.output_activation = Activation::none, .max_batch = batch});
      const CudaLayerPlanInfo plan = engine->plan_info().front();
      std::vector<Measured> impls;
      impls.push_back({"eie-cuda", std::move(engine), {}, {}});
      impls.push_back({"cublas", std::make_unique<CublasDense>(weights, CublasPrecision::fp32, batch), {}, {}});
      impls.push_back({"cublas-fp16", std::make_unique<CublasDense>(weights, CublasPrecision::fp16, batch), {}, {}});
      impls.push_back({"cusparse", std::make_unique<CusparseCsr>(weights, batch), {}, {}});
      for (Measured& m : impls) {
        m.op->upload(x, batch);
        m.timing = time_cuda_operation(*m.op, o.budget);
        m.y.resize(static_cast<std::size_t>(batch * weights.rows));
        m.op->download(m.y);
      }
      const CudaTiming& eie = impls[0].timing;
      const double vs_cublas = impls[1].timing.median_us / eie.median_us;
      const double vs_fp16 = impls[2].timing.median_us / eie.median_us;
      const double vs_cusparse = impls[3].timing.median_us / eie.median_us;
      const double error = max_difference(impls[0].y, impls[1].y);
      fmt::print("{:<8} {:>9} {:>6.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>8.1f} {:>7.1f} {:>7.1f} {:>8.2f}\n",
                 l.name, weights.nnz(), 100.0 * static_cast<double>(nonzero) / static_cast<double>(x.size()),
                 impls[1].timing.median_us, impls[2].timing.median_us, impls[3].timing.median_us, eie.median_us,
                 eie.p99_us, eie.back_to_back_median_us, vs_cublas, vs_fp16, vs_cusparse,
                 static_cast<double>(plan.resident_bytes) / 1e6);
      std::fflush(stdout);
      if (error > 1e-3) throw std::runtime_error(fmt::format("{}: eie-cuda and cuBLAS disagree ({})", l.name, error));
      s.vs_cublas.push_back(vs_cublas);
      s.vs_fp16.push_back(vs_fp16);
      s.vs_cusparse.push_back(vs_cusparse);
      s.beat_all = s.beat_all && vs_cublas > 1.0 && vs_fp16 > 1.0 && vs_cusparse > 1.0;
      for (const Measured& m : impls) {
        nlohmann::json r{{"layer", l.name}, {"batch", batch}, {"device", "cuda"}, {"impl", m.impl},
                         {"median_us", m.timing.median_us}, {"p99_us", m.timing.p99_us}, {"runs", m.timing.runs},
                         {"back_to_back_median_us", m.timing.back_to_back_median_us},
                         {"back_to_back_p99_us", m.timing.back_to_back_p99_us},
                         {"back_to_back_group", m.timing.group}, {"bytes", m.op->device_bytes()}};
        if (m.op.get() == impls[0].op.get()) {
          r["kernel"] = plan.kernel;
          r["entries"] = weights.nnz();
        }
        if (m.op.get() != impls[1].op.get()) r["max_relative_difference_vs_cublas"] = max_difference(m.y, impls[1].y);
        doc["results"].push_back(r);
      }
    }
    fmt::print("{:<8} geometric mean speedup of eie: {:.1f}x over cuBLAS fp32, {:.1f}x over cuBLAS fp16, {:.1f}x over "
               "cuSPARSE; faster than all three on every layer: {}\n",
               "", geomean(s.vs_cublas), geomean(s.vs_fp16), geomean(s.vs_cusparse), s.beat_all ? "yes" : "no");
  }
  fmt::print("\nColumns: entries = stored weights; act% = non-zero inputs; us = median of single launches; b2b = median\n"
             "per run of back-to-back launches; xcuBLAS/xfp16/xcuSP = speedup of eie's single-launch median;\n"
             "eie MB = eie's planned layouts on the device (both kernels' layouts).\n");
  if (!o.json.empty()) {
    write_file_atomic(o.json, doc.dump(2) + "\n");
    fmt::print("Wrote {}\n", o.json);
  }
}

}  // namespace eie::cli

#endif  // EIE_HAVE_CUDA
