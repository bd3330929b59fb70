// What `generate --previews` costs, measured during the run from the step and preview callbacks: the loop
// calls onStep, then makes the preview, then calls onPreview, so the time between the two is the preview's
// making; the time between two onStep calls less the previous step's preview work is the step's own
// (UNet + scheduler).

import Foundation

/// Per-step timings of a run with previews.
final class PreviewCost {
    private var lastStep: Double?
    private var pendingPreviewWork = 0.0
    private(set) var stepTimes: [Double] = []
    private(set) var makeTimes: [Double] = []
    private(set) var writeTimes: [Double] = []

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// At onStep: closes the previous step's interval.
    func stepFinished() {
        let time = Self.now()
        if let lastStep { stepTimes.append(time - lastStep - pendingPreviewWork) }
        lastStep = time
        pendingPreviewWork = 0
    }

    /// At onPreview: the preview was made since the step finished; `write` stores it.
    func previewMade(write: () -> Void) {
        let made = Self.now()
        write()
        let written = Self.now()
        let making = made - (lastStep ?? made)
        makeTimes.append(making)
        writeTimes.append(written - made)
        pendingPreviewWork = written - (lastStep ?? made)
    }

    /// "previews: making 0.21 ms (0.05 % of a step of 412 ms), writing 1.3 ms (0.3 %) per step".
    var summary: String {
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        let step = mean(stepTimes), making = mean(makeTimes), writing = mean(writeTimes)
        func share(_ value: Double) -> String { step > 0 ? String(format: "%.2f %%", 100 * value / step) : "n/a" }
        return String(format: "previews: making %.3f ms (%@ of a step of %.1f ms), writing the PNG %.3f ms (%@) per step",
                      1e3 * making, share(making), 1e3 * step, 1e3 * writing, share(writing))
    }
}
