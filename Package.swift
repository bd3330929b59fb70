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

/// Release-grade code generation for the numeric modules: the kernels are SIMD loops that are
/// unusably slow without optimisation, and tests run in release (`make test`).
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + targetCPU, .when(configuration: .release))]

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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .target(name: "SafeTensors", dependencies: ["Tensors"], swiftSettings: kernelSettings),
        .target(name: "Images", dependencies: ["CLibPNG", "CTurboJPEG"], swiftSettings: kernelSettings),
        .target(name: "Models", dependencies: ["Tensors", "SafeTensors"], swiftSettings: kernelSettings),
        .target(name: "Random", dependencies: ["Tensors"], swiftSettings: kernelSettings),
        .target(name: "Schedulers", dependencies: ["Tensors", "Random"], swiftSettings: kernelSettings),
        .target(name: "Pipelines", dependencies: ["Tensors", "SafeTensors", "Images", "Tokenizers", "Models", "Random",
                                                  "Schedulers"], swiftSettings: kernelSettings),
        .target(name: "Tokenizers", dependencies: [], swiftSettings: kernelSettings),
        .target(name: "ModelSynthesis", dependencies: ["Tensors", "SafeTensors", "Models"], swiftSettings: kernelSettings),

        .executableTarget(name: "img2img", dependencies: [
            "Tensors", "SafeTensors", "Images", "Models", "Random", "Schedulers", "Tokenizers", "Pipelines", "ModelSynthesis",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "KernelBenchmarks", dependencies: ["Tensors", "SafeTensors"], path: "Benchmarks/KernelBenchmarks",
                          swiftSettings: kernelSettings),

        .target(name: "TestSupport", dependencies: ["Tensors", "SafeTensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TestSupport"]),
        .testTarget(name: "RandomTests", dependencies: ["Random", "TestSupport"]),
        .testTarget(name: "SchedulersTests", dependencies: ["Schedulers", "TestSupport"]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "ModelSynthesisTests", dependencies: ["ModelSynthesis", "Models", "SafeTensors", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
