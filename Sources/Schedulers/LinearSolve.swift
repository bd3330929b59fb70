// Small dense linear solve for UniPC's ρ coefficients (`torch.linalg.solve`, at most 3×3 here): LU with partial
// pivoting in float32, then column-oriented substitutions dividing by the diagonal through its reciprocal —
// the order that reproduces torch (MKL getrf/getrs) bit for bit on 2×2 systems.

/// Solves `matrix · x = rhs` for a square row-major `matrix`; a singular matrix gives non-finite entries,
/// as LAPACK's result would.
func solveLinearSystem(_ matrix: [[Float]], _ rhs: [Float]) -> [Float] {
    var a = matrix
    var b = rhs
    let n = b.count
    for k in 0..<n {
        var pivot = k
        for i in (k + 1)..<max(n, k + 1) where abs(a[i][k]) > abs(a[pivot][k]) { pivot = i }
        if pivot != k {
            a.swapAt(pivot, k)
            b.swapAt(pivot, k)
        }
        let reciprocal = 1 / a[k][k]
        for i in (k + 1)..<max(n, k + 1) {
            let multiplier = a[i][k] * reciprocal
            a[i][k] = multiplier
            for j in (k + 1)..<n { a[i][j] = a[i][j] - multiplier * a[k][j] }
        }
    }
    for k in 0..<n {  // forward substitution with the unit lower factor
        for i in (k + 1)..<max(n, k + 1) { b[i] = b[i] - b[k] * a[i][k] }
    }
    for k in stride(from: n - 1, through: 0, by: -1) {  // back substitution with the upper factor
        b[k] = b[k] * (1 / a[k][k])
        for i in 0..<k { b[i] = b[i] - b[k] * a[i][k] }
    }
    return b
}
