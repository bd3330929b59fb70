// What a watched generation tells its watcher while it runs — each finished denoising step, the preview of a
// step when previews are on, and the trace of every stage at the end — so the playground page can show
// progress and the denoising as it happens. A backend calls these on the inference thread; an unwatched run
// (every runner-compatible client) pays nothing for them, and what a run answers does not depend on them.

import Images
import Pipelines

/// Receives the progress of one watched generation.
public protocol GenerationWatcher: AnyObject, Sendable {
    /// Step `index` (0-based) of `count` of image `image` finished, at timestep `timestep`.
    func stepFinished(image: Int, index: Int, count: Int, timestep: Float)
    /// The preview of step `index` (0-based) of image `image`: the predicted clean image at that step.
    func preview(image: Int, index: Int, _ preview: RGBImage)
    /// The recorded stages of the whole run, in the order they ran.
    func traced(_ entries: [PipelineTrace.Entry])
}
