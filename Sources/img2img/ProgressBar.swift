// A one-line progress bar on stderr (step, s/it, ETA), drawn only when stderr is a terminal.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Redraws `[####----] 3/10  1.25 s/it  ETA 8.8 s` on stderr after each denoising step.
final class ProgressBar {
    private let enabled: Bool
    private let label: String
    private var start = Date()
    private var lastStep = -1

    init(label: String, quiet: Bool) {
        self.label = label
        enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    /// Draws the bar after `done` of `total` steps.
    func update(done: Int, total: Int) {
        guard enabled else { return }
        if done == 1 || done < lastStep { start = Date() }
        lastStep = done
        let elapsed = Date().timeIntervalSince(start)
        let perStep = done > 1 ? elapsed / Double(done - 1) : elapsed
        let remaining = perStep * Double(total - done)
        let width = 24, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r%@ [%@] %d/%d  %.2f s/it  ETA %.1f s ", label, bar, done, total, perStep, remaining)
        FileHandle.standardError.write(Data(line.utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
