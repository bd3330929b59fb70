// Sends one `RunnerRequest` to a running runner over HTTP (AsyncHTTPClient): multipart form, optional bearer
// token, `POST <runner>/image-to-image`, and reads the answer back as `RunnerAnswer` or the runner's error.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A runner reachable at a base URL.
public struct RunnerClient: Sendable {
    /// Where requests go: the base URL with `/image-to-image` appended (unless it already ends so).
    public let endpoint: String
    public let token: String?
    public let timeout: Duration
    /// Largest answer read (base64 PNGs of several large images).
    public static let maxAnswerBytes = 512 << 20

    /// A client for the runner at `url` (e.g. `http://gpu-node:8000`); throws when it is not an http(s) URL.
    public init(url: String, token: String? = nil, timeout: Duration = .seconds(3600)) throws(VerificationError) {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
              parsed.host?.isEmpty == false else {
            throw .invalidRunnerURL(url)
        }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        endpoint = base.hasSuffix("/image-to-image") ? base : base + "/image-to-image"
        self.token = token
        self.timeout = timeout
    }

    /// Posts `request` and returns the runner's images, or throws its refusal (`runnerRefused` with its own
    /// message), an unreachable runner, or a malformed answer.
    public func send(_ request: RunnerRequest) async throws(VerificationError) -> RunnerAnswer {
        let form = request.multipartBody()
        var http = HTTPClientRequest(url: endpoint)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: form.contentType)
        if let token, !token.isEmpty { http.headers.add(name: "Authorization", value: "Bearer \(token)") }
        http.body = .bytes(ByteBuffer(bytes: form.bytes))
        let status: HTTPResponseStatus
        let body: [UInt8]
        do {
            let response = try await HTTPClient.shared.execute(http, timeout: .nanoseconds(timeout.nanoseconds))
            status = response.status
            body = [UInt8](buffer: try await response.body.collect(upTo: Self.maxAnswerBytes))
        } catch {
            throw .runnerUnreachable(url: endpoint, reason: "\(error)")
        }
        guard status == .ok else {
            throw .runnerRefused(status: Int(status.code), message: RunnerAnswer.errorMessage(body: body))
        }
        return try RunnerAnswer(body: body)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
