import Foundation
import Models
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// The LoRA hook of Linear and Conv2d: patches apply only inside `bind`, at run time or merged, and equal
/// the layer with W + s·B·A (tolerance 1e-5 relative).
final class LayerPatchTests: XCTestCase {
    func values(_ shape: [Int], seed: Int) -> Tensor {
        Tensor(shape: shape, values: (0..<Tensor.elementCount(of: shape)).map { Float(($0 * 7 + seed * 13) % 23 - 11) / 11 })
    }

    /// Weights for one module named `layer` with `weight` (and a bias), read as the models read them.
    func weights(_ weight: Tensor) throws -> Weights {
        let bytes = try SafeTensorsWriter.serialize([("layer.weight", weight), ("layer.bias", values([weight.shape[0]], seed: 9))])
        return Weights(source: try SafeTensorsFile(bytes: bytes))
    }

    /// W + s·B·A with B and A flattened to matrices.
    func merged(_ weight: Tensor, _ update: LowRankUpdate) -> Tensor {
        let out = weight.shape[0], rank = update.down.shape[0]
        let delta = update.up.reshaped([out, rank]).matmul(update.down.reshaped([rank, update.down.count / rank]))
        return weight + delta.reshaped(weight.shape) * update.scale
    }

    func testConvPatchWithStrideAndPaddingEqualsMergedWeight() throws {
        let weight = values([6, 4, 3, 3], seed: 1)
        let conv = Conv2d(try weights(weight).scope("layer"), inChannels: 4, outChannels: 6, kernel: 3, stride: 2, padding: 1)
        let update = LowRankUpdate(down: values([2, 4, 3, 3], seed: 2), up: values([6, 2, 1, 1], seed: 3), scale: 0.7)
        let x = values([1, 4, 9, 7], seed: 4)
        let expected = x.conv2d(weight: LayerWeight(merged(weight, update)), bias: conv.bias, stride: 2, padding: 1)
        for application in LoRAApplication.allCases {
            let patches = LayerPatches(["layer": LayerPatch(updates: [update], application: application)])
            XCTAssertClose(patches.bind { conv(x) }, expected, relativeTolerance: 1e-5, "\(application)")
        }
    }

    func testLinearPatchSumsTwoUpdatesAndLeavesTheLayerAloneOutsideBind() throws {
        let weight = values([5, 3], seed: 5)
        let linear = Linear(try weights(weight).scope("layer"), inFeatures: 3, outFeatures: 5)
        let first = LowRankUpdate(down: values([2, 3], seed: 6), up: values([5, 2], seed: 7), scale: 0.5)
        let second = LowRankUpdate(down: values([1, 3], seed: 8), up: values([5, 1], seed: 9), scale: -1.5)
        let x = values([2, 4, 3], seed: 10)
        let plain = linear(x)
        let expected = x.linear(weight: merged(merged(weight, first), second), bias: linear.bias)
        for application in LoRAApplication.allCases {
            let patches = LayerPatches(["layer": LayerPatch(updates: [first, second], application: application)])
            XCTAssertClose(patches.bind { linear(x) }, expected, relativeTolerance: 1e-5, "\(application)")
            XCTAssertEqual(linear(x).scalars, plain.scalars, "\(application): after bind")
        }
        XCTAssertEqual(linear.weight.floatTensor.scalars, weight.scalars, "the layer's weight is never written")
    }

    func testLayersRegisterTheirKeysAndShapes() throws {
        let source = try weights(values([6, 4, 3, 3], seed: 1))
        let conv = Conv2d(source.scope("layer"), inChannels: 4, outChannels: 6, kernel: 3, padding: 1)
        XCTAssertEqual(conv.key, "layer")
        XCTAssertEqual(source.layerShapes, ["layer": [6, 4, 3, 3]])
    }
}
