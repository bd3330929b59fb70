// The linear multistep coefficients of LMSDiscreteScheduler: c = ∫_{σ_i}^{σ_{i+1}} Π_{k≠j} (τ − σ_{i−k})/(σ_{i−j} − σ_{i−k}) dτ.
// diffusers integrates with scipy.integrate.quad (QUADPACK QAGS, epsrel 1e-4) and evaluates the integrand in
// float32 (the σ's are torch float32 scalars). The integrand is a polynomial of degree ≤ 3, so QAGS accepts its
// first 21-point Gauss–Kronrod estimate; reproducing that rule with a float32 integrand gives the same double.

/// The LMS integration of diffusers' `get_lms_coefficient`.
enum LMSCoefficients {
    /// Kronrod abscissae on [−1, 1] (positive half; QUADPACK dqk21 `xgk`, the last is the centre).
    static let nodes: [Double] = [
        0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
        0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
        0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
        0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
        0.294392862701460198131126603103866, 0.148874338981631210884826001129720,
        0.0,
    ]
    /// Kronrod weights (QUADPACK dqk21 `wgk`), matching `nodes`.
    static let weights: [Double] = [
        0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
        0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
        0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
        0.123491976262065851077958109831074, 0.134709217311473325928054001771707,
        0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
        0.149445554002916905664936468389821,
    ]

    /// `get_lms_coefficient(order, t, current_order)` for the step at `stepIndex`.
    static func coefficient(order: Int, stepIndex t: Int, currentOrder: Int, sigmas: [Float]) -> Double {
        // The Lagrange basis polynomial, evaluated as diffusers does: τ cast to float32, float32 products.
        func basis(_ tau: Double) -> Double {
            var product: Float?
            let x = Float(tau)
            for k in 0..<order where k != currentOrder {
                let factor = (x - sigmas[t - k]) / (sigmas[t - currentOrder] - sigmas[t - k])
                product = product.map { $0 * factor } ?? factor
            }
            return Double(product ?? 1)
        }
        return gaussKronrod21(basis, from: Double(sigmas[t]), to: Double(sigmas[t + 1]))
    }

    /// QUADPACK's dqk21 estimate of ∫_a^b f, summed in its order (Gauss nodes first, then the Kronrod ones).
    static func gaussKronrod21(_ f: (Double) -> Double, from a: Double, to b: Double) -> Double {
        let centre = 0.5 * (a + b), halfLength = 0.5 * (b - a)
        var sum = weights[10] * f(centre)
        for j in [1, 3, 5, 7, 9] + [0, 2, 4, 6, 8] {
            let offset = halfLength * nodes[j]
            sum += weights[j] * (f(centre - offset) + f(centre + offset))
        }
        return sum * halfLength
    }
}
