// Linear least squares min ‖X·B − Y‖ for a few unknowns (the latent projection's C + 1 per colour), by the
// normal equations XᵀX·B = XᵀY in Double, solved by Gaussian elimination with partial pivoting. With C + 1 ≈ 5
// unknowns and well-spread inputs the normal equations lose nothing that matters at Float precision.

enum LeastSquares {
    /// B (unknowns × outputs) minimising ‖X·B − Y‖ over rows `inputs` (X) and `outputs` (Y); nil when XᵀX is
    /// singular (to 1e-12 of its largest pivot).
    static func solve(_ inputs: [[Double]], _ outputs: [[Double]]) -> [[Double]]? {
        guard let unknowns = inputs.first?.count, let width = outputs.first?.count else { return nil }
        // [XᵀX | XᵀY]
        var system = [[Double]](repeating: [Double](repeating: 0, count: unknowns + width), count: unknowns)
        for (x, y) in zip(inputs, outputs) {
            for i in 0..<unknowns {
                for j in 0..<unknowns { system[i][j] += x[i] * x[j] }
                for k in 0..<width { system[i][unknowns + k] += x[i] * y[k] }
            }
        }
        let scale = system.indices.map { abs(system[$0][$0]) }.max() ?? 0
        for column in 0..<unknowns {
            let pivot = (column..<unknowns).max { abs(system[$0][column]) < abs(system[$1][column]) }!
            guard abs(system[pivot][column]) > 1e-12 * scale else { return nil }
            system.swapAt(column, pivot)
            for row in 0..<unknowns where row != column {
                let factor = system[row][column] / system[column][column]
                guard factor != 0 else { continue }
                for j in column..<(unknowns + width) { system[row][j] -= factor * system[column][j] }
            }
        }
        return (0..<unknowns).map { i in (0..<width).map { system[i][unknowns + $0] / system[i][i] } }
    }
}
