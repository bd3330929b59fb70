// Loads the random fixtures written by Tests/Fixtures/gen_random.py and compares draws with them: each case
// is a seed plus successive randn calls on one generator, stored whole or as head, tail and checksum.

import Foundation
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// One case of a random fixture: a seed, the shapes drawn in order from one generator, their references.
struct RandomCase {
    let name: String
    let seed: UInt64
    let calls: [[Int]]
    /// For CUDA cases: the GPU properties the layout was derived for.
    let device: (multiProcessorCount: Int, maxThreadsPerMultiProcessor: Int)?
    let file: SafeTensorsFile

    /// Every case of `random/<file>.safetensors`, in file order.
    static func load(_ fileName: String) throws -> [RandomCase] {
        let file = try SafeTensorsFile(contentsOf: Fixtures.url("random/\(fileName).safetensors"))
        let listing = try JSONSerialization.jsonObject(with: Data(file.metadata["cases"]!.utf8)) as! [[String: Any]]
        return listing.map { entry in
            var device: (Int, Int)?
            if let properties = entry["device"] as? [String: Any] {
                device = ((properties["multi_processor_count"] as! NSNumber).intValue,
                          (properties["max_threads_per_multi_processor"] as! NSNumber).intValue)
            }
            return RandomCase(name: entry["name"] as! String,
                              seed: (entry["seed"] as! NSNumber).uint64Value,
                              calls: (entry["calls"] as! [[NSNumber]]).map { $0.map(\.intValue) },
                              device: device, file: file)
        }
    }

    /// The reference for call `index`: the whole tensor, or its first and last 64 values and checksum.
    func reference(call index: Int) throws -> RandomReference {
        let key = "\(name).\(index)"
        if file.names.contains(key) { return .whole(try file.tensor(key).scalars) }
        return .summary(head: try file.tensor(key + ".head").scalars, tail: try file.tensor(key + ".tail").scalars,
                        checksum: try file.tensor(key + ".checksum").scalars)
    }
}

/// What a fixture stores for one randn call.
enum RandomReference {
    case whole([Float])
    case summary(head: [Float], tail: [Float], checksum: [Float])

    /// The elements the reference pins as (actual, expected) pairs, whether the element counts agree
    /// (whole references) and whether the exact checksum agrees (summaries; true for whole references).
    func compare(_ actual: [Float]) -> (pairs: [(Float, Float)], countMatches: Bool, checksumMatches: Bool) {
        switch self {
        case let .whole(expected):
            return (Array(zip(actual, expected)), actual.count == expected.count, true)
        case let .summary(head, tail, checksum):
            let pairs = Array(zip(actual.prefix(head.count), head)) + Array(zip(actual.suffix(tail.count), tail))
            return (pairs, actual.count >= head.count + tail.count, fixtureChecksum(actual) == checksum)
        }
    }
}

/// gen_random.py's checksum: Σ x[k]·(k mod 13 + 1) in double, in index order, split into float hi + lo.
func fixtureChecksum(_ values: [Float]) -> [Float] {
    var total = 0.0
    for (index, value) in values.enumerated() { total += Double(value) * Double(index % 13 + 1) }
    let high = Float(total)
    return [high, Float(total - Double(high))]
}

/// Distance in units in the last place between two floats (0 when bit-identical; Int.max for NaN).
func ulpDistance(_ a: Float, _ b: Float) -> Int {
    if a.isNaN || b.isNaN { return a.bitPattern == b.bitPattern ? 0 : Int.max }
    func ordered(_ x: Float) -> Int {
        let bits = Int(x.bitPattern & 0x7FFF_FFFF)
        return x.sign == .minus ? -bits : bits
    }
    return abs(ordered(a) - ordered(b))
}

/// Fails unless every pinned value is bit-identical (tolerance: 0 ulp) and the checksum matches;
/// reports how many values differ and by how many ulp at most.
func assertBitIdentical(_ actual: Tensor, _ reference: RandomReference, _ label: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    let (pairs, countMatches, checksumMatches) = reference.compare(actual.scalars)
    let distances = pairs.map { ulpDistance($0.0, $0.1) }
    let mismatches = distances.filter { $0 != 0 }.count
    if mismatches > 0 || !countMatches || !checksumMatches {
        XCTFail("\(label): \(mismatches) of \(pairs.count) pinned values differ (max \(distances.max() ?? 0) ulp), "
                + "element count \(countMatches ? "matches" : "differs"), "
                + "checksum \(checksumMatches ? "matches" : "differs")", file: file, line: line)
    }
}

/// Fails unless the element count fits and every pinned value is within `absoluteTolerance` of the reference
/// (the checksum is exact, so it is not used here).
func assertWithin(_ actual: Tensor, _ reference: RandomReference, absoluteTolerance: Float, _ label: String,
                  file: StaticString = #filePath, line: UInt = #line) {
    let (pairs, countMatches, _) = reference.compare(actual.scalars)
    let worst = pairs.map { abs($0.0 - $0.1) }.max() ?? 0
    if !(worst <= absoluteTolerance) || !countMatches {
        XCTFail("\(label): max |Δ| \(worst) over \(pairs.count) values exceeds \(absoluteTolerance)",
                file: file, line: line)
    }
}
