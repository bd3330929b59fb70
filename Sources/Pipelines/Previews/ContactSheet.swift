// A contact sheet of a run's step previews: the tiles in step order, left to right then top to bottom, at most
// ten to a row, on a dark grey background with a 2-pixel gap. Tiles larger than 128 pixels on a side (TAESD's
// image-sized previews) are scaled down to fit 128 (bilinear, Pillow's), so a 50-step sheet stays small.

import Images

/// Lays out previews as one grid image.
public enum ContactSheet {
    /// The largest tile side.
    public static let maximumTileSide = 128
    /// Tiles per row at most.
    public static let maximumColumns = 10
    static let gap = 2
    static let background: UInt8 = 32

    /// The sheet of `previews` in order (all the same size).
    public static func make(_ previews: [RGBImage]) throws -> RGBImage {
        let tiles = try previews.map { try $0.scaledDown(toFit: maximumTileSide) }
        guard let first = tiles.first else { return try RGBImage(width: 1, height: 1, pixels: [background, background, background]) }
        let (tileWidth, tileHeight) = (first.width, first.height)
        let columns = min(previews.count, maximumColumns)
        let rows = (previews.count + columns - 1) / columns
        let width = columns * tileWidth + (columns + 1) * gap, height = rows * tileHeight + (rows + 1) * gap
        var pixels = [UInt8](repeating: background, count: width * height * 3)
        for (index, tile) in tiles.enumerated() {
            let left = gap + (index % columns) * (tileWidth + gap), top = gap + (index / columns) * (tileHeight + gap)
            for row in 0..<tileHeight {
                let destination = ((top + row) * width + left) * 3
                pixels.replaceSubrange(destination..<(destination + tileWidth * 3),
                                       with: tile.pixels[(row * tileWidth * 3)..<((row + 1) * tileWidth * 3)])
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}
