// swift-tools-version:6.0
// libFuzzer targets for img2img's parsers of outside input, one executable each. A package of its own so the
// root package's build and tests stay free of the fuzzer flags; build it as the Makefile's `fuzz` target does:
//   swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

/// One fuzz target: `Sources/<name>/<name>.swift`, whose `@main` hands its closure to `runFuzzer`.
/// Linked with the toolchain's lld: SwiftPM names the entry point with `--defsym main=<target>_main`, which gold
/// refuses beside the `main` of libFuzzer's runtime (it fails with an internal error), and lld accepts.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + products.map {
        .product(name: $0, package: "img2img")
    }, linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
}

let package = Package(
    name: "img2img-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "img2img", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        fuzzTarget("FuzzSafeTensorsHeader", ["SafeTensors"]),
        fuzzTarget("FuzzPNGChunks", ["Images"]),
        fuzzTarget("FuzzImageDecoders", ["Images"]),
        fuzzTarget("FuzzMultipartForm", ["Server"]),
        fuzzTarget("FuzzLaxScalars", ["Server"]),
        fuzzTarget("FuzzTokenizer", ["Tokenizers"]),
        fuzzTarget("FuzzLoRAJSON", ["Pipelines"]),
        fuzzTarget("FuzzModelConfig", ["Models", "Schedulers", "Safety"]),
    ],
    swiftLanguageModes: [.v5]
)
