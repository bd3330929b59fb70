// What the benchmarks and the CLI's measuring tools read of this process: CPU time (user + system, all
// threads; on a shared machine it moves far less than wall time, since our threads never spin while waiting),
// and the resident set from /proc/self/status — now (VmRSS) and its peak (VmHWM), which Linux restarts from the
// current size on request. Each is 0 (or a no-op) where /proc is unavailable.

import Foundation

/// Measurements of the running process.
public enum ProcessMeasurement {
    /// User + system CPU time of the whole process so far, in seconds.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The resident set now (VmRSS), in bytes.
    public static func residentBytes() -> Int { statusBytes("VmRSS:") }

    /// The peak resident set so far (VmHWM), in bytes.
    public static func peakResidentBytes() -> Int { statusBytes("VmHWM:") }

    /// Restarts the peak (VmHWM) from the current resident set ("5" into /proc/self/clear_refs).
    public static func resetPeakResident() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// A `… kB` line of /proc/self/status in bytes.
    private static func statusBytes(_ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }
}
