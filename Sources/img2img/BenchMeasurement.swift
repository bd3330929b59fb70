// What `img2img bench` measures and how: wall time of repeated runs (median and best), the nominal FLOPs the
// kernels counted, the process's peak resident set during the stage (VmHWM, reset before it when the kernel
// allows), and the sgemm reference every GFLOP/s figure is divided by.

import Dispatch
import Foundation
import Tensors

/// One timed stage of the benchmark.
struct BenchResult: Codable {
    let name: String
    /// Wall time of each run, in seconds.
    let seconds: [Double]
    /// Process CPU time (user + system, all threads) of each run: steadier than wall time on a shared machine.
    let cpuSeconds: [Double]
    /// Nominal FLOPs of one run (GEMM-shaped kernels only, counted from shapes).
    let flops: Double
    /// Peak resident set during the stage's runs, in bytes.
    let peakResidentBytes: Int
    /// Where the first timed run's time went, kernel family by kernel family (largest first).
    let kernels: [BenchKernel]

    var median: Double { seconds.sorted()[seconds.count / 2] }
    var best: Double { seconds.min() ?? .nan }
}

/// One kernel family's share of a stage.
struct BenchKernel: Codable {
    let name: String
    let calls: Int
    let seconds: Double
    /// Process CPU time over the calls: over `seconds`, the cores busy.
    let cpuSeconds: Double
    let flops: Double
}

/// Timing, FLOP and memory probes shared by every stage.
enum BenchProbe {
    /// Runs `body` `warmups` times untimed, then `repeats` times (the FLOPs of the first timed run are kept),
    /// with the stage's peak memory.
    static func measure(_ name: String, repeats: Int, warmups: Int = 0, _ body: () -> Void) -> BenchResult {
        ProcessMeasurement.resetPeakResident()
        for _ in 0..<warmups { body() }
        var times: [Double] = [], cpu: [Double] = []
        var flops = 0.0
        var kernels: [BenchKernel] = []
        for run in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = ProcessMeasurement.cpuSeconds()
            let profile = KernelProfile.measure(body)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpu.append(ProcessMeasurement.cpuSeconds() - cpuStart)
            if run == 0 {
                flops = profile.flops
                kernels = profile.entries.map {
                    BenchKernel(name: $0.name, calls: $0.calls, seconds: $0.seconds, cpuSeconds: $0.cpuSeconds,
                                flops: $0.flops)
                }
            }
        }
        return BenchResult(name: name, seconds: times, cpuSeconds: cpu, flops: flops,
                           peakResidentBytes: ProcessMeasurement.peakResidentBytes(), kernels: kernels)
    }

    /// GFLOP/s of a row-major sgemm at the SD UNet's 3×3-conv shape (M 320, N 4096, K 2880), best of `repeats`.
    static func sgemmReference(repeats: Int) -> Double {
        let (m, n, k) = (320, 4096, 2880)
        let a = Tensor(repeating: 0.5, shape: [m, k]), b = Tensor(repeating: 0.25, shape: [k, n])
        var c = Tensor(zeros: [m, n])
        var best = Double.infinity
        for _ in 0..<(repeats + 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        sgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                              c: pc.baseAddress!, ldc: n)
                    }
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }
}

/// Everything one `img2img bench` run reports (also written as JSON for Benchmarks/compare_torch.py).
struct BenchReport: Codable {
    let model: String
    let workers: Int
    let blasThreads: Int
    let sgemmGFLOPS: Double
    var loadSeconds: Double
    var stages: [BenchResult]

    /// The printed table: seconds (median, best), GFLOP/s and ratio to sgemm (from the median), peak RSS.
    func table() -> String {
        var lines = [String(format: "img2img bench — %@ — %d workers, OpenBLAS %d threads; sgemm %.1f GFLOP/s; load %.1f s",
                            model, workers, blasThreads, sgemmGFLOPS, loadSeconds)]
        lines.append("stage".padding(toLength: 30, withPad: " ", startingAt: 0)
                     + "  median s    best s   GFLOP/s  ×sgemm  best CPU s  peak RSS")
        for stage in stages {
            let gflops = stage.flops / stage.median / 1e9
            let label = stage.name.padding(toLength: 30, withPad: " ", startingAt: 0)
            lines.append(label + String(format: " %9.3f %9.3f %9.1f %7.2f %11.3f %7.2f GB", stage.median, stage.best,
                                        gflops, gflops / sgemmGFLOPS, stage.cpuSeconds.min() ?? .nan,
                                        Double(stage.peakResidentBytes) / 1e9))
        }
        return lines.joined(separator: "\n")
    }

    /// Per stage, the kernel families by time: calls, seconds, share of the stage, cores busy (CPU / wall), GFLOP/s.
    func kernelTable() -> String {
        var lines: [String] = []
        for stage in stages where !stage.kernels.isEmpty {
            let total = stage.seconds.first ?? .nan
            let covered = stage.kernels.reduce(0) { $0 + $1.seconds }
            lines.append(String(format: "%@ (first run %.3f s; kernels %.0f%%, the rest outside them)", stage.name,
                                total, 100 * covered / total))
            for kernel in stage.kernels {
                let rate = kernel.flops > 0 ? String(format: "%8.1f GFLOP/s", kernel.flops / kernel.seconds / 1e9) : ""
                lines.append("  " + kernel.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                             + String(format: " %6d calls %9.3f s %5.1f%% %5.2f cores ", kernel.calls, kernel.seconds,
                                      100 * kernel.seconds / total, kernel.cpuSeconds / kernel.seconds) + rate)
            }
        }
        return lines.joined(separator: "\n")
    }
}
