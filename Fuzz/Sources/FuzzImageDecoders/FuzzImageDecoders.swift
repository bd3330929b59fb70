// Fuzzes the image upload path: format detection, then the PNG decoder (chunk walk + libpng's simplified API,
// one read per colour type) or the JPEG decoder (libturbojpeg's header, then its strict and lenient passes).
// The pixel limit is 512 × 512 rather than the server's 4096 × 4096, so that a fuzzed header declaring a big
// image costs milliseconds, not a second; the size check itself is the same code.

import FuzzSupport
import Images

@main
enum FuzzImageDecoders {
    static func main() {
        runFuzzer { bytes in
            let image = try ImageDecoder.decode(bytes, maxPixels: 512 * 512)
            fuzzCheck(image.width > 0 && image.height > 0 && image.width * image.height <= 512 * 512,
                      "decoded a \(image.width)×\(image.height) image past the limit")
            fuzzCheck(image.pixels.count == image.width * image.height * 3, "pixel buffer size disagrees with the size")
        }
    }
}
