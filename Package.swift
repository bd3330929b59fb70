// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The CPU the release build targets: the build machine's own (`native`: AVX2/AVX-512 and FMA where it has
/// them, which the SIMD16 kernels need to run at full width); `IMG2IMG_TARGET_CPU=<llvm cpu>` picks another
/// (e.g. `x86-64` for a binary that runs on any x86-64), `IMG2IMG_TARGET_CPU=` (empty) the compiler's default.
let targetCPU: [String] = {
    let requested = ProcessInfo.processInfo.environment["IMG2IMG_TARGET_CPU"] ?? "native"
    return requested.isEmpty ? [] : ["-target-cpu", requested]
}()

/// The kernels (Tensors): SIMD loops whose index arithmetic is checked by their tests and their references, built
/// with `-Ounchecked`, where bounds and overflow checks and preconditions become assumptions — measured to matter
/// there, and only there. `IMG2IMG_CHECKED_KERNELS=1` (`make sanitize`) builds them with `-O` instead, so those
/// assumptions are checked (traps) while the sanitizers run.
let checkedKernels = ProcessInfo.processInfo.environment["IMG2IMG_CHECKED_KERNELS"] == "1"
let kernelSettings: [SwiftSetting] = [.unsafeFlags((checkedKernels ? [] : ["-Ounchecked"]) + ["-wmo"] + targetCPU,
                                                   .when(configuration: .release))]

/// Every other module, above all those that read outside bytes (checkpoints, images, prompts, requests): `-O`,
/// so a bad index traps instead of reading past a buffer; the target CPU still lets inlined kernels run at width.
let checkedSettings: [SwiftSetting] = [.unsafeFlags(["-wmo"] + targetCPU, .when(configuration: .release))]

let package = Package(
    name: "img2img",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "img2img", targets: ["img2img"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "Images", targets: ["Images"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "Safety", targets: ["Safety"]),
        // For the fuzz targets in Fuzz/ (a package of their own that depends on this one by path).
        .library(name: "Schedulers", targets: ["Schedulers"]),
        .library(name: "Pipelines", targets: ["Pipelines"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Tests only: reads the runner's openapi.yaml for the comparison with the document we serve.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries: a module map plus the pkg-config name, nothing else.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),

        .target(name: "Tensors", dependencies: ["COpenBLAS"], swiftSettings: kernelSettings),
        .target(name: "SafeTensors", dependencies: ["Tensors"], swiftSettings: checkedSettings),
        .target(name: "Images", dependencies: ["CLibPNG", "CTurboJPEG"], swiftSettings: checkedSettings),
        .target(name: "Models", dependencies: ["Tensors", "SafeTensors"], swiftSettings: checkedSettings),
        .target(name: "Random", dependencies: ["Tensors"], swiftSettings: checkedSettings),
        .target(name: "Schedulers", dependencies: ["Tensors", "Random"], swiftSettings: checkedSettings),
        .target(name: "Pipelines", dependencies: ["Tensors", "SafeTensors", "Images", "Tokenizers", "Models", "Random",
                                                  "Schedulers", "Safety"], swiftSettings: checkedSettings),
        .target(name: "Tokenizers", dependencies: [], swiftSettings: checkedSettings),
        .target(name: "Safety", dependencies: ["Tensors", "SafeTensors", "Images", "Models"],
                swiftSettings: checkedSettings),
        .target(name: "Server", dependencies: [
            "Images", "Models", "Pipelines", "Random", "Safety", "Tensors",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ], resources: [.copy("Resources/openapi.json"), .copy("Resources/playground")]),

        .target(name: "Verification", dependencies: [
            "Images", "Pipelines", "Server",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: checkedSettings),

        .target(name: "ModelSynthesis", dependencies: ["Tensors", "SafeTensors", "Models"], swiftSettings: checkedSettings),

        .executableTarget(name: "img2img", dependencies: [
            "Tensors", "SafeTensors", "Images", "Models", "Random", "Schedulers", "Tokenizers", "Pipelines", "Server",
            "ModelSynthesis", "Verification",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "KernelBenchmarks", dependencies: ["Tensors", "SafeTensors"], path: "Benchmarks/KernelBenchmarks",
                          swiftSettings: checkedSettings),

        .target(name: "TestSupport", dependencies: ["Tensors", "SafeTensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TestSupport"]),
        .testTarget(name: "RandomTests", dependencies: ["Random", "TestSupport"]),
        .testTarget(name: "SchedulersTests", dependencies: ["Schedulers", "TestSupport"]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "Safety", "Images", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "SafetyTests", dependencies: ["Safety", "Models", "Images", "Tensors", "SafeTensors",
                                                        "TestSupport"]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Pipelines", "Images", "TestSupport", "Verification",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "ModelSynthesisTests", dependencies: ["ModelSynthesis", "Models", "SafeTensors", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
