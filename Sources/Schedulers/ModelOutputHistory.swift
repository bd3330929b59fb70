// The memory of the multistep solvers (DPM-Solver, UniPC): the converted model outputs of the last
// `solver_order` steps (`model_outputs`, oldest first) and how many steps have filled it (`lower_order_nums`).

import Tensors

/// `model_outputs` and `lower_order_nums` of a multistep solver.
struct ModelOutputHistory {
    private var outputs: [Tensor?]
    /// `lower_order_nums`: steps taken so far, saturating at the solver order.
    private(set) var lowerOrderNums = 0

    /// An empty history for a solver of order `order`.
    init(order: Int) {
        outputs = Array(repeating: nil, count: order)
    }

    /// Shifts `output` in as the newest, dropping the oldest.
    mutating func append(_ output: Tensor) {
        outputs.removeFirst()
        outputs.append(output)
    }

    /// Counts a finished step (`lower_order_nums += 1` up to the order).
    mutating func recordStep() {
        if lowerOrderNums < outputs.count { lowerOrderNums += 1 }
    }

    /// The output `back` steps before the newest (0 = the newest); a `misuse` error when there is none.
    func output(_ back: Int, scheduler: String) throws -> Tensor {
        guard back >= 0, back < outputs.count, let output = outputs[outputs.count - 1 - back] else {
            throw SchedulerError.misuse(scheduler: scheduler, reason: "a multistep update lacks earlier outputs")
        }
        return output
    }
}
