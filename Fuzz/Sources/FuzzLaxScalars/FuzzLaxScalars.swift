// Fuzzes the lax scalar grammar of the form's number and boolean fields (pydantic's str → float / int / bool)
// on any text, UTF-8 decoded with replacement as the form reader does.

import FuzzSupport
@_spi(Fuzzing) import Server

@main
enum FuzzLaxScalars {
    static func main() {
        runFuzzer { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let parsed = RequestParsing.laxScalars(text)
            // A plain decimal integer is read the same way again after printing it.
            if let integer = parsed.integer, integer > Int128.min + 1, integer < Int128.max {
                fuzzCheck(RequestParsing.laxScalars(String(integer)).integer == integer, "int \(integer) does not round-trip")
            }
        }
    }
}
