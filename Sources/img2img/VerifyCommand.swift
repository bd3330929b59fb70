// `img2img verify`: send one image-to-image request to a running runner (or read its saved answer), run the
// same request here with the same model and the generator the runner used, and judge each returned image
// against ours (PSNR, SSIM, max and mean |difference|, heat-maps). Exit 0: every image passes; 1: one differs;
// 2: the request, the runner or our run failed. The work is `VerificationSession`; this file reads options.

import ArgumentParser
import Foundation
import Pipelines
import Random
import Server
import Verification

/// Checks a runner's images against this engine's for the same request.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a runner's images against this engine's for the same request (PSNR, SSIM, heat-maps).",
        discussion: """
            Prints one line per image (image i: seed N, PSNR x dB, SSIM y, max |diff| z, mean |diff| w) and a \
            verdict. Exit status 0: every image at or above --min-psnr; 1: an image differs; 2: the request, the \
            runner or the local run failed (the runner's message is printed).
            """)

    @Option(help: "The runner's base URL (POST <URL>/image-to-image).") var runner: String?
    @Option(help: "Bearer token for the runner (its AUTH_TOKEN).") var token: String?
    @Option(help: "Check this saved runner response (its JSON body) instead of calling a runner.") var offline: String?
    @Option(help: "The model the runner serves: a Hugging Face id (also sent as model_id) or a folder (default: the bundled test model).")
    var model: String?
    @Option(help: "Model root for ids (default $MODEL_DIR, else ~/.lpData/models).") var modelDir: String?
    @Option(help: "The generator the runner used: cuda (a GPU node) or cpu (a CPU node).") var rng: RandomSource = .cuda
    @Option(help: "Smallest PSNR in dB an image may have to pass (inf: identical images only).")
    var minPsnr: Double = Verifier.defaultMinPSNR
    @Option(help: "Write the runner's images, ours, the difference heat-maps and summary.json into DIR.") var report: String?
    @Option(help: "Input image (PNG or JPEG), sent as is.") var image: String
    @Option(help: "The prompt (required unless --request gives it).") var prompt: String?
    @Option(help: "A JSON file of the API's fields (prompt, strength, seed, loras, model_id, …); options override it.")
    var request: String?
    @OptionGroup(title: "Request") var requestOptions: RequestOptions
    @Option(help: "Seconds to wait for the runner's answer.") var timeout: Double = 3600

    func validate() throws {
        if (runner == nil) == (offline == nil) { throw ValidationError("give either --runner URL or --offline RESPONSE.json") }
        if prompt == nil && request == nil { throw ValidationError("--prompt is required (or a --request file with a prompt)") }
        if let numImages = requestOptions.numImages, numImages < 1 { throw ValidationError("--num-images must be at least 1") }
        if minPsnr.isNaN { throw ValidationError("--min-psnr must be a number of dB (or inf)") }
        if !(timeout > 0) { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let outcome: VerificationOutcome
        do {
            let (runnerRequest, localModel) = try makeRequest()
            let source: AnswerSource
            if let offline {
                source = .saved(path: offline)
            } else {
                source = .runner(try RunnerClient(url: runner ?? "", token: token,
                                                  timeout: .milliseconds(Int64(timeout * 1000))))
            }
            let store = ModelStore(root: modelDir)
            let backend = try StableDiffusionBackend(
                location: try store.locate(localModel ?? BundledModel.path), modelID: localModel ?? BundledModel.id,
                rng: rng, safetyChecker: "none", store: store)
            if let warning = backend.profile.requestWarning { printError("warning: \(warning)") }
            let context = ["model": localModel ?? BundledModel.id, "rng": rng.rawValue,
                           "request": runnerRequest.textFields.map { "\($0.name)=\($0.value)" }.joined(separator: " ")]
            outcome = await VerificationSession.run(runnerRequest, source: source,
                                                    verifier: Verifier(backend: backend, minPSNR: minPsnr),
                                                    reportDirectory: report.map { URL(fileURLWithPath: $0) },
                                                    context: context)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        outcome.messages.forEach(printError)
        outcome.lines.forEach { print($0) }
        if let report, outcome.report != nil { printError("report: \(report)") }
        if outcome.exitStatus != 0 { throw ExitCode(outcome.exitStatus) }
    }

    /// The request to send (fields from --request, then the options) and the model to run it on here.
    private func makeRequest() throws -> (RunnerRequest, model: String?) {
        var fields = GenerationRequest(prompt: prompt ?? "")
        var fileModelID: String?
        if let request {
            let file = try RequestFile(path: request)
            try file.apply(to: &fields)
            fileModelID = try file.modelID
            if let prompt { fields.prompt = prompt }
        }
        requestOptions.apply(to: &fields)
        let localModel = model ?? fileModelID
        // An id is sent as model_id, so a runner serving another model refuses; a folder path is only ours.
        let modelIDSent = fileModelID ?? model.flatMap { FileManager.default.fileExists(atPath: $0) ? nil : $0 }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: image)))
        return (RunnerRequest(fields: fields, modelID: modelIDSent, imageBytes: bytes,
                              imageFilename: URL(fileURLWithPath: image).lastPathComponent), localModel)
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
