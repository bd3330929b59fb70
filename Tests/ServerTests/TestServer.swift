// A server under test: ImageToImageServer on 127.0.0.1 with an ephemeral port, spoken to over real HTTP with
// AsyncHTTPClient, plus helpers to build multipart bodies and read the runner-shaped JSON answers.

import AsyncHTTPClient
import Foundation
import Images
import Logging
import NIOCore
import Pipelines
import Server
import TestSupport
import Verification
import XCTest

/// A running server and a client for it.
final class TestServer: @unchecked Sendable {
    let server: ImageToImageServer
    let port: Int
    private let task: Task<Void, Error>

    /// Starts a server and waits until it listens (and, with `waitForModel`, until /health says OK).
    init(configuration: ServerConfiguration, waitForModel: Bool = true,
         makeBackend: @escaping @Sendable () throws -> any ImageGenerationBackend) async throws {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        var logger = Logger(label: "img2img.server.test")
        logger.logLevel = .warning
        let server = ImageToImageServer(configuration: configuration, logger: logger, makeBackend: makeBackend)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        task = Task { try await server.run(shutdownSignals: []) { port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestServerError.didNotStart }
        self.server = server
        self.port = port
        if waitForModel { try await waitUntilHealthy() }
    }

    /// Stops the server as SIGTERM would, cancelling it if it has not exited within 10 s.
    func stop() async {
        await server.shutdownGracefully()
        let task = self.task
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            task.cancel()
        }
        _ = try? await task.value
        watchdog.cancel()
    }

    /// Waits until the run task ends by itself (after a graceful shutdown).
    func waitForExit() async throws {
        try await task.value
    }

    private func waitUntilHealthy() async throws {
        for _ in 0..<600 {
            let (_, body) = try await get("/health")
            if body == #"{"status":"OK"}"# { return }
            if body == #"{"status":"ERROR"}"# { throw TestServerError.modelFailed }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError.modelFailed
    }

    /// GET path → (status, body text).
    func get(_ path: String) async throws -> (HTTPClientResponse, String) {
        try await send(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"))
    }

    /// POST a multipart form to /image-to-image → (status, body text).
    func post(_ fields: [MultipartField], path: String = "/image-to-image",
              headers: [(String, String)] = []) async throws -> (HTTPClientResponse, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        let form = MultipartBody(fields)
        request.headers.add(name: "Content-Type", value: form.contentType)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: form.bytes))
        return try await send(request)
    }

    /// Sends a request with a body of raw bytes.
    func send(_ request: HTTPClientRequest) async throws -> (HTTPClientResponse, String) {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (response, String(buffer: body))
    }
}

enum TestServerError: Error {
    case didNotStart, modelFailed
}

/// One field of a multipart form.
enum MultipartField {
    case text(String, String)
    case file(String, filename: String, contentType: String, bytes: [UInt8])
}

/// A multipart/form-data body.
struct MultipartBody {
    static let boundary = "img2imgTestBoundary5f1c"
    let bytes: [UInt8]
    var contentType: String { "multipart/form-data; boundary=\(Self.boundary)" }

    /// The fields in order, encoded by the form builder `verify` sends with (`MultipartForm`).
    init(_ fields: [MultipartField]) {
        var form = MultipartForm(boundary: Self.boundary)
        for field in fields {
            switch field {
            case let .text(name, value): form.addText(name: name, value: value)
            case let .file(name, filename, contentType, bytes):
                form.addFile(name: name, filename: filename, contentType: contentType, bytes: bytes)
            }
        }
        bytes = form.bytes
    }
}

/// Shared inputs of the tests.
enum ServerFixtures {
    /// The bundled test model (weights/tiny-sd) and its id.
    static let modelFolder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("weights/tiny-sd")
    static let modelID = "img2img/tiny-sd"

    /// A 32×32 gradient as PNG.
    static let inputPNG: [UInt8] = {
        var pixels = [UInt8](repeating: 0, count: 32 * 32 * 3)
        for y in 0..<32 {
            for x in 0..<32 {
                pixels[(y * 32 + x) * 3 + 0] = UInt8(x * 8)
                pixels[(y * 32 + x) * 3 + 1] = UInt8(y * 8)
                pixels[(y * 32 + x) * 3 + 2] = 128
            }
        }
        // Both calls only fail for sizes that 32×32 is not.
        return (try? RGBImage(width: 32, height: 32, pixels: pixels).pngData()) ?? []
    }()

    static func imageField(_ bytes: [UInt8] = inputPNG) -> MultipartField {
        .file("image", filename: "in.png", contentType: "image/png", bytes: bytes)
    }

    /// A quick request on the bundled model: prompt, image, 2 steps, fixed seed, plus `extra`.
    static func quickForm(_ extra: [MultipartField] = [], seed: String = "7") -> [MultipartField] {
        [.text("prompt", "a red square"), imageField(), .text("num_inference_steps", "2"), .text("seed", seed),
         .text("strength", "0.5")] + extra
    }

    /// A configuration serving the bundled model.
    static func configuration(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerConfiguration(modelID: modelID)
        adjust(&configuration)
        return configuration
    }

    /// Loads the bundled model and its safety checker with the CUDA generator (`img2img generate`'s defaults);
    /// LoRA ids resolve in the LoRA fixtures, which were made for another model.
    static func bundledBackend() throws -> any ImageGenerationBackend {
        try StableDiffusionBackend(location: ModelLocation(folder: modelFolder), modelID: modelID, rng: .cuda, safetyChecker: nil,
                                   store: ModelStore(root: Fixtures.url("lora/root").path))
    }
}

/// The decoded `{"images":[…]}` answer.
struct ImagesAnswer: Decodable {
    struct Item: Decodable {
        let url: String
        let seed: Int64
        let nsfw: Bool
    }

    let images: [Item]

    init(_ text: String) throws {
        self = try JSONDecoder().decode(ImagesAnswer.self, from: Data(text.utf8))
    }

    /// The PNG bytes of image `index`.
    func png(_ index: Int) -> [UInt8]? {
        let prefix = "data:image/png;base64,"
        guard images[index].url.hasPrefix(prefix) else { return nil }
        return Data(base64Encoded: String(images[index].url.dropFirst(prefix.count))).map { [UInt8]($0) }
    }
}
