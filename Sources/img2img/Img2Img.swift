// The `img2img` command-line tool: one subcommand per file in this folder. The commands a user of the engine
// runs come first in `--help`; the tools for developing it (benchmarks, weight synthesis, UNet parity probes)
// are listed apart, in the same binary, because the benchmarks and scripts call them as `img2img bench`,
// `img2img weights synth`.

import ArgumentParser
import Tensors

/// The img2img command-line tool: Stable Diffusion image-to-image on the CPU.
@main
struct Img2Img: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "img2img",
        abstract: "A CPU reference engine for Stable Diffusion image-to-image.",
        subcommands: [GenerateCommand.self, ServeCommand.self, VerifyCommand.self, SafetyCheckCommand.self, CompareCommand.self,
                      TokenizeCommand.self, InspectCommand.self],
        groupedSubcommands: [
            CommandGroup(name: "Developer tools", subcommands: [BenchCommand.self, BenchLoRACommand.self,
                                                                ParityUNetCommand.self, WeightsCommand.self]),
        ])

    /// ArgumentParser's entry point, after making sure OpenBLAS runs the kernels this CPU supports.
    static func main() async {
        OpenBLASCore.restartWithBetterKernelsIfNeeded()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
