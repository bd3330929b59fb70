// Reading a scheduler config's string and flag options: a value outside what the scheduler class implements
// is a `SchedulerError.unsupported` that names the field, the value and what is supported.

/// A string config value as one of `supported`, or an `unsupported` error listing them in that order.
func parseOption<Option: RawRepresentable>(_ value: String, field: String, scheduler: String,
                                           supported: [Option]) throws -> Option where Option.RawValue == String {
    guard let option = Option(rawValue: value), supported.contains(where: { $0.rawValue == value }) else {
        throw SchedulerError.unsupported(scheduler: scheduler, field: field, value: value,
                                         supported: supported.map(\.rawValue).joined(separator: ", "))
    }
    return option
}

/// A string config value as any case of `Option`, or an `unsupported` error listing all of them.
func parseOption<Option: RawRepresentable & CaseIterable>(_ value: String, field: String,
                                                          scheduler: String) throws -> Option
    where Option.RawValue == String {
    try parseOption(value, field: field, scheduler: scheduler, supported: Array(Option.allCases))
}

/// An `unsupported` error when a flag this engine does not implement is switched on.
func rejectEnabled(_ value: Bool?, field: String, scheduler: String, instead: String = "") throws {
    if value == true {
        throw SchedulerError.unsupported(scheduler: scheduler, field: field, value: "true",
                                         supported: "false" + instead)
    }
}
