// Counts, while a measurement runs, each kernel family's calls, wall time, process CPU time and nominal FLOPs
// (2·M·N·K per product, counted from the shapes whatever algorithm computes it), so benchmarks can report
// GFLOP/s, where the time went and how many cores were busy meanwhile. Off by default: then a kernel pays one
// flag test.

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process-wide ledger of kernel calls (their time and nominal FLOPs), kept while `measure` runs.
public enum KernelProfile {
    /// One kernel family's totals.
    public struct Entry: Sendable {
        public let name: String
        public var calls = 0
        public var seconds = 0.0
        /// The process's CPU time over the calls (all threads): over `seconds`, the cores kept busy.
        public var cpuSeconds = 0.0
        public var flops = 0.0
    }

    nonisolated(unsafe) private static var entries: [String: Entry] = [:]
    nonisolated(unsafe) private static var active = 0
    nonisolated(unsafe) private static var depth = 0
    nonisolated(unsafe) private static var lock = pthread_mutex_t()
    private static let initialised: Bool = {
        pthread_mutex_init(&lock, nil)
        return true
    }()

    /// Runs `body` and returns its result with the total nominal FLOPs and the per-kernel totals recorded
    /// meanwhile (largest time first).
    public static func measure<R>(_ body: () throws -> R) rethrows -> (result: R, flops: Double, entries: [Entry]) {
        locked { active += 1; if active == 1 { entries = [:] } }
        defer { locked { active -= 1 } }
        let result = try body()
        let recorded = locked { Array(entries.values) }
        return (result, recorded.reduce(0) { $0 + $1.flops }, recorded.sorted { $0.seconds > $1.seconds })
    }

    /// Runs one kernel call, recording it under `name` (with `flops` nominal FLOPs) while a measurement runs.
    /// Calls nested inside another recorded kernel count toward the outer one only.
    @inlinable
    public static func run<R>(_ name: StaticString, flops: Double = 0, _ body: () throws -> R) rethrows -> R {
        guard isMeasuring else { return try body() }
        return try recorded(name, flops, body)
    }

    /// The nominal FLOPs recorded so far by the measurement running (0 when none): the difference of two
    /// readings is what the kernels between them did.
    public static var recordedFLOPs: Double { locked { entries.values.reduce(0) { $0 + $1.flops } } }

    /// Whether a `measure` is running (read without the lock: a stale answer only skips or adds one record).
    public static var isMeasuring: Bool { active > 0 }

    @usableFromInline
    static func recorded<R>(_ name: StaticString, _ flops: Double, _ body: () throws -> R) rethrows -> R {
        let outermost = locked { depth += 1; return depth == 1 }
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = outermost ? ProcessMeasurement.cpuSeconds() : 0
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let cpuSeconds = outermost ? ProcessMeasurement.cpuSeconds() - cpuStart : 0
            locked {
                depth -= 1
                guard outermost else { return }
                let key = "\(name)"
                var entry = entries[key] ?? Entry(name: key)
                entry.calls += 1
                entry.seconds += seconds
                entry.cpuSeconds += cpuSeconds
                entry.flops += flops
                entries[key] = entry
            }
        }
        return try body()
    }

    private static func locked<T>(_ body: () -> T) -> T {
        _ = initialised
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }
}
