// The `img2img` command-line tool: one subcommand per file in this folder.

import ArgumentParser

/// The img2img command-line tool: Stable Diffusion image-to-image on the CPU.
@main
struct Img2Img: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "img2img",
        abstract: "A CPU reference engine for Stable Diffusion image-to-image.",
        subcommands: [GenerateCommand.self, SafetyCheckCommand.self, CompareCommand.self, TokenizeCommand.self,
                      InspectCommand.self, ParityUNetCommand.self, BenchLoRACommand.self, ServeCommand.self,
                      BenchCommand.self, WeightsCommand.self])
}
