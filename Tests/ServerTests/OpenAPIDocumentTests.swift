// The OpenAPI document we serve against the runner's: every route we implement (/image-to-image, /health, /version,
// /hardware/info, /hardware/stats) must be described as the runner's openapi.yaml describes it — methods, parameters,
// request body, response codes and their schemas, and every component schema those reach — except for the
// differences listed here with their reasons. Beyond them only the playground's extensions, each tagged and
// marked `x-img2img-extension`. The served copy must carry the configured VERSION.

import Foundation
import Server
import XCTest
import Yams

final class OpenAPIDocumentTests: XCTestCase {
    /// Where our description may differ from the runner's, by path in the document, with the reason.
    static let documentedDifferences: [String: String] = [
        "paths./image-to-image.post.description":
            "names what serves it (Stable Diffusion img2img or InstructPix2Pix on the CPU)",
        "paths./image-to-image.post.responses.503":
            "added: we answer 503 while the model loads, when the queue is full and while shutting down",
    ]

    /// The routes this server implements, each described in both documents.
    static let routes = ["/image-to-image", "/health", "/version", "/hardware/info", "/hardware/stats"]
    /// The playground's routes, which only our document describes.
    static let extensionRoutes = ["/", "/ui", "/ui/playground.css", "/ui/playground.js", "/x/playground",
                                  "/x/jobs/{id}/events"]

    /// The repository root (from this file's path).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The bundled document as the package holds it.
    static func bundledDocument() throws -> [String: Any] {
        try load(String(contentsOf: repository.appendingPathComponent("Sources/Server/Resources/openapi.json"),
                        encoding: .utf8))
    }

    /// The runner's openapi.yaml: `shared/api/runner-openapi.yaml` in the nearest folder above this file that has it
    /// (beside the repository, as the clone is laid out).
    static func runnerDocument() throws -> [String: Any] {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("shared/api/runner-openapi.yaml")
            if FileManager.default.fileExists(atPath: candidate.path) {
                return try load(String(contentsOf: candidate, encoding: .utf8))
            }
            folder = folder.deletingLastPathComponent()
        }
        throw RunnerDocumentMissing()
    }

    /// The runner's document is not where the clone's layout puts it.
    struct RunnerDocumentMissing: Error, CustomStringConvertible {
        var description: String { "shared/api/runner-openapi.yaml is in no folder above \(#filePath)" }
    }

    /// A YAML (or JSON) document as nested `[String: Any]` / `[Any]` / scalars (Yams gives `AnyHashable` keys).
    static func load(_ text: String) throws -> [String: Any] {
        func plain(_ value: Any) -> Any {
            switch value {
            case let object as [AnyHashable: Any]:
                return Dictionary(uniqueKeysWithValues: object.map { ("\($0.key.base)", plain($0.value)) })
            case let array as [Any]: return array.map(plain)
            default: return value
            }
        }
        return try XCTUnwrap(try Yams.load(yaml: text).map(plain) as? [String: Any], "not a YAML mapping")
    }

    func testRoutesAreDescribedAsTheRunnerDescribesThem() throws {
        let runner = try Self.runnerDocument(), ours = try Self.bundledDocument()
        var differences: [String] = []
        for route in Self.routes {
            differences += Self.differences(member(runner, "paths", route), member(ours, "paths", route),
                                            at: "paths.\(route)")
        }
        // Every component schema the routes reach, followed through `$ref`s, and the security schemes they name.
        let schemas = Self.referencedSchemas(from: Self.routes.map { member(ours, "paths", $0) }, in: ours)
        for name in schemas.sorted() {
            differences += Self.differences(member(runner, "components", "schemas", name),
                                            member(ours, "components", "schemas", name), at: "components.schemas.\(name)")
        }
        differences += Self.differences(member(runner, "components", "securitySchemes", "HTTPBearer"),
                                        member(ours, "components", "securitySchemes", "HTTPBearer"),
                                        at: "components.securitySchemes.HTTPBearer")
        XCTAssertEqual(differences.sorted(), Self.documentedDifferences.keys.sorted(),
                       "the differences from the runner's document are not the documented ones")
        // Nothing beyond but the extensions: no other route, no schema that no route reaches.
        XCTAssertEqual((ours["paths"] as? [String: Any]).map { Set($0.keys) }, Set(Self.routes + Self.extensionRoutes))
        let reachable = Self.referencedSchemas(from: (Self.routes + Self.extensionRoutes).map { member(ours, "paths", $0) },
                                               in: ours)
        XCTAssertEqual((member(ours, "components", "schemas") as? [String: Any]).map { Set($0.keys) }, reachable)
    }

    func testExtensionsAreTaggedAndMarkedAsSuch() throws {
        let ours = try Self.bundledDocument()
        let tags = (ours["tags"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        XCTAssertEqual(tags, ["playground"])
        for route in Self.extensionRoutes {
            let operations = try XCTUnwrap(member(ours, "paths", route) as? [String: Any], route)
            XCTAssertEqual(Set(operations.keys), ["get"], route)
            XCTAssertEqual(member(operations, "get", "tags") as? [String], ["playground"], route)
            XCTAssertEqual(member(operations, "get", "x-img2img-extension") as? Bool, true, route)
        }
        for route in Self.routes {
            let operations = try XCTUnwrap(member(ours, "paths", route) as? [String: Any], route)
            for (method, operation) in operations {
                XCTAssertNil(member(operation, "x-img2img-extension"), "\(method) \(route) is the runner's")
            }
        }
    }

    func testServedDocumentCarriesTheConfiguredVersion() async throws {
        var configuration = ServerConfiguration(modelID: GatedBackend().modelID)
        configuration.version = "7.8.9-test"
        let server = try await TestServer(configuration: configuration) { GatedBackend() }
        addTeardownBlock { await server.stop() }
        let (response, text) = try await server.get("/openapi.json")
        XCTAssertEqual(response.status.code, 200, text)
        XCTAssertEqual(response.headers.first(name: "content-type"), "application/json")
        let served = try Self.load(text)
        XCTAssertEqual(member(served, "info", "version") as? String, "7.8.9-test")
        // Apart from the version, it is the bundled document.
        XCTAssertEqual(Self.differences(try Self.bundledDocument(), served, at: ""), ["info.version"])
    }

    /// The dotted paths where `theirs` and `ours` differ: a member only one side has, or a differing value.
    static func differences(_ theirs: Any?, _ ours: Any?, at path: String) -> [String] {
        switch (theirs, ours) {
        case (nil, nil): return []
        case let (theirs as [String: Any], ours as [String: Any]):
            return Set(theirs.keys).union(ours.keys).sorted().flatMap { key in
                differences(theirs[key], ours[key], at: path.isEmpty ? key : "\(path).\(key)")
            }
        case let (theirs as [Any], ours as [Any]) where theirs.count == ours.count:
            return zip(theirs, ours).enumerated().flatMap { index, pair in
                differences(pair.0, pair.1, at: "\(path)[\(index)]")
            }
        case let (theirs?, ours?):
            return scalar(theirs) == scalar(ours) && scalar(theirs) != nil ? [] : [path]
        default: return [path]
        }
    }

    /// A scalar with its type, so that 1 and "1" and true differ.
    private static func scalar(_ value: Any) -> String? {
        switch value {
        case let value as Bool: return "bool:\(value)"
        case let value as Int: return "int:\(value)"
        case let value as Double: return "double:\(value)"
        case let value as String: return "string:\(value)"
        case is NSNull: return "null"
        default: return nil
        }
    }

    /// The names of every `#/components/schemas/…` reachable from `roots` in `document`.
    static func referencedSchemas(from roots: [Any?], in document: [String: Any]) -> Set<String> {
        var found = Set<String>(), pending = roots
        while let next = pending.popLast() {
            switch next {
            case let object as [String: Any]:
                if let reference = object["$ref"] as? String, reference.hasPrefix("#/components/schemas/") {
                    let name = String(reference.dropFirst("#/components/schemas/".count))
                    if found.insert(name).inserted { pending.append(member(document, "components", "schemas", name)) }
                }
                pending += object.values.map { $0 }
            case let array as [Any]:
                pending += array.map { $0 }
            default: break
            }
        }
        return found
    }
}

/// The value at `keys` inside nested objects, or nil.
private func member(_ value: Any?, _ keys: String...) -> Any? {
    keys.reduce(value) { ($0 as? [String: Any])?[$1] }
}
