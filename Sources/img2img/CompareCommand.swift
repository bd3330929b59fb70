// `img2img compare A.safetensors B.safetensors`: max |a − b| and max|a−b|/max|b| for every tensor the two
// files share — how a dump of ours is compared with one made from diffusers.

import ArgumentParser
import Foundation
import SafeTensors
import Tensors

/// Prints per-tensor differences between two safetensors files.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Print max abs and relative error per tensor between two safetensors files.")

    @Argument(help: "First file (ours).") var first: String
    @Argument(help: "Second file (the reference).") var second: String

    func run() throws {
        let a = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: first))
        let b = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: second))
        let shared = Set(a.names).intersection(b.names)
        for name in a.names where shared.contains(name) {
            let x = try a.tensor(name), y = try b.tensor(name)
            guard x.shape == y.shape else {
                print("\(name): shape \(x.shape) vs \(y.shape)")
                continue
            }
            print(String(format: "%@  max abs %.3e  relative %.3e  %@", name, maxAbsoluteDifference(x, y),
                         relativeError(x, y), "\(x.shape)"))
        }
        for name in a.names where !shared.contains(name) { print("\(name): only in \(first)") }
        for name in b.names where !shared.contains(name) { print("\(name): only in \(second)") }
    }
}
