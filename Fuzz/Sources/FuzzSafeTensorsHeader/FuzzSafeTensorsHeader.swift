// Fuzzes a safetensors file end to end: the 8-byte length, the strict JSON header, every entry's dtype, shape
// and offsets, the tiling check, then every tensor read back (widened to Float, or as a layer weight) from the
// validated offsets — the path a downloaded checkpoint or LoRA file takes.

import FuzzSupport
import SafeTensors

@main
enum FuzzSafeTensorsHeader {
    static func main() {
        runFuzzer { bytes in
            let file = try SafeTensorsFile(bytes: bytes)
            _ = file.metadata
            for name in file.names {
                guard let info = file.info(name) else { fuzzCheck(false, "listed tensor \(name) has no entry"); continue }
                let raw = try file.rawBytes(name)
                fuzzCheck(raw.count == info.byteRange.count, "\(name): raw bytes disagree with the header")
                if let tensor = try? file.tensor(name) {
                    fuzzCheck(tensor.shape == info.shape, "\(name): tensor shape disagrees with the header")
                }
                _ = try? file.layerWeight(name)
            }
        }
    }
}
