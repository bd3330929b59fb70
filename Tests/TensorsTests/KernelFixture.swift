// Loads one kernel family's fixture file: the case list from its metadata and each case's tensors.

import Foundation
import SafeTensors
import Tensors
import TestSupport

/// One reference case of a kernel fixture: its parameters and its named tensors.
struct KernelCase {
    let name: String
    let params: [String: Any]
    let tensors: [String: Tensor]

    subscript(role: String) -> Tensor { tensors[role]! }
    func optional(_ role: String) -> Tensor? { tensors[role] }
    func int(_ key: String) -> Int { (params[key] as! NSNumber).intValue }
    func float(_ key: String) -> Float { (params[key] as! NSNumber).floatValue }
    func bool(_ key: String) -> Bool { (params[key] as! NSNumber).boolValue }
    func string(_ key: String) -> String { params[key] as! String }

    /// Every case of `kernels/<family>.safetensors`, in file order.
    static func load(_ family: String) throws -> [KernelCase] {
        let file = try SafeTensorsFile(contentsOf: Fixtures.url("kernels/\(family).safetensors"))
        let listing = try JSONSerialization.jsonObject(with: Data(file.metadata["cases"]!.utf8)) as! [[String: Any]]
        return try listing.map { entry in
            let name = entry["name"] as! String
            var tensors: [String: Tensor] = [:]
            for key in file.names where key.hasPrefix(name + ".") {
                tensors[String(key.dropFirst(name.count + 1))] = try file.tensor(key)
            }
            return KernelCase(name: name, params: entry["params"] as! [String: Any], tensors: tensors)
        }
    }
}
