// Where a timestep sits in a schedule (`index_for_timestep`): the second match when the timestep occurs more
// than once, so a schedule entered part-way (img2img) does not skip a sigma.

/// The index of `timestep` in `schedule`: the second occurrence when there are several, the only one when
/// there is one, nil when there is none.
func multistepIndex(of timestep: Float, in schedule: [Float]) -> Int? {
    var first: Int?
    for (index, value) in schedule.enumerated() where value == timestep {
        if first != nil { return index }
        first = index
    }
    return first
}
