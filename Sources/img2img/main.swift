// The `img2img` command-line tool: one subcommand per file in this folder.

import ArgumentParser

/// The img2img command-line tool: Stable Diffusion image-to-image on the CPU.
struct Img2Img: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "img2img",
        abstract: "A CPU reference engine for Stable Diffusion image-to-image.",
        subcommands: [GenerateCommand.self, CompareCommand.self, TokenizeCommand.self, InspectCommand.self,
                      ParityUNetCommand.self, BenchCommand.self, WeightsCommand.self])
}

Img2Img.main()
