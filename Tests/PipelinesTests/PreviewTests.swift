// The previews of each denoising step on every model family (SD1.x, InstructPix2Pix, SDXL test models): one per
// step in order, of the step's predicted clean latents, unchanged images, previews converging on the final
// latents' and resembling the VAE's decode (trained test VAE), the tiny autoencoder's image-sized previews, the error when it is not installed, nothing
// made when previews are off, and `generate --previews`'s files.

import Foundation
import Images
import Models
import Pipelines
import Tensors
import TestSupport
import XCTest

final class PreviewTests: XCTestCase {
    /// One case per family, each with a scheduler whose last step lands on σ = 0 or t = 0.
    private static let familyCases = [("pipelines", "sd1_dpmpp_2m_karras"), ("pipelines", "ip2p_euler_ancestral"),
                                      ("sdxl_pipelines", "sdxl_cfg_negative")]

    /// What one run with previews reported.
    private struct Run {
        var images: [RGBImage] = []
        var steps: [(image: Int, index: Int, count: Int, original: Tensor?)] = []
        var previews: [(image: Int, index: Int, preview: RGBImage, original: Tensor?)] = []
        var dump = TensorDump()
    }

    private func run(_ fixture: PipelineCase, previews: PreviewKind?, deliver: Bool = true, images: Int = 1,
                     pipeline: (any ImageToImagePipeline)? = nil, folder: PreviewFolder? = nil,
                     request: GenerationRequest? = nil) throws -> Run {
        let pipeline = try pipeline ?? fixture.load()
        let input = try ImageDecoder.decode(Data(contentsOf: Fixtures.url("\(fixture.section)/\(fixture.image)")))
        var options = GenerationOptions()
        options.rng = .cpu
        options.schedulerConfig = fixture.scheduler
        var result = Run()
        options.dump = result.dump
        options.previews = previews
        options.onStep = { image, step in
            result.steps.append((image, step.index, step.count, step.predictedOriginalSample))
            return true
        }
        if deliver {
            options.onPreview = { image, step, preview in
                result.previews.append((image, step.index, preview, step.predictedOriginalSample))
                folder?.write(image: image, step: step.index, preview: preview)
            }
        }
        var request = try RunnerContract.resolve(request ?? fixture.request, for: pipeline.profile)
        request.numImages = images
        result.images = try pipeline.generate(image: input, request: request, options: options)
        return result
    }

    private func final(_ dump: TensorDump, _ name: String) throws -> Tensor {
        try XCTUnwrap(dump.entries.last { $0.name.hasSuffix(name) }?.tensor, name)
    }

    func testEveryFamilyPreviewsEachStepInOrderAtLatentSize() throws {
        for (section, name) in Self.familyCases {
            let fixture = try PipelineCase.named(name, in: section)
            let result = try run(fixture, previews: .projection)
            let count = try XCTUnwrap(result.steps.first?.count)
            XCTAssertGreaterThan(count, 1, name)
            XCTAssertEqual(result.previews.map(\.index), Array(0..<count), name)
            let latents = try final(result.dump, ".latents")
            for entry in result.previews {
                XCTAssertEqual([entry.preview.height, entry.preview.width], Array(latents.shape[2...]), name)
            }
        }
    }

    func testPreviewsLeaveTheImagesUnchanged() throws {
        for (section, name) in Self.familyCases {
            let fixture = try PipelineCase.named(name, in: section)
            let plain = try run(fixture, previews: nil, deliver: false)
            let previewed = try run(fixture, previews: .projection)
            XCTAssertEqual(previewed.images, plain.images, name)
        }
    }

    func testEachPreviewIsTheProjectionOfTheStepsPredictedCleanLatents() throws {
        let fixture = try PipelineCase.named("sd1_dpmpp_2m_karras")
        let pipeline = try fixture.load()
        let result = try run(fixture, previews: .projection, pipeline: pipeline)
        let projection = try pipeline.previews.fittedProjection()
        for entry in result.previews {
            let original = try XCTUnwrap(entry.original)
            XCTAssertEqual(entry.preview, try projection.preview(original), "step \(entry.index)")
        }
        // DPM-Solver++ ends on σ = 0 with a first-order step: the last x̂₀ is the final latents.
        XCTAssertClose(try XCTUnwrap(result.previews.last?.original), try final(result.dump, ".latents"),
                       relativeTolerance: 1e-6, "last step's x̂₀")
    }

    // "The last step's preview resembles the decoded image more than the first's", in two checkable halves:
    // the previews converge on the preview of the final latents, and the projection's preview of real latents
    // resembles their VAE decode. (The whole claim cannot be measured on the test models: their random UNets
    // make final latents no VAE decodes to a picture.)

    func testPreviewsConvergeOnTheFinalLatentsPreview() throws {
        for (section, name) in Self.familyCases {
            let fixture = try PipelineCase.named(name, in: section)
            let pipeline = try fixture.load()
            let result = try run(fixture, previews: .projection, pipeline: pipeline)
            let target = try pipeline.previews.fittedProjection().preview(try final(result.dump, ".latents"))
            let first = try XCTUnwrap(result.previews.first?.preview), last = try XCTUnwrap(result.previews.last?.preview)
            let (early, late) = (psnr(first, target), psnr(last, target))
            XCTAssertGreaterThan(late, early + 10, "\(name): PSNR against the final latents' preview, first \(early) dB, last \(late) dB")
        }
    }

    func testProjectionPreviewOfRealLatentsResemblesTheirDecode() throws {
        // The trained test VAE (gen_previews.py): the input image's latents, previewed and decoded.
        let vae = try AutoencoderKL(directory: Fixtures.url("previews/trained_vae"))
        let image = try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png")))
        let processor = VaeImageProcessor(scaleFactor: 2)
        let mean = vae.encode(try processor.preprocess(image)).mean
        let preview = try LatentProjection.fitted(to: vae).preview(mean * vae.config.scalingFactor)
        let decoded = try processor.postprocess(vae.decode(mean))[0]
        let target = try areaAveraged(decoded, width: preview.width, height: preview.height)
        let (similarity, quality) = (correlation(preview, target), psnr(preview, target))
        XCTAssertGreaterThan(similarity, 0.9, "correlation of the preview with the decoded image")
        XCTAssertGreaterThan(quality, 20, "PSNR of the preview against the decoded image, dB")
        XCTAssertLessThan(correlation(preview, try areaAveraged(decoded.flippedVertically(), width: preview.width,
                                                                height: preview.height)), similarity - 0.2,
                          "a preview that resembles any image says nothing")
    }

    func testTinyAutoencoderPreviewsDecodeTheStepsLatentsAtImageSize() throws {
        // The bundled model's VAE has SD's factor 8, as TAESD: its previews have the image's size.
        let fixture = try PipelineCase.named("sd1_dpmpp_2m_karras")
        let root = try modelRoot(withTinyAutoencoder: "taesd")
        let pipeline = try PipelineLoader.load(ModelLocation(folder: Fixtures.url("../../weights/tiny-sd"), modelRoot: root),
                                               modelID: "tiny-sd")
        let result = try run(fixture, previews: .tinyAutoencoder, pipeline: pipeline)
        let image = try XCTUnwrap(result.images.first)
        let tiny = try AutoencoderTiny(directory: root.appendingPathComponent("taesd"))
        XCTAssertEqual(result.previews.count, try XCTUnwrap(result.steps.first?.count))
        for entry in result.previews {
            XCTAssertEqual([entry.preview.width, entry.preview.height], [image.width, image.height])
            let decoded = tiny.decode(try XCTUnwrap(entry.original))
            XCTAssertEqual(entry.preview, try VaeImageProcessor(scaleFactor: 8).postprocess(decoded)[0], "step \(entry.index)")
        }
    }

    func testSDXLModelsLookForTAESDXL() throws {
        let root = try modelRoot(withTinyAutoencoder: "taesdxl")
        let sdxl = try PipelineLoader.load(ModelLocation(folder: Fixtures.url("sdxl_pipelines/models/sdxl"), modelRoot: root),
                                           modelID: "sdxl")
        XCTAssertEqual(sdxl.previews.tinyAutoencoderName, "taesdxl")
        XCTAssertEqual(sdxl.previews.tinyAutoencoderFolder?.lastPathComponent, "taesdxl")
        XCTAssertNoThrow(try sdxl.previews.decoder(.tinyAutoencoder))
        let sd = try PipelineLoader.load(ModelLocation(folder: Fixtures.url("pipelines/models/sd1"), modelRoot: root),
                                         modelID: "sd1")
        XCTAssertNil(sd.previews.tinyAutoencoderFolder, "an SD model does not take TAESDXL")
    }

    func testMissingTinyAutoencoderFailsBeforeAnyStepNamingWhereToPutIt() throws {
        let fixture = try PipelineCase.named("sd1_euler_trailing_turbo")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("previews-empty-\(UUID())")
        let pipeline = try PipelineLoader.load(ModelLocation(folder: Fixtures.url("pipelines/models/sd1"), modelRoot: root),
                                               modelID: "sd1")
        var stepped = false
        XCTAssertThrowsError(try { () throws -> Void in
            let input = try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png")))
            var options = GenerationOptions()
            options.previews = .tinyAutoencoder
            options.onStep = { _, _ in stepped = true; return true }
            options.onPreview = { _, _, _ in }
            _ = try pipeline.generate(image: input, request: fixture.request, options: options)
        }()) { error in
            guard case .previewUnavailable(let message)? = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("madebyollin/taesd"), message)
            XCTAssertTrue(message.contains(root.appendingPathComponent("taesd").path), message)
        }
        XCTAssertFalse(stepped)
    }

    func testWithoutPreviewsNoPredictedLatentsAreReadAndNothingIsDelivered() throws {
        let fixture = try PipelineCase.named("sd1_pndm_negative")
        // previews off, a preview callback set: never called.
        var off = try run(fixture, previews: nil)
        XCTAssertTrue(off.previews.isEmpty)
        XCTAssertTrue(off.steps.allSatisfy { $0.original == nil })
        // previews on without a callback: nothing to deliver, so nothing is made.
        off = try run(fixture, previews: .projection, deliver: false)
        XCTAssertTrue(off.steps.allSatisfy { $0.original == nil })
        XCTAssertFalse(off.steps.isEmpty)
    }

    func testPreviewFolderWritesEveryStepInOrderAndAContactSheet() throws {
        let fixture = try PipelineCase.named("sd1_heun")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("previews-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = try PreviewFolder(url: directory, imageCount: 1)
        let received = try run(fixture, previews: .projection, folder: folder).previews.map(\.preview)
        let sheets = try folder.finish()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let steps = (0..<received.count).map { String(format: "step-%03d.png", $0) }
        XCTAssertEqual(names, (steps + ["contact-sheet.png"]).sorted())
        XCTAssertGreaterThan(received.count, 2)
        for (index, preview) in received.enumerated() {
            let file = directory.appendingPathComponent(steps[index])
            XCTAssertEqual(try ImageDecoder.decode(Data(contentsOf: file)), preview, steps[index])
        }
        let sheet = try ImageDecoder.decode(Data(contentsOf: try XCTUnwrap(sheets.first)))
        XCTAssertEqual(sheet, try ContactSheet.make(received))
        // Tile i sits at column i, row 0 (fewer than ten tiles), 2 pixels apart.
        let tile = received[received.count - 1], left = 2 + (received.count - 1) * (tile.width + 2)
        XCTAssertEqual(Array(sheet.pixels[((2 * sheet.width) + left) * 3..<((2 * sheet.width) + left) * 3 + 3]),
                       Array(tile.pixels[0..<3]))
    }

    func testPreviewFolderNamesSeveralImagesBySubfolder() throws {
        let fixture = try PipelineCase.named("sd1_dpmpp_2m_karras")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("previews-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = try PreviewFolder(url: directory, imageCount: 2)
        let result = try run(fixture, previews: .projection, images: 2, folder: folder)
        XCTAssertEqual(try folder.finish().map { $0.deletingLastPathComponent().lastPathComponent }, ["image-0", "image-1"])
        let count = try XCTUnwrap(result.steps.first?.count)
        XCTAssertEqual(result.previews.map(\.image), Array(repeating: 0, count: count) + Array(repeating: 1, count: count))
        let expected = Set((0..<count).map(PreviewFolder.fileName(step:)) + [PreviewFolder.contactSheetName])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["image-0", "image-1"])
        for image in 0..<2 {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("image-\(image)").path)
            XCTAssertEqual(Set(names), expected)
        }
    }

    // MARK: - Helpers

    /// A model root holding the fixture's random-weight tiny autoencoder as `name`.
    private func modelRoot(withTinyAutoencoder name: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("previews-root-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.url("previews/taesd"), to: root.appendingPathComponent(name))
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root
    }

    /// A copy of `fixture`'s model folder with the trained test VAE in place of its own.
    private func modelWithTrainedVAE(_ fixture: PipelineCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("previews-model-\(UUID())")
        try FileManager.default.copyItem(at: Fixtures.url("\(fixture.section)/models/\(fixture.model)"), to: folder)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let vae = folder.appendingPathComponent("vae")
        try FileManager.default.removeItem(at: vae)
        try FileManager.default.copyItem(at: Fixtures.url("previews/trained_vae"), to: vae)
        return folder
    }

    /// `image` averaged over blocks down to `width` × `height` (a whole factor).
    private func areaAveraged(_ image: RGBImage, width: Int, height: Int) throws -> RGBImage {
        let factor = image.width / width
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    var sum = 0
                    for dy in 0..<factor {
                        for dx in 0..<factor { sum += Int(image.pixels[((y * factor + dy) * image.width + x * factor + dx) * 3 + channel]) }
                    }
                    pixels[(y * width + x) * 3 + channel] = UInt8((Double(sum) / Double(factor * factor)).rounded())
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Pearson correlation of two images' pixel values.
    private func correlation(_ a: RGBImage, _ b: RGBImage) -> Double {
        let x = a.pixels.map(Double.init), y = b.pixels.map(Double.init)
        let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
        var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
        for (u, v) in zip(x, y) { sxy += (u - mx) * (v - my); sxx += (u - mx) * (u - mx); syy += (v - my) * (v - my) }
        return sxx == 0 || syy == 0 ? 0 : sxy / (sxx * syy).squareRoot()
    }
}

extension RGBImage {
    /// The image upside down (a different picture with the same colours).
    func flippedVertically() throws -> RGBImage {
        let rowBytes = width * 3
        var flipped: [UInt8] = []
        for row in (0..<height).reversed() { flipped += pixels[(row * rowBytes)..<((row + 1) * rowBytes)] }
        return try RGBImage(width: width, height: height, pixels: flipped)
    }
}
