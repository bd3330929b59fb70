// `generate --previews DIR`: each step's preview written as it arrives — `step-000.png`, `step-001.png`, … in
// step order, so the folder can be watched during the run — and, at the end, `contact-sheet.png` of them all.
// A request for several images gets one subfolder per image, `image-0/`, `image-1/`, …, each laid out the same.

import Foundation
import Images

/// Writes a run's step previews and contact sheets into a folder.
public final class PreviewFolder {
    /// The folder given.
    public let url: URL
    private let imageCount: Int
    private var previews: [[RGBImage]]
    /// The first write error; the rest of the run still goes on.
    private var failure: Error?

    /// Writes into `url` (created) for a run of `imageCount` images.
    public init(url: URL, imageCount: Int) throws {
        self.url = url
        self.imageCount = imageCount
        previews = Array(repeating: [], count: imageCount)
        for image in 0..<imageCount {
            try FileManager.default.createDirectory(at: folder(ofImage: image), withIntermediateDirectories: true)
        }
    }

    /// The folder of image `image`'s previews: `url` itself for a one-image run, else `url/image-<i>`.
    public func folder(ofImage image: Int) -> URL {
        imageCount == 1 ? url : url.appendingPathComponent("image-\(image)")
    }

    /// The file of step `index`: `step-000.png`, …
    public static func fileName(step index: Int) -> String { "step-" + String(format: "%03d", index) + ".png" }

    /// The contact sheet's file name.
    public static let contactSheetName = "contact-sheet.png"

    /// Writes `preview` of step `step` (0-based) of image `image` (from `GenerationOptions.onPreview`); a write
    /// error is kept for `finish`.
    public func write(image: Int, step: Int, preview: RGBImage) {
        previews[image].append(preview)
        guard failure == nil else { return }
        do {
            let file = folder(ofImage: image).appendingPathComponent(Self.fileName(step: step))
            try Data(preview.pngData()).write(to: file)
        } catch { failure = error }
    }

    /// Writes each image's contact sheet; throws the first error of the run's writes.
    public func finish() throws -> [URL] {
        if let failure { throw failure }
        return try previews.indices.map { image in
            let file = folder(ofImage: image).appendingPathComponent(Self.contactSheetName)
            try Data(ContactSheet.make(previews[image]).pngData()).write(to: file)
            return file
        }
    }
}
