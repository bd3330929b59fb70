import Tensors
import TestSupport
import XCTest

/// Group norm (+ activation) against `Reference.groupNorm` (two-pass Double statistics) on shapes the torch
/// fixtures lack, and the reference itself against the fixtures. Errors are max|Δ|/max|ref|.
final class GroupNormReferenceTests: XCTestCase {
    /// The bound the one-read kernel meets against the reference (stated in GroupNorm.swift's header; measured up
    /// to 2.3e-7 here).
    static let tolerance: Float = 1e-6

    func testReferenceMatchesTorch() throws {
        for c in try KernelCase.load("group_norm") {
            let output = Reference.groupNorm(c["input"], groups: c.int("groups"), weight: c.optional("weight"),
                                             bias: c.optional("bias"), epsilon: c.float("eps"),
                                             activation: c.bool("silu") ? .silu : nil)
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-6, c.name)
        }
    }

    func testGroupNormMatchesTheReference() {
        // Groups of 1, 3 and 4 channels over planes of 1, 25, 63, 300 (one 256-value block and a tail) and 323
        // values, with and without the affine parameters and a fused activation; inputs offset from zero.
        let cases: [(shape: [Int], groups: Int, affine: Bool, activation: Activation?)] = [
            ([2, 12, 7, 9], 3, true, .silu),
            ([1, 96, 300], 32, true, nil),
            ([1, 6, 5, 5], 6, false, nil),
            ([2, 10, 1, 1], 5, true, .silu),
            ([1, 30, 17, 19], 10, true, .gelu),
        ]
        for (index, c) in cases.enumerated() {
            let seed = UInt64(10 * index), channels = c.shape[1]
            let input = Tensor.pattern(c.shape, seed: seed) * 3 + 1.5
            let weight = c.affine ? Tensor.pattern([channels], seed: seed + 1) : nil
            let bias = c.affine ? Tensor.pattern([channels], seed: seed + 2) : nil
            let output = input.groupNorm(groups: c.groups, weight: weight, bias: bias, epsilon: 1e-5,
                                         activation: c.activation)
            let expected = Reference.groupNorm(input, groups: c.groups, weight: weight, bias: bias, epsilon: 1e-5,
                                               activation: c.activation)
            XCTAssertClose(output, expected, relativeTolerance: Self.tolerance, "\(c)")
        }
    }
}
