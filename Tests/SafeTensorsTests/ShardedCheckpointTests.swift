// Sharded checkpoints read through `*.safetensors.index.json`: tensors come from the right shard, and a
// missing shard, a tensor absent from its shard or a malformed index is reported by name.

import Foundation
import SafeTensors
import Tensors
import TestSupport
import XCTest

final class ShardedCheckpointTests: XCTestCase {
    private let indexPath = "safetensors/sharded/model.safetensors.index.json"

    func testTensorsAreReadAcrossShards() throws {
        let checkpoint = try ShardedSafeTensors(indexURL: Fixtures.url(indexPath))
        let expected = try Fixtures.tensors("safetensors/sharded_expected.safetensors")
        XCTAssertEqual(checkpoint.names, expected.keys.sorted())
        XCTAssertEqual(Set(checkpoint.weightMap.values).count, 2)
        for name in checkpoint.names {
            guard let want = expected[name] else { XCTFail("no expected values for \(name)"); continue }
            let read = try checkpoint.tensor(name)
            XCTAssertEqual(read.shape, want.shape, name)
            XCTAssertEqual(bitPatterns(read), bitPatterns(want), name)
        }
    }

    func testIndexMetadataIsRead() throws {
        let checkpoint = try ShardedSafeTensors(indexURL: Fixtures.url(indexPath))
        XCTAssertEqual(checkpoint.metadata["total_size"], "124")
    }

    func testLoadSafeTensorsFollowsAnIndex() throws {
        let tensors = try Fixtures.tensors(indexPath)
        XCTAssertEqual(tensors.keys.sorted(), ["decoder.bias", "decoder.weight", "encoder.bias", "encoder.weight"])
    }

    func testUnknownNameIsTensorNotFound() throws {
        let checkpoint = try ShardedSafeTensors(indexURL: Fixtures.url(indexPath))
        assertThrows(.tensorNotFound("missing")) { try checkpoint.tensor("missing") }
    }

    func testMissingShardIsReported() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try SafeTensorsWriter.write([("a", Tensor(zeros: [2]))], to: directory.appendingPathComponent("one.safetensors"))
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"metadata":{},"weight_map":{"a":"one.safetensors","b":"two.safetensors"}}"#.utf8).write(to: index)
        assertThrows(.shardMissing(shard: "two.safetensors", indexPath: index.path)) { try ShardedSafeTensors(indexURL: index) }
    }

    func testTensorAbsentFromItsShardIsReported() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try SafeTensorsWriter.write([("a", Tensor(zeros: [2]))], to: directory.appendingPathComponent("one.safetensors"))
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"weight_map":{"a":"one.safetensors","b":"one.safetensors"}}"#.utf8).write(to: index)
        assertThrows(.tensorMissingFromShard(name: "b", shard: "one.safetensors")) { try ShardedSafeTensors(indexURL: index) }
    }

    func testIndexWithoutWeightMapIsInvalid() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"metadata":{"total_size":0}}"#.utf8).write(to: index)
        assertThrows(.invalidIndex(path: index.path, reason: "missing \"weight_map\" object")) {
            try ShardedSafeTensors(indexURL: index)
        }
    }
}
