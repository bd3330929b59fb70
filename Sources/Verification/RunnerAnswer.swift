// A runner's answer to `POST /image-to-image` read back: on 200, `{"images":[{"url":"data:image/png;base64,…",
// "seed":N,"nsfw":bool}]}` with each image decoded; otherwise its error text, from the shapes the runner
// answers with — `{"detail":{"msg":…}}` (its HTTPError), FastAPI's `{"detail":"…"}` and its 422
// `{"detail":[{"loc":[…],"msg":…}]}` — or the body itself when it is none of those.

import Foundation
import Images

/// One image of a runner's answer.
public struct RunnerImage: Sendable {
    /// The encoded bytes as received (written to the report unchanged).
    public let encoded: [UInt8]
    public let image: RGBImage
    public let seed: Int128
    public let nsfw: Bool
}

/// A runner's successful answer, its images decoded.
public struct RunnerAnswer: Sendable {
    public let images: [RunnerImage]

    /// Reads a 200 answer's body; throws `VerificationError` naming what is wrong.
    public init(body: [UInt8]) throws(VerificationError) {
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode(Body.self, from: Data(body)).images
        } catch {
            throw .malformedAnswer("\(Self.reason(error)) in \(Self.excerpt(body))")
        }
        var decoded: [RunnerImage] = []
        for (index, entry) in entries.enumerated() { decoded.append(try entry.decoded(index: index)) }
        images = decoded
    }

    /// The error text of a non-200 answer's body.
    public static func errorMessage(body: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let detail = object["detail"] else { return excerpt(body) }
        if let text = detail as? String { return text }
        if let message = (detail as? [String: Any])?["msg"] as? String { return message }
        if let issues = detail as? [[String: Any]] {
            return issues.map { issue in
                let location = (issue["loc"] as? [Any])?.map { "\($0)" }.joined(separator: ".") ?? "?"
                return "\(location): \(issue["msg"] as? String ?? "invalid")"
            }.joined(separator: "; ")
        }
        return excerpt(body)
    }

    /// What a decoding error says, without Swift's type names.
    private static func reason(_ error: Error) -> String {
        switch error as? DecodingError {
        case let .keyNotFound(key, context)?:
            return "no \"\(key.stringValue)\" at \(path(context.codingPath))"
        case let .typeMismatch(_, context)?, let .valueNotFound(_, context)?:
            return "a value of the wrong type at \(path(context.codingPath)) (\(context.debugDescription))"
        case let .dataCorrupted(context)?:
            return context.codingPath.isEmpty ? "it is not JSON" : "a bad value at \(path(context.codingPath))"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// The start of a body, for messages.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return body.isEmpty ? "an empty body" : (body.count > 300 ? text + "…" : text)
    }
}

/// The answer's JSON.
private struct Body: Decodable {
    let images: [Entry]
}

/// One `{"url", "seed", "nsfw"}` entry.
private struct Entry: Decodable {
    let url: String
    /// torch's seed range is [−2⁶³, 2⁶⁴−1]: read as Int64, else UInt64.
    let seed: Int128
    let nsfw: Bool

    enum CodingKeys: String, CodingKey { case url, seed, nsfw }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        if let signed = try? container.decode(Int64.self, forKey: .seed) {
            seed = Int128(signed)
        } else {
            seed = Int128(try container.decode(UInt64.self, forKey: .seed))
        }
        nsfw = try container.decodeIfPresent(Bool.self, forKey: .nsfw) ?? false
    }

    /// The entry with its image decoded.
    func decoded(index: Int) throws(VerificationError) -> RunnerImage {
        let encoded = try dataURLBytes(index: index)
        do {
            return RunnerImage(encoded: encoded, image: try ImageDecoder.decode(encoded), seed: seed, nsfw: nsfw)
        } catch {
            throw .undecodableImage(index: index, reason: "\(error)")
        }
    }

    /// The bytes of a `data:image/…;base64,…` URL.
    private func dataURLBytes(index: Int) throws(VerificationError) -> [UInt8] {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
            throw .undecodableImage(index: index, reason: "its url is not a base64 data URL (\(url.prefix(60))…); "
                                    + "point --runner at the runner itself, which answers with data URLs")
        }
        guard let data = Data(base64Encoded: String(url[url.index(after: comma)...])) else {
            throw .undecodableImage(index: index, reason: "its data URL is not valid base64")
        }
        return [UInt8](data)
    }
}
