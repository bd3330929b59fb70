// One `img2img verify` end to end, apart from parsing its options: get the runner's answer (over HTTP, or a
// saved response file with --offline), verify it against our engine, write the report directory, and say
// what to print and which exit status to give — 0 every image passes, 1 one differs, 2 the request, the
// runner or our run failed before images could be judged (with the runner's own message when it refused).

import Foundation

/// Where the runner's answer comes from.
public enum AnswerSource: Sendable {
    /// Send the request to a running runner.
    case runner(RunnerClient)
    /// Read a saved `POST /image-to-image` response body (JSON) instead of calling a runner.
    case saved(path: String)

    /// Where the answer came from, for the summary.
    public var name: String {
        switch self {
        case let .runner(client): return client.endpoint
        case let .saved(path): return "offline: \(path)"
        }
    }

    /// The runner's answer to `request`.
    func answer(to request: RunnerRequest) async throws -> RunnerAnswer {
        switch self {
        case let .runner(client):
            return try await client.send(request)
        case let .saved(path):
            let body: Data
            do {
                body = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw VerificationError.malformedAnswer("cannot read \(path): \(error.localizedDescription)")
            }
            return try RunnerAnswer(body: [UInt8](body))
        }
    }
}

/// What a verification printed and how it ended.
public struct VerificationOutcome: Sendable {
    /// 0: every image passed; 1: an image differs; 2: no verdict (the request, the runner or our run failed).
    public let exitStatus: Int32
    /// Standard output: one line per image, then the verdict.
    public let lines: [String]
    /// Standard error: our denoising, a hint after a failure, or the error that stopped the verification.
    public let messages: [String]
    /// The report, when images were compared.
    public let report: VerificationReport?
}

/// Runs verifications.
public enum VerificationSession {
    /// Verifies `source`'s answer to `request` with `verifier`, writing the report into `reportDirectory` when
    /// given (`context` is added to its summary).
    public static func run(_ request: RunnerRequest, source: AnswerSource, verifier: Verifier,
                           reportDirectory: URL? = nil, context: [String: String] = [:]) async -> VerificationOutcome {
        do {
            let answer = try await source.answer(to: request)
            let report = try verifier.verify(request, answer: answer)
            if let reportDirectory {
                var summaryContext = context
                summaryContext["runner"] = source.name
                try report.write(to: reportDirectory, context: summaryContext)
            }
            let messages = [report.denoising.map { "ours: denoising \($0)" }, report.hint.map { "hint: \($0)" }]
            return VerificationOutcome(exitStatus: report.exitCode, lines: report.lines,
                                       messages: messages.compactMap { $0 }, report: report)
        } catch {
            return VerificationOutcome(exitStatus: 2, lines: [], messages: ["error: \(error)"], report: nil)
        }
    }
}
