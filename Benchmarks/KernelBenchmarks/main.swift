// Kernel benchmarks: GFLOP/s of sgemm (the reference), conv2d 3×3 at SD1.5 UNet shapes, attention at 4096
// tokens and group norm, each also as a ratio to the sgemm of the same run; and the peak extra memory of
// the attention call. Run: swift run -c release KernelBenchmarks [--quick]

import Foundation
import SafeTensors
import Tensors

OpenBLASCore.restartWithBetterKernelsIfNeeded()
let quick = CommandLine.arguments.contains("--quick")
/// `--only TEXT` runs just the rows whose label contains TEXT (for profiling one kernel).
let only: String? = CommandLine.arguments.firstIndex(of: "--only").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
}
func wanted(_ label: String) -> Bool { only.map { label.contains($0) } ?? true }
let repetitions = quick ? 2 : 5

/// The least CPU time of the last `medianSeconds` call's runs.
nonisolated(unsafe) var lastBestCPUSeconds = 0.0

/// Median wall time of `body` over `repetitions` runs, after one warm-up (the least CPU time goes to
/// `lastBestCPUSeconds`).
func medianSeconds(_ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    var cpu = Double.infinity
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = ProcessMeasurement.cpuSeconds()
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        cpu = min(cpu, ProcessMeasurement.cpuSeconds() - cpuStart)
    }
    lastBestCPUSeconds = cpu
    return times.sorted()[times.count / 2]
}

func random(_ shape: [Int], seed: UInt64) -> Tensor {
    var state = seed &* 0x9E3779B97F4A7C15 | 1
    var values = [Float](repeating: 0, count: Tensor.elementCount(of: shape))
    for i in values.indices {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        values[i] = Float(Int64(bitPattern: state % 2000) - 1000) / 1000
    }
    return Tensor(shape: shape, values: values)
}

func row(_ name: String, seconds: Double, flops: Double, reference: Double?) {
    let gflops = flops / seconds / 1e9
    let ratio = reference.map { String(format: "%5.2f", gflops / $0) } ?? "  ref"
    let label = name.padding(toLength: 40, withPad: " ", startingAt: 0)
    print(label + String(format: " %9.2f ms %8.1f GFLOP/s  ×sgemm %@  cpu %9.2f ms", seconds * 1e3, gflops, ratio,
                         lastBestCPUSeconds * 1e3))
}

// 1. Attention memory first, while the process is still small, so VmHWM tracks this call alone.
let tokens = 4096, heads = 8, headDim = 40
let q = random([1, tokens, heads * headDim], seed: 1), k = random([1, tokens, heads * headDim], seed: 2)
let v = random([1, tokens, heads * headDim], seed: 3)
let outputBytes = tokens * heads * headDim * 4
let before = ProcessMeasurement.peakResidentBytes()
_ = Attention.scaledDotProduct(query: q, key: k, value: v, heads: heads)
let extra = ProcessMeasurement.peakResidentBytes() - before - outputBytes
print("attention 4096×4096, 8 heads × 40: peak extra memory \(max(extra, 0) / 1024) KiB beyond its output "
      + "(an N×N score matrix per head would be \(tokens * tokens * 4 / 1_048_576) MiB)")
print("threads: \(parallelWorkerCount) workers, OpenBLAS \(BLASThreads.count)\n")

// 2. sgemm reference at the conv's own GEMM shape (M = out channels, N = pixels, K = in·9).
let gemmA = random([320, 2880], seed: 4), gemmB = random([2880, 4096], seed: 5)
var gemmC = Tensor(zeros: [320, 4096])
let sgemmSeconds = medianSeconds {
    gemmA.withUnsafeBufferPointer { a in gemmB.withUnsafeBufferPointer { b in gemmC.withUnsafeMutableBufferPointer { c in
        sgemm(m: 320, n: 4096, k: 2880, a: a.baseAddress!, lda: 2880, b: b.baseAddress!, ldb: 4096, c: c.baseAddress!, ldc: 4096)
    } } }
}
let sgemmFlops = 2.0 * 320 * 4096 * 2880
let reference = sgemmFlops / sgemmSeconds / 1e9
row("sgemm 320×4096×2880", seconds: sgemmSeconds, flops: sgemmFlops, reference: nil)

// 3. conv2d 3×3, padding 1, at the SD1.5 and SDXL UNets' shapes and the VAE decoder's, by im2col and by Winograd.
let convShapes = [(320, 64, 1), (640, 32, 1), (1280, 16, 1), (1280, 8, 1), (320, 64, 2), (640, 64, 1), (1280, 32, 1), (512, 64, 1), (512, 128, 1),
                  (256, 256, 1), (128, 512, 1)]
for (channels, size, batch) in convShapes where !quick || batch == 1 {
    let x = random([batch, channels, size, size], seed: 6), w = LayerWeight(random([channels, channels, 3, 3], seed: 7))
    let b = random([channels], seed: 8)
    let flops = 2.0 * Double(batch * channels * channels * 9 * size * size)
    let algorithms: [(String, ConvolutionAlgorithm)] = [("im2col", .im2col), ("winogradF2", .winogradF2),
                                                         ("winogradF4", .winogradF4)]
    for (name, algorithm) in algorithms where wanted("conv 3×3 \(channels)ch \(size)² b\(batch) \(name)") {
        let seconds = medianSeconds { _ = x.conv2d(weight: w, bias: b, stride: 1, padding: .uniform(1), algorithm: algorithm) }
        row("conv 3×3 \(channels)ch \(size)² b\(batch) \(name)", seconds: seconds, flops: flops, reference: reference)
    }
}

// 4. Attention at the SD shapes: UNet self-attention (SD1.5 8×40, SD2.1 5×64 at 64², 8×80 at 32²; SDXL 10×64 at
// 64², 20×64 at 32²), the
// cross-attention to 77 text tokens, and the VAE mid-block's single 512-wide head.
let attentionShapes = [(4096, 4096, 8, 40), (4096, 4096, 5, 64), (1024, 1024, 8, 80), (4096, 77, 8, 40),
                       (4096, 4096, 10, 64), (1024, 1024, 20, 64), (4096, 77, 10, 64),
                       (4096, 4096, 1, 512)]
for (queries, keys, heads, headDim) in attentionShapes {
    let label = "attention \(queries)×\(keys), \(heads)×\(headDim)"
    guard wanted(label) else { continue }
    let q = random([1, queries, heads * headDim], seed: 1), k = random([1, keys, heads * headDim], seed: 2)
    let v = random([1, keys, heads * headDim], seed: 3)
    let seconds = medianSeconds { _ = Attention.scaledDotProduct(query: q, key: k, value: v, heads: heads) }
    row(label, seconds: seconds, flops: 4.0 * Double(queries * keys * heads * headDim), reference: reference)
}

// 5. Linear layers at the SD1.5 UNet's shapes (tokens × in → out): attention projections, GEGLU, FF out; then
// SDXL's at 128² latents (4096 tokens of 640, 1024 of 1280) and its text encoder 2's (77 tokens of 1280).
let linearShapes = [(1024, 320, 2560), (1024, 1280, 320), (4096, 320, 320), (4096, 320, 2560), (4096, 1280, 320), (1024, 640, 640), (1024, 640, 5120),
                    (1024, 2560, 640), (256, 1280, 1280), (256, 1280, 10240), (256, 5120, 1280),
                    (4096, 640, 640), (4096, 640, 5120), (4096, 2560, 640), (1024, 1280, 1280), (1024, 1280, 10240),
                    (1024, 5120, 1280), (77, 1280, 5120)]
for (rows, inFeatures, outFeatures) in linearShapes {
    let label = "linear \(rows)×\(inFeatures) → \(outFeatures)"
    guard wanted(label) else { continue }
    let x = random([1, rows, inFeatures], seed: 12), w = random([outFeatures, inFeatures], seed: 13)
    let b = random([outFeatures], seed: 14)
    let seconds = medianSeconds { _ = x.linear(weight: w, bias: b) }
    row(label, seconds: seconds, flops: 2.0 * Double(rows * inFeatures * outFeatures), reference: reference)
    let bits = w.scalars.map { halfBits(from: $0) }
    let hw = bits.withUnsafeBytes { LayerWeight(half: HalfValues(copying: $0), shape: w.shape) }
    let hs = medianSeconds { _ = x.linear(weight: hw, bias: b) }
    row(label + " F16", seconds: hs, flops: 2.0 * Double(rows * inFeatures * outFeatures), reference: reference)
}

// 5a. One Winograd tile point's product (out × in by in × band tiles) on one thread: the packing-free register
// blocks against OpenBLAS, which packs both operands each call (the VAE's 128/256/512 channels, one tile row).
for (m, n, k) in [(128, 256, 128), (256, 256, 256), (512, 128, 512)] where wanted("tile-point product") {
    let a = random([m, k], seed: 22), b = random([k, n], seed: 23)
    var c = Tensor(zeros: [m, n])
    typealias Product = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    let products: [(String, Product)] = [
        ("sgemm", { serialSgemm(m: m, n: n, k: k, a: $0, lda: k, b: $1, ldb: n, c: $2, ldc: n) }),
        ("blocks", { SmallProducts.multiply(m: m, n: n, k: k, a: $0, lda: k, b: $1, ldb: n, c: $2, ldc: n) }),
    ]
    for (name, product) in products {
        let seconds = medianSeconds {
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                for _ in 0..<36 { product(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!) }
            } } }
        }
        row("tile-point product \(m)×\(n)×\(k) \(name), 1 thread", seconds: seconds, flops: 36 * 2.0 * Double(m * n * k),
            reference: reference)
    }
}

// 5b. GEMM shapes of the im2col convs at 8² and 16² (M out channels × N pixels × K = in·9), and the transposed
// product (pixels × out), which splits over the workers along the out channels instead.
for (m, n, k) in [(1280, 64, 11520), (1280, 256, 11520), (1280, 64, 23040)] where wanted("gemm shapes") {
    let a = random([m, k], seed: 20), b = random([k, n], seed: 21)
    var c = Tensor(zeros: [m, n])
    let direct = medianSeconds {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            sgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
        } } }
    }
    row("gemm shapes \(m)×\(n)×\(k)", seconds: direct, flops: 2.0 * Double(m * n * k), reference: reference)
    var ct = Tensor(zeros: [n, m])
    let transposed = medianSeconds {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in ct.withUnsafeMutableBufferPointer { pc in
            sgemm(transposeA: true, transposeB: true, m: n, n: m, k: k, a: pb.baseAddress!, lda: n,
                  b: pa.baseAddress!, ldb: k, c: pc.baseAddress!, ldc: m)
        } } }
    }
    row("gemm shapes \(n)×\(m)×\(k) (transposed)", seconds: transposed, flops: 2.0 * Double(m * n * k), reference: reference)
}

// 6. Weights kept as F16 and widened per call (the F16-in-memory design): the widening alone, and a linear
// layer whose weight is widened into a scratch matrix before the sgemm, against the same layer on F32.
for (rows, inFeatures, outFeatures) in [(256, 1280, 10240), (4096, 320, 2560), (1024, 640, 640)] {
    let label = "F16 linear \(rows)×\(inFeatures) → \(outFeatures)"
    guard wanted(label) else { continue }
    let x = random([1, rows, inFeatures], seed: 15), w = random([outFeatures, inFeatures], seed: 16)
    let half = w.scalars.map { halfBits(from: $0) }
    var widened = Tensor(uninitialized: w.shape)
    let widenSeconds = medianSeconds {
        half.withUnsafeBytes { bytes in
            widened.withUnsafeMutableBufferPointer { _ = widenToFloat(bytes, dtype: .f16, into: $0) }
        }
    }
    print(String(format: "widen F16 → F32 %d×%d: %.2f ms (%.1f GB/s read + write)", outFeatures, inFeatures,
                 widenSeconds * 1e3, 6.0 * Double(w.count) / widenSeconds / 1e9))
    // The same widening by hardware conversion (F16C's vcvtph2ps, through Swift's Float16): what the design needs.
    let hardwareSeconds = medianSeconds {
        half.withUnsafeBufferPointer { bits in
            widened.withUnsafeMutableBufferPointer { out in
                let source = UnsafeRawPointer(bits.baseAddress!).assumingMemoryBound(to: Float16.self)
                let destination = out.baseAddress!
                parallelChunks(out.count, minimumChunk: 1 << 16) { range in
                    for i in range { destination[i] = Float(source[i]) }
                }
            }
        }
    }
    print(String(format: "widen F16 → F32 %d×%d by Float16 conversion: %.2f ms (%.1f GB/s)", outFeatures, inFeatures,
                 hardwareSeconds * 1e3, 6.0 * Double(w.count) / hardwareSeconds / 1e9))
    let flops = 2.0 * Double(rows * inFeatures * outFeatures)
    let f32 = medianSeconds { _ = x.linear(weight: w) }
    row("linear \(rows)×\(inFeatures) → \(outFeatures) F32", seconds: f32, flops: flops, reference: reference)
    let f16 = medianSeconds {
        half.withUnsafeBytes { bytes in
            widened.withUnsafeMutableBufferPointer { _ = widenToFloat(bytes, dtype: .f16, into: $0) }
        }
        _ = x.linear(weight: widened)
    }
    row(label + " (widen + sgemm)", seconds: f16, flops: flops, reference: reference)
}

// 7. Group norm + SiLU, 32 groups, at the UNet's 320 channels × 64² and the VAE decoder's 128 × 512² (≈ 8 FLOPs
// per element: statistics, scale-shift, SiLU), with the memory traffic of its two reads and one write.
for (channels, size) in [(320, 64), (128, 512)] {
    let label = "group norm + SiLU \(channels)ch \(size)²"
    guard wanted(label) else { continue }
    let gnInput = random([1, channels, size, size], seed: 9)
    let gamma = random([channels], seed: 10), beta = random([channels], seed: 11)
    let seconds = medianSeconds {
        _ = gnInput.groupNorm(groups: 32, weight: gamma, bias: beta, epsilon: 1e-5, activation: .silu)
    }
    row(label, seconds: seconds, flops: 8.0 * Double(gnInput.count), reference: reference)
    print(String(format: "    %.1f GB/s (two reads, one write)", 12.0 * Double(gnInput.count) / seconds / 1e9))
}
