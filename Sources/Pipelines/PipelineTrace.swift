// What each stage of a generation did — the text encoders, the VAE encoder, every UNet call, the VAE decoder —
// with its output shape, wall and CPU time, nominal FLOPs (`KernelProfile`: counted from the shapes of every
// GEMM, convolution and attention), GFLOP/s and the peak resident memory while it ran. A learner reads the
// pipeline from it; an engineer sees where time and memory go. Filled only when `GenerationOptions.trace` is set.

import Foundation
import Tensors

/// The stages of one `generate` call, in the order they ran.
public final class PipelineTrace {
    /// One stage.
    public struct Entry: Sendable, Equatable, Encodable {
        public let stage: String
        /// The image being made (0-based).
        public let image: Int
        public let outputShape: [Int]
        public let seconds: Double
        public let cpuSeconds: Double
        public let flops: Double
        /// The process's peak resident set while the stage ran, in bytes.
        public let peakResidentBytes: Int

        public var gflopsPerSecond: Double { seconds > 0 ? flops / seconds / 1e9 : 0 }

        enum CodingKeys: String, CodingKey {
            case stage, image, outputShape = "output_shape", seconds, cpuSeconds = "cpu_seconds", flops
            case peakResidentBytes = "peak_resident_bytes"
        }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Runs `body` as stage `stage` of image `image`, recording it with the shape `shape` reads of its result.
    func record<T>(_ stage: String, image: Int, shape: (T) -> [Int], _ body: () throws -> T) rethrows -> T {
        ProcessMeasurement.resetPeakResident()
        let started = ContinuousClock.now, cpu = ProcessMeasurement.cpuSeconds()
        let measured = try KernelProfile.measure(body)
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        entries.append(Entry(stage: stage, image: image, outputShape: shape(measured.result),
                             seconds: Double(seconds) + Double(attoseconds) / 1e18,
                             cpuSeconds: ProcessMeasurement.cpuSeconds() - cpu, flops: measured.flops,
                             peakResidentBytes: ProcessMeasurement.peakResidentBytes()))
        return measured.result
    }

    /// The entries as an aligned table with a total line.
    public var table: String {
        let header = ["stage", "image", "output", "seconds", "cpu s", "GFLOP", "GFLOP/s", "peak RSS MB"]
        var rows = entries.map { entry in
            [entry.stage, String(entry.image), entry.outputShape.map(String.init).joined(separator: "×"),
             String(format: "%.3f", entry.seconds), String(format: "%.3f", entry.cpuSeconds),
             String(format: "%.3f", entry.flops / 1e9), String(format: "%.1f", entry.gflopsPerSecond),
             String(entry.peakResidentBytes >> 20)]
        }
        let seconds = entries.reduce(0) { $0 + $1.seconds }, flops = entries.reduce(0) { $0 + $1.flops }
        rows.append(["total", "", "", String(format: "%.3f", seconds),
                     String(format: "%.3f", entries.reduce(0) { $0 + $1.cpuSeconds }), String(format: "%.3f", flops / 1e9),
                     String(format: "%.1f", seconds > 0 ? flops / seconds / 1e9 : 0),
                     String(entries.map(\.peakResidentBytes).max().map { $0 >> 20 } ?? 0)])
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// The entries as JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(entries)
    }
}
