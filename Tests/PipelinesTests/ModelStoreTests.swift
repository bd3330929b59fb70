import Foundation
import Pipelines
import XCTest

/// Model ids resolve under the model root as plain folders or hub-cache snapshots; unsafe ids are refused.
final class ModelStoreTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("img2img-store-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func make(_ path: String) throws -> URL {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func testPlainFolderLayoutResolves() throws {
        let folder = try make("org/name")
        XCTAssertEqual(try ModelStore(root: root.path).resolve("org/name").path, folder.path)
    }

    func testHubCacheSnapshotFromRefsMainResolves() throws {
        let snapshot = try make("models--org--name/snapshots/abc123")
        _ = try make("models--org--name/snapshots/old")
        _ = try make("models--org--name/refs")
        try "abc123\n".write(to: root.appendingPathComponent("models--org--name/refs/main"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try ModelStore(root: root.path).resolve("org/name").path, snapshot.path)
    }

    func testModelDirEnvironmentIsTheDefaultRoot() {
        XCTAssertEqual(ModelStore(root: nil, environment: ["MODEL_DIR": "/models"]).root.path, "/models")
        XCTAssertEqual(ModelStore(root: nil, environment: ["HOME": "/home/u"]).root.path, "/home/u/.lpData/models")
    }

    func testUnsafeIdsAreRefused() {
        let store = ModelStore(root: root.path)
        for id in ["../etc", "org/../../x", "/abs", "a\\b", "org//name", "", "org/."] {
            XCTAssertThrowsError(try store.resolve(id), id) { error in
                guard case .invalidID? = error as? ModelStoreError else { return XCTFail("\(id): \(error)") }
            }
        }
    }

    func testMissingModelNamesWhereItLooked() {
        XCTAssertThrowsError(try ModelStore(root: root.path).resolve("org/absent")) { error in
            XCTAssertTrue("\(error)".contains("models--org--absent"), "\(error)")
        }
    }
}
