// What each stage of a generation did — the text encoders, the VAE encoder, every UNet call, the VAE decoder, the
// safety checker — and, within the UNet and VAE stages, each of their top-level modules (diffusers' names:
// `down_blocks.0`, `mid_block`, `decoder.up_blocks.2`, as the models mark them with `ModuleTrace`): input and
// output shapes, wall and CPU time, nominal FLOPs (`KernelProfile`: counted from the shapes of every GEMM,
// convolution and attention), GFLOP/s and the peak resident memory while it ran. A learner reads the pipeline
// from it; an engineer sees where time and memory go. Filled only when `GenerationOptions.trace` is set.

import Foundation
import Tensors

/// The stages of one `generate` call, in the order they ran.
public final class PipelineTrace: ModuleRecorder {
    /// What one stage or module did.
    public struct Measurement: Sendable, Equatable, Encodable {
        public let outputShape: [Int]
        public let seconds: Double
        public let cpuSeconds: Double
        public let flops: Double
        /// The process's peak resident set while it ran, in bytes.
        public var peakResidentBytes: Int

        public var gflopsPerSecond: Double { seconds > 0 ? flops / seconds / 1e9 : 0 }

        enum CodingKeys: String, CodingKey {
            case outputShape = "output_shape", seconds, cpuSeconds = "cpu_seconds", flops
            case peakResidentBytes = "peak_resident_bytes"
        }
    }

    /// One module of a stage.
    public struct Module: Sendable, Equatable, Encodable {
        public let module: String
        public let inputShape: [Int]
        public let measurement: Measurement

        enum CodingKeys: String, CodingKey { case module, inputShape = "input_shape" }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(module, forKey: .module)
            try container.encode(inputShape, forKey: .inputShape)
            try measurement.encode(to: encoder)
        }
    }

    /// One stage.
    public struct Entry: Sendable, Equatable, Encodable {
        public let stage: String
        /// The image being made (0-based).
        public let image: Int
        public let measurement: Measurement
        /// Its modules in the order they ran (empty for stages whose model marks none).
        public let modules: [Module]

        public var outputShape: [Int] { measurement.outputShape }
        public var seconds: Double { measurement.seconds }
        public var cpuSeconds: Double { measurement.cpuSeconds }
        public var flops: Double { measurement.flops }
        public var peakResidentBytes: Int { measurement.peakResidentBytes }
        public var gflopsPerSecond: Double { measurement.gflopsPerSecond }

        enum CodingKeys: String, CodingKey { case stage, image, modules }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(stage, forKey: .stage)
            try container.encode(image, forKey: .image)
            try container.encode(modules, forKey: .modules)
            try measurement.encode(to: encoder)
        }
    }

    public private(set) var entries: [Entry] = []
    /// The modules of the stage being recorded.
    private var modules: [Module] = []

    public init() {}

    /// Runs `body` as stage `stage` of image `image`, recording it, and its modules, with the shape `shape` reads of its
    /// result.
    func record<T>(_ stage: String, image: Int, shape: (T) -> [Int], _ body: () throws -> T) rethrows -> T {
        modules = []
        var (result, measurement) = try KernelProfile.measure {
            try measure(shape: shape) { try ModuleTrace.$recorder.withValue(self, operation: body) }
        }.result
        // Each module restarted the peak's count: the stage's is the highest of theirs and what followed them.
        measurement.peakResidentBytes = ([measurement.peakResidentBytes] + modules.map(\.measurement.peakResidentBytes)).max()!
        entries.append(Entry(stage: stage, image: image, measurement: measurement, modules: modules))
        return result
    }

    public func record<T>(module name: String, inputShape: [Int], outputShape: (T) -> [Int], _ body: () throws -> T) rethrows -> T {
        let (result, measurement) = try measure(shape: outputShape, body)
        modules.append(Module(module: name, inputShape: inputShape, measurement: measurement))
        return result
    }

    /// Runs `body` (inside a `KernelProfile` measurement), measuring it.
    private func measure<T>(shape: (T) -> [Int], _ body: () throws -> T) rethrows -> (T, Measurement) {
        ProcessMeasurement.resetPeakResident()
        let started = ContinuousClock.now, cpu = ProcessMeasurement.cpuSeconds(), flops = KernelProfile.recordedFLOPs
        let result = try body()
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        let peak = ProcessMeasurement.peakResidentBytes()
        return (result, Measurement(outputShape: shape(result), seconds: Double(seconds) + Double(attoseconds) / 1e18,
                                    cpuSeconds: ProcessMeasurement.cpuSeconds() - cpu,
                                    flops: KernelProfile.recordedFLOPs - flops, peakResidentBytes: peak))
    }

    /// The entries as an aligned table with a total line; each stage's modules follow it, indented.
    public var table: String {
        let header = ["stage", "image", "input", "output", "seconds", "cpu s", "GFLOP", "GFLOP/s", "peak RSS MB"]
        func shape(_ dims: [Int]) -> String { dims.map(String.init).joined(separator: "×") }
        func cells(_ name: String, _ image: String, _ input: String, _ m: Measurement) -> [String] {
            [name, image, input, shape(m.outputShape), String(format: "%.3f", m.seconds), String(format: "%.3f", m.cpuSeconds),
             String(format: "%.3f", m.flops / 1e9), String(format: "%.1f", m.gflopsPerSecond), String(m.peakResidentBytes >> 20)]
        }
        var rows: [[String]] = []
        for entry in entries {
            rows.append(cells(entry.stage, String(entry.image), "", entry.measurement))
            rows += entry.modules.map { cells("  " + $0.module, "", shape($0.inputShape), $0.measurement) }
        }
        let seconds = entries.reduce(0) { $0 + $1.seconds }, flops = entries.reduce(0) { $0 + $1.flops }
        rows.append(["total", "", "", "", String(format: "%.3f", seconds),
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
