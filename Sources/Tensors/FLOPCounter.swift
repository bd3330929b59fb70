// Counts the nominal floating-point operations of the GEMM-shaped kernels (conv2d, linear, matmul, attention)
// from their shapes — 2·M·N·K per product, whatever algorithm computes it — so benchmarks can report GFLOP/s.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process-wide tally of the nominal FLOPs the kernels were asked to do (off until a `measure` starts it).
public enum FLOPCounter {
    nonisolated(unsafe) private static var total = 0.0
    nonisolated(unsafe) private static var active = 0
    nonisolated(unsafe) private static var lock = pthread_mutex_t()
    private static let initialised: Bool = {
        pthread_mutex_init(&lock, nil)
        return true
    }()

    /// Runs `body` and returns its result with the FLOPs the kernels counted meanwhile.
    public static func measure<R>(_ body: () throws -> R) rethrows -> (result: R, flops: Double) {
        let start = adjust { active += 1; return total }
        defer { _ = adjust { active -= 1; return 0 } }
        let result = try body()
        let end = adjust { total }
        return (result, end - start)
    }

    /// Adds `flops` to the tally while some `measure` is running (a no-op otherwise).
    @inlinable
    public static func add(_ flops: Double) {
        guard isCounting else { return }
        record(flops)
    }

    /// Whether a `measure` is running (read without the lock: a stale answer only skips or adds one count).
    public static var isCounting: Bool { active > 0 }

    @usableFromInline static func record(_ flops: Double) {
        _ = adjust { total += flops; return 0 }
    }

    private static func adjust(_ change: () -> Double) -> Double {
        _ = initialised
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return change()
    }
}
