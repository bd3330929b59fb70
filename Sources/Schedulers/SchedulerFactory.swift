// Builds the scheduler a model's `scheduler/scheduler_config.json` names in `_class_name`, like diffusers'
// `SchedulerMixin.from_config`: each class applies its own defaults to the fields the file leaves out.

/// The `_class_name` values `makeScheduler` knows.
public let supportedSchedulerClassNames = [
    "DDIMScheduler", "PNDMScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
    "DDPMScheduler", "LMSDiscreteScheduler", "HeunDiscreteScheduler", "DPMSolverMultistepScheduler",
    "UniPCMultistepScheduler", "LCMScheduler",
]

/// The scheduler named by `config.className`; an unknown or missing name is `SchedulerError.unknownClass`.
public func makeScheduler(config: SchedulerConfig) throws -> Scheduler {
    switch config.className {
    case "DDIMScheduler": return try DDIMScheduler(config: config)
    case "PNDMScheduler": return try PNDMScheduler(config: config)
    case "EulerDiscreteScheduler": return try EulerDiscreteScheduler(config: config)
    case "EulerAncestralDiscreteScheduler": return try EulerAncestralDiscreteScheduler(config: config)
    case "DDPMScheduler": return try DDPMScheduler(config: config)
    case "LMSDiscreteScheduler": return try LMSDiscreteScheduler(config: config)
    case "HeunDiscreteScheduler": return try HeunDiscreteScheduler(config: config)
    case "DPMSolverMultistepScheduler": return try DPMSolverMultistepScheduler(config: config)
    case "UniPCMultistepScheduler": return try UniPCMultistepScheduler(config: config)
    case "LCMScheduler": return try LCMScheduler(config: config)
    default:
        throw SchedulerError.unknownClass(config.className ?? "(missing)", supported: supportedSchedulerClassNames)
    }
}
