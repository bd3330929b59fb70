// What can stop the safety checker from loading or checking: a missing file in its folder, a processor whose
// output does not fit the vision tower, or a batch whose processed images differ in size.

/// A safety checker that cannot be loaded, or images it cannot check.
public enum SafetyError: Error, Equatable, CustomStringConvertible {
    /// A required file is not in the checker folder.
    case missingFile(path: String, role: String)
    /// The processed images are `width × height` but the vision tower takes `imageSize × imageSize`.
    case inputSizeMismatch(width: Int, height: Int, imageSize: Int)
    /// Images in one batch were processed to different sizes (`[width, height]`).
    case mixedSizes(first: [Int], other: [Int])

    public var description: String {
        switch self {
        case let .missingFile(path, role):
            return "safety checker: \(path) is missing (\(role))"
        case let .inputSizeMismatch(width, height, imageSize):
            return "safety checker: the image processor yields \(width)×\(height) images but the vision model takes "
                + "\(imageSize)×\(imageSize); make preprocessor_config.json's crop_size (or size) match "
                + "vision_config.image_size"
        case let .mixedSizes(first, other):
            return "safety checker: images in one batch were processed to \(first[0])×\(first[1]) and "
                + "\(other[0])×\(other[1]); enable do_center_crop or check them separately"
        }
    }
}
