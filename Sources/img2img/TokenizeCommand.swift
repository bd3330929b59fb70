// `img2img tokenize --model DIR "text"`: the 77 token ids the model's CLIP tokenizer gives, as a JSON array.

import ArgumentParser
import Foundation
import Tokenizers

/// Prints the CLIP token ids of a prompt.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the 77 CLIP token ids of a prompt as a JSON array.")

    @Option(help: "A diffusers model folder (its tokenizer/ subfolder is used).")
    var model: String?

    @Option(help: "A tokenizer folder (vocab.json + merges.txt, or tokenizer.json); overrides --model.")
    var tokenizerDir: String?

    @Argument(help: "The prompt.")
    var text: String

    func run() throws {
        let directory: URL
        if let tokenizerDir {
            directory = URL(fileURLWithPath: tokenizerDir)
        } else if let model {
            directory = URL(fileURLWithPath: model).appendingPathComponent("tokenizer")
        } else {
            throw ValidationError("give --model DIR or --tokenizer-dir DIR")
        }
        let tokenizer = try CLIPTokenizer(directory: directory)
        print("[" + tokenizer.encode(text).map(String.init).joined(separator: ", ") + "]")
    }
}
