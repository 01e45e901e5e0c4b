import MemoryGraph
/// The scratch buffers of one forward pass. They grow to the largest batch seen and are then
/// reused, so a steady stream of batches allocates nothing.
///
/// A workspace is used by one forward pass at a time; ``MiniLMEmbedder`` lends them from a pool.
final class BertWorkspace {
    private(set) var tokenCapacity = 0
    private(set) var hidden: UnsafeMutablePointer<Float>
    private(set) var qkv: UnsafeMutablePointer<Float>
    private(set) var context: UnsafeMutablePointer<Float>
    private(set) var projection: UnsafeMutablePointer<Float>
    private(set) var intermediate: UnsafeMutablePointer<Float>
    /// A linear layer's input rounded to bfloat16, for the ``EncoderKernel/avx512BF16`` kernel:
    /// room for the widest (tokens × intermediate size).
    private(set) var roundedInput: UnsafeMutablePointer<UInt16>
    /// One head's attention scores per worker, maxLength × maxLength each.
    private(set) var scoreBuffer: UnsafeMutablePointer<Float>
    private var workers = 1
    private let maxLength: Int

    private let configuration: BertConfiguration

    init(configuration: BertConfiguration, maxLength: Int) {
        self.configuration = configuration
        hidden = .allocate(capacity: 0)
        qkv = .allocate(capacity: 0)
        context = .allocate(capacity: 0)
        projection = .allocate(capacity: 0)
        intermediate = .allocate(capacity: 0)
        roundedInput = .allocate(capacity: 0)
        self.maxLength = maxLength
        scoreBuffer = .allocate(capacity: maxLength * maxLength)
    }

    /// The attention-score scratch of worker `part`.
    func scores(for part: Int) -> UnsafeMutablePointer<Float> {
        scoreBuffer + part * maxLength * maxLength
    }

    /// Makes room for `tokens` tokens processed by `workers` threads.
    func reserve(tokens: Int, workers: Int) {
        if workers > self.workers {
            scoreBuffer.deallocate()
            scoreBuffer = .allocate(capacity: workers * maxLength * maxLength)
            self.workers = workers
        }
        guard tokens > tokenCapacity else { return }
        // Grow with headroom so that slightly larger batches do not reallocate.
        let capacity = max(tokens, tokenCapacity + tokenCapacity / 2)
        let width = configuration.hiddenSize
        for buffer in [hidden, qkv, context, projection, intermediate] { buffer.deallocate() }
        hidden = .allocate(capacity: capacity * width)
        qkv = .allocate(capacity: capacity * 3 * width)
        context = .allocate(capacity: capacity * width)
        projection = .allocate(capacity: capacity * width)
        intermediate = .allocate(capacity: capacity * configuration.intermediateSize)
        roundedInput.deallocate()
        roundedInput = .allocate(capacity: capacity * max(configuration.intermediateSize, width))
        tokenCapacity = capacity
    }

    deinit {
        for buffer in [hidden, qkv, context, projection, intermediate, scoreBuffer] { buffer.deallocate() }
        roundedInput.deallocate()
    }
}
