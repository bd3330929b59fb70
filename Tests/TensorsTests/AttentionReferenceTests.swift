import Tensors
import TestSupport
import XCTest

/// Tiled attention against `Reference.scaledDotProduct` (whole score rows, Double) on shapes the torch fixtures
/// lack, and the reference itself against the fixtures. Errors are max|Δ|/max|ref|.
final class AttentionReferenceTests: XCTestCase {
    /// The bound the tiled kernel meets against the reference (stated in Attention.swift's header; measured up
    /// to 1.0e-6 here).
    static let tolerance: Float = 5e-6

    func testReferenceMatchesTorch() throws {
        for c in try KernelCase.load("attention") {
            let output = Reference.scaledDotProduct(query: c["query"], key: c["key"], value: c["value"],
                                                    heads: c.int("heads"), causal: c.bool("causal"))
            // torch's own Float32 rounding: up to 2.8e-6 on the sharp (peaked softmax) cases.
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    /// One attention call: batch, queries, keys, heads, head dimension, causal mask, scale (nil: 1/√D).
    struct Case {
        let batch: Int, queries: Int, keys: Int, heads: Int, headDim: Int
        var causal = false, scale: Float? = nil
    }

    func testTiledAttentionMatchesTheReference() {
        let cases = [
            Case(batch: 1, queries: 100, keys: 100, heads: 2, headDim: 40),                 // N off the 64-row tile
            Case(batch: 2, queries: 70, keys: 77, heads: 8, headDim: 40),                   // cross-attention, 77 keys
            Case(batch: 1, queries: 77, keys: 77, heads: 2, headDim: 64, causal: true),     // CLIP text
            Case(batch: 1, queries: 33, keys: 1100, heads: 1, headDim: 24),                 // two key tiles
            Case(batch: 1, queries: 1030, keys: 1030, heads: 1, headDim: 8, causal: true),  // causal over two tiles
            Case(batch: 1, queries: 5, keys: 9, heads: 3, headDim: 80, scale: 0.3),         // 80 = 32 + 32 + 16
            Case(batch: 2, queries: 65, keys: 3, heads: 4, headDim: 20),                    // 20 → 16 + 8, few keys
            Case(batch: 1, queries: 7, keys: 50, heads: 1, headDim: 3),                     // head padded 3 → 8
            Case(batch: 1, queries: 300, keys: 2100, heads: 1, headDim: 256),               // wide: GEMM tiles, two of each
            Case(batch: 2, queries: 40, keys: 30, heads: 2, headDim: 260, scale: 0.05),     // wide, padded, per head
            Case(batch: 1, queries: 20, keys: 20, heads: 1, headDim: 256, causal: true),    // wide but causal: SIMD16
        ]
        for (index, c) in cases.enumerated() {
            let seed = UInt64(10 * index), width = c.heads * c.headDim
            // Queries ×4: peaked softmax rows, where a wrong running maximum would show.
            let query = Tensor.pattern([c.batch, c.queries, width], seed: seed) * 4
            let key = Tensor.pattern([c.batch, c.keys, width], seed: seed + 1)
            let value = Tensor.pattern([c.batch, c.keys, width], seed: seed + 2)
            let output = Attention.scaledDotProduct(query: query, key: key, value: value, heads: c.heads,
                                                    scale: c.scale, causal: c.causal)
            let expected = Reference.scaledDotProduct(query: query, key: key, value: value, heads: c.heads,
                                                      scale: c.scale, causal: c.causal)
            XCTAssertClose(output, expected, relativeTolerance: Self.tolerance, "\(c)")
        }
    }
}
