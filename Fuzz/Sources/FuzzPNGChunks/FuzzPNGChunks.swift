// Fuzzes the PNG chunk walk that runs before libpng: chunk lengths and types, the IHDR, the CRCs of IHDR and
// the ancillary chunks, a missing IEND, and the rebuilt stream of critical chunks — which, parsed again, must
// come back unchanged.

import FuzzSupport
@_spi(Fuzzing) import Images

@main
enum FuzzPNGChunks {
    static func main() {
        runFuzzer { bytes in
            let stream = try ImageDecoder.criticalPNGStream(bytes)
            let again = try? ImageDecoder.criticalPNGStream(stream)
            fuzzCheck(again == stream, "the rebuilt critical-chunk stream does not parse back to itself")
        }
    }
}
