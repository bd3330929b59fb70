// OpenBLAS picks its kernels by CPU model when it loads, and the 0.3.21 that Debian 12 ships does not know newer
// CPUs: a recent Xeon, or a virtual machine reporting a generic model, gets the SSE3 "Prescott" kernels — sgemm
// at 55 GFLOP/s where the AVX-512 ones reach 196 on the same two cores (and SDXL's UNet runs 3.5× slower). The
// choice is made before `main` runs, so a program that finds such a fallback starts itself again with
// `OPENBLAS_CORETYPE` naming the kernels the CPU's instructions allow. A value set by the user is kept.

import COpenBLAS
import Foundation

/// Which kernels OpenBLAS runs, and the restart that corrects a fallback.
public enum OpenBLASCore {
    /// The kernel family OpenBLAS chose (`openblas_get_corename`).
    public static var current: String { String(cString: openblas_get_corename()) }

    /// Kernel families that use AVX-512.
    static let avx512Cores: Set = ["SkylakeX", "Cooperlake", "SapphireRapids"]
    /// The pre-AVX2 families OpenBLAS falls back to for CPUs it does not recognise.
    static let fallbackCores: Set = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
                                     "Coppermine", "Northwood", "Banias", "Sandybridge", "Barcelona"]

    /// The `OPENBLAS_CORETYPE` a CPU with `flags` (/proc/cpuinfo's) should run instead of `current`, or nil when
    /// OpenBLAS's own choice is as good.
    public static func betterCoreType(flags: Set<String>, current: String) -> String? {
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) {
            return avx512Cores.contains(current) ? nil : "SKYLAKEX"
        }
        if flags.isSuperset(of: ["avx2", "fma"]), fallbackCores.contains(current) { return "HASWELL" }
        return nil
    }

    /// Starts this program again with better kernels when OpenBLAS fell back (does not return then); returns
    /// when there is nothing to correct, the user chose a core type, or the restart fails.
    public static func restartWithBetterKernelsIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let better = betterCoreType(flags: Set(flagsLine.split(separator: " ").map(String.init)), current: current)
        else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // exec failed: carry on with the kernels loaded
    }
}
