// Fuzzes the CLIP tokenizer on any prompt: added-token matching on the raw and the normalised text, the CLIP
// normaliser (NFC, lower-casing, whitespace), the pre-tokenizer's word split and byte-level BPE. The bundled
// model's tokenizer (weights/tiny-sd/tokenizer: the full CLIP vocabulary and merges) is loaded once.

import FuzzSupport
import Tokenizers

@main
enum FuzzTokenizer {
    static func main() {
        // Loaded before libFuzzer starts: under ASan it takes longer than the per-input timeout.
        let tokenizer: CLIPTokenizer
        do {
            tokenizer = try CLIPTokenizer(directory: RepositoryFiles.url("weights/tiny-sd/tokenizer"))
        } catch {
            fatalError("cannot load the fuzzed tokenizer (set IMG2IMG_ROOT to the repository root): \(error)")
        }
        runFuzzer { bytes in
            let ids = tokenizer.encode(String(decoding: bytes, as: UTF8.self))
            fuzzCheck(ids.count == tokenizer.maxLength, "encode gave \(ids.count) ids, not \(tokenizer.maxLength)")
        }
    }
}
