// What `img2img verify` found: one verdict per image (PSNR, SSIM, max and mean |difference| against the
// threshold), the lines it prints (`image i: seed N, PSNR x dB, SSIM y, max |diff| z, mean |diff| w`, then the
// verdict), and the report directory: the runner's images as received, ours, the difference heat-maps and
// `summary.json`.

import Foundation
import Images

/// One image of the runner judged against ours.
public struct ImageVerdict: Sendable {
    public let index: Int
    /// The runner's image, with its seed and nsfw flag.
    public let runner: RunnerImage
    /// Our image for the same request and seed.
    public let ours: RGBImage
    public let comparison: ImageComparison
    /// Whether the PSNR reaches the threshold.
    public let passes: Bool

    /// The printed line: `image 0: seed 42, PSNR 31.52 dB, SSIM 0.9712, max |diff| 37, mean |diff| 1.840`.
    public var line: String {
        let ssim = comparison.ssim.map { String(format: "%.4f", $0) } ?? "n/a"
        return "image \(index): seed \(runner.seed), PSNR \(VerificationReport.decibels(comparison.psnr)) dB, "
            + "SSIM \(ssim), max |diff| \(comparison.maxAbsDifference), "
            + "mean |diff| \(String(format: "%.3f", comparison.meanAbsDifference))"
    }
}

/// The outcome of a verification whose images could all be compared.
public struct VerificationReport: Sendable {
    public let images: [ImageVerdict]
    public let minPSNR: Double
    /// The denoising our run did and why (the same account the server logs), when the pipeline plans one.
    public let denoising: String?

    /// True when every image reaches the threshold.
    public var passed: Bool { images.allSatisfy(\.passes) }
    /// `img2img verify`'s exit status: 0 when every image passes, 1 when one differs.
    public var exitCode: Int32 { passed ? 0 : 1 }

    /// One line per image, then the verdict.
    public var lines: [String] { images.map(\.line) + [verdict] }

    /// The last line: PASS or FAIL, the threshold, and which images fell below it.
    public var verdict: String {
        let threshold = "\(VerificationReport.decibels(minPSNR)) dB PSNR (--min-psnr)"
        let failing = images.filter { !$0.passes }
        if failing.isEmpty { return "PASS: \(images.count) of \(images.count) images at or above \(threshold)" }
        let which = failing.map { "image \($0.index) at \(VerificationReport.decibels($0.comparison.psnr)) dB" }
        return "FAIL: \(failing.count) of \(images.count) images below \(threshold): " + which.joined(separator: ", ")
    }

    /// What a gap of this size usually means, for a failed verification (nil when it passed).
    public var hint: String? {
        guard let worst = images.map(\.comparison.psnr).min(), worst < minPSNR else { return nil }
        if worst < Self.unrelatedBelow {
            return "below \(Self.decibels(Self.unrelatedBelow)) dB the images are as far apart as different pictures: "
                + "check the generator (--rng cuda for a GPU runner, cpu for a CPU one), the model and its weights, "
                + "the scheduler, LoRAs, the step count and the runner's per-model overrides"
        }
        return "the images share their content but differ beyond the threshold: check the precision (fp16/bf16), "
            + "attention kernels and speed-ups (DeepCache, stable-fast, TensorRT), or a LoRA or scheduler setting "
            + "that changes details only"
    }

    /// Below this PSNR two images of one request differ as much as two seeds' images (README's measurements).
    public static let unrelatedBelow = 20.0

    /// A PSNR as printed: two decimals, `inf` when identical.
    static func decibels(_ value: Double) -> String {
        value.isInfinite ? (value > 0 ? "inf" : "-inf") : String(format: "%.2f", value)
    }

    /// Writes `runner-<i>.png` (the bytes received, `.jpg` when it sent a JPEG), `ours-<i>.png`, `diff-<i>.png`
    /// (the heat-map) and `summary.json` into `directory`, creating it. `context` goes into the summary
    /// as is (runner, model, generator, request fields).
    public func write(to directory: URL, context: [String: String]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var entries: [Summary.Image] = []
        for verdict in images {
            let runnerName = "runner-\(verdict.index)." + (ImageFormat.detect(verdict.runner.encoded) == .jpeg ? "jpg" : "png")
            let files = (runner: runnerName, ours: "ours-\(verdict.index).png", heatMap: "diff-\(verdict.index).png")
            try Data(verdict.runner.encoded).write(to: directory.appendingPathComponent(files.runner))
            try Data(verdict.ours.pngData()).write(to: directory.appendingPathComponent(files.ours))
            let heatMap = try DifferenceHeatMap.render(verdict.runner.image, verdict.ours)
            try Data(heatMap.pngData()).write(to: directory.appendingPathComponent(files.heatMap))
            entries.append(Summary.Image(verdict, files: files))
        }
        let summary = Summary(passed: passed, minPSNR: minPSNR, verdict: verdict, denoising: denoising,
                              context: context, images: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(summary).write(to: directory.appendingPathComponent("summary.json"))
    }
}

/// `summary.json` of a report directory.
private struct Summary: Encodable {
    struct Image: Encodable {
        let index: Int
        let seed: String
        /// nil when the images are identical (PSNR +∞, which JSON cannot write); see `identical`.
        let psnr: Double?
        let identical: Bool
        let ssim: Double?
        let maxAbsDiff: Int
        let meanAbsDiff: Double
        let runnerNSFW: Bool
        let passed: Bool
        let runnerImage: String
        let ourImage: String
        let heatMap: String

        init(_ verdict: ImageVerdict, files: (runner: String, ours: String, heatMap: String)) {
            index = verdict.index
            seed = String(verdict.runner.seed)
            psnr = verdict.comparison.psnr.isFinite ? verdict.comparison.psnr : nil
            identical = verdict.comparison.maxAbsDifference == 0
            ssim = verdict.comparison.ssim
            maxAbsDiff = verdict.comparison.maxAbsDifference
            meanAbsDiff = verdict.comparison.meanAbsDifference
            runnerNSFW = verdict.runner.nsfw
            passed = verdict.passes
            runnerImage = files.runner
            ourImage = files.ours
            heatMap = files.heatMap
        }

        enum CodingKeys: String, CodingKey {
            case index, seed, psnr, identical, ssim, passed
            case maxAbsDiff = "max_abs_diff", meanAbsDiff = "mean_abs_diff", runnerNSFW = "runner_nsfw"
            case runnerImage = "runner_image", ourImage = "our_image", heatMap = "heat_map"
        }
    }

    let passed: Bool
    let minPSNR: Double
    let verdict: String
    let denoising: String?
    let context: [String: String]
    let images: [Image]
    let measures = [
        "psnr": "10·log10(255² / MSE) over every R, G, B value, in dB",
        "ssim": "Wang et al. 2004 as skimage structural_similarity(gaussian_weights=True, sigma=1.5, "
            + "use_sample_covariance=False, data_range=255): 11×11 Gaussian window, per channel R, G, B, averaged",
        "max_abs_diff": "largest |runner − ours| of any R, G, B value, in levels 0…255",
        "mean_abs_diff": "mean |runner − ours| over every R, G, B value, in levels",
        "heat_map": "per pixel max over R, G, B of |runner − ours|, scaled so the largest is white, "
            + "black → red → yellow → white",
    ]

    enum CodingKeys: String, CodingKey {
        case passed, verdict, denoising, context, images, measures
        case minPSNR = "min_psnr"
    }
}
