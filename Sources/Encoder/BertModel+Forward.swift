import Dispatch
import EncoderKernels
import Synchronization
import MemoryGraph

/// The forward pass: embeddings, the encoder layers, mean pooling and L2 normalisation.
///
/// A batch is packed rather than padded: the token rows of all its sequences lie back to back,
/// every matrix product runs over all of them at once, and attention runs per sequence and head
/// over that sequence's own tokens. No padding token enters any product, so the attention mask of
/// a padded batch is not needed and a vector does not depend on what it was batched with.
///
/// With `workers > 1` each step is split between that many threads (matrix products by output
/// columns, attention by heads, layer norms by rows), each calling single-threaded BLAS or the
/// packed AVX-512 product.
extension BertModel {
    /// Embeds each token-id sequence (already `[CLS] … [SEP]`) into one unit-length vector.
    func forward(_ sequences: [[Int32]], workspace: BertWorkspace, workers: Int = 1) -> [[Float]] {
        let width = configuration.hiddenSize
        let tokens = sequences.reduce(0) { $0 + $1.count }
        guard tokens > 0 else { return sequences.map { _ in [Float](repeating: 0, count: width) } }
        workspace.reserve(tokens: tokens, workers: workers)
        var spans: [(offset: Int, length: Int)] = []
        var offset = 0
        for sequence in sequences {
            spans.append((offset, sequence.count))
            offset += sequence.count
        }
        let pass = Pass(model: self, workspace: workspace, spans: spans, tokens: tokens, workers: max(1, workers))
        embed(sequences, into: workspace.hidden)
        pass.rows { range in
            let start = workspace.hidden + range.lowerBound * width
            pass.layerNorm(
                start, bias: nil, residual: nil, gamma: embeddingNormGamma, beta: embeddingNormBeta,
                output: start, rows: range.count)
        }
        for layer in layers { pass.encode(layer) }
        return spans.map { meanPooledUnitVector(workspace.hidden + $0.offset * width, rows: $0.length) }
    }

    /// Word + position + token-type (0) embeddings, before their LayerNorm.
    private func embed(_ sequences: [[Int32]], into hidden: UnsafeMutablePointer<Float>) {
        let width = configuration.hiddenSize
        var row = hidden
        for sequence in sequences {
            for (position, id) in sequence.enumerated() {
                let word = wordEmbeddings + Int(id) * width
                let place = positionEmbeddings + position * width
                for column in 0..<width {
                    row[column] = word[column] + place[column] + tokenTypeEmbedding[column]
                }
                row += width
            }
        }
    }

    /// The mean of `rows` hidden rows, scaled to unit length (sentence-transformers' Pooling and
    /// Normalize modules: every real token counts, `[CLS]` and `[SEP]` included).
    private func meanPooledUnitVector(_ start: UnsafePointer<Float>, rows: Int) -> [Float] {
        let width = configuration.hiddenSize
        var sum = [Double](repeating: 0, count: width)
        for row in 0..<rows {
            let line = start + row * width
            for column in 0..<width { sum[column] += Double(line[column]) }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot() / Double(rows)
        let scale = 1 / (max(norm, 1e-12) * Double(rows))
        return sum.map { Float($0 * scale) }
    }
}

/// One forward pass over a packed batch: the layer steps and how they are split between workers.
private struct Pass {
    let model: BertModel
    let workspace: BertWorkspace
    let spans: [(offset: Int, length: Int)]
    let tokens: Int
    let workers: Int

    var config: BertConfiguration { model.configuration }
    /// The element-wise steps: their AVX-512 build when the matrix products run on AVX-512.
    var steps: ElementwiseSteps { model.kernel.packsWeights ? .avx512 : .portable }

    /// Runs `body` once per worker, in parallel when there is more than one, and returns when all
    /// are done. The parts write disjoint columns, rows or heads of the workspace.
    func parallel(_ body: (Int) -> Void) {
        if workers == 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let part = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { part.value($0) }
        }
    }

    /// Runs `body` on each of `0..<count`, the workers taking the next index as they finish one:
    /// a core that the machine slows down then does less, instead of holding the others at the end.
    func parallel(each count: Int, _ body: (Int) -> Void) {
        if workers == 1 || count == 1 {
            for index in 0..<count { body(index) }
            return
        }
        let next = Atomic<Int>(0)
        parallel { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < count else { return }
                body(index)
            }
        }
    }

    /// Worker `part`'s share of `0..<total`, in multiples of `step` where possible.
    func share(_ part: Int, of total: Int, step: Int) -> Range<Int> {
        let chunks = (total + step - 1) / step
        let lower = min(total, chunks * part / workers * step)
        let upper = part == workers - 1 ? total : min(total, chunks * (part + 1) / workers * step)
        return lower..<upper
    }

    /// Runs `body` on the token rows, in blocks of 64 taken by whichever worker is free.
    func rows(_ body: (Range<Int>) -> Void) {
        let block = 64
        parallel(each: (tokens + block - 1) / block) { index in
            body(index * block..<min(tokens, (index + 1) * block))
        }
    }

    /// `output[tokens × n] = input[tokens × k] · weightᵀ`, split by output columns; `after` runs on
    /// each worker's columns once its product is done.
    func linear(
        _ input: UnsafePointer<Float>, _ linear: BertModel.Linear, into output: UnsafeMutablePointer<Float>,
        after: (Range<Int>) -> Void = { _ in }
    ) {
        let (n, k) = (linear.outputs, linear.inputs)
        // The packed kernels: the product of one panel of 48 output columns.
        let panelProduct: ((Int) -> Void)?
        if let packed = linear.packedBF16 {
            // The input rounded once, on this thread, before the workers share the panels.
            let rounded = workspace.roundedInput
            PackedProductBF16.round(a: input, lda: k, m: tokens, k: k, into: rounded)
            panelProduct = { panel in
                PackedProductBF16.multiply(
                    a: rounded, lda: k, m: tokens, k: k, packed: packed, panels: panel..<panel + 1, c: output, ldc: n)
            }
        } else if let packed = linear.packed {
            panelProduct = { panel in
                PackedProduct.multiply(
                    a: input, lda: k, m: tokens, k: k, packed: packed, panels: panel..<panel + 1, c: output, ldc: n)
            }
        } else {
            panelProduct = nil
        }
        if let panelProduct {
            let width = PackedProduct.panelWidth
            parallel(each: n / width) { panel in
                panelProduct(panel)
                after(panel * width..<(panel + 1) * width)
            }
            return
        }
        parallel { part in
            let columns = share(part, of: n, step: 16)
            guard !columns.isEmpty else { return }
            BLAS.gemm(
                m: tokens, n: columns.count, k: k, a: input, lda: k,
                b: linear.weight + columns.lowerBound * k, ldb: k, transposeB: true,
                c: output + columns.lowerBound, ldc: n)
            after(columns)
        }
    }

    /// One encoder layer, in place on `workspace.hidden`.
    func encode(_ layer: BertModel.Layer) {
        let width = config.hiddenSize
        let inner = config.intermediateSize
        let hidden = workspace.hidden
        let projection = workspace.projection
        let intermediate = workspace.intermediate
        let tokens = tokens

        // Q, K and V for every token in one product, with their biases.
        let steps = steps
        linear(hidden, layer.qkv, into: workspace.qkv) { columns in
            steps.addBias(workspace.qkv, tokens, columns, 3 * width, layer.qkvBias)
        }
        attention()

        linear(workspace.context, layer.attentionOutput, into: projection)
        addResidualAndNormalize(
            bias: layer.attentionOutputBias, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta)

        linear(hidden, layer.intermediate, into: intermediate) { columns in
            steps.addBiasGELU(intermediate, tokens, columns, inner, layer.intermediateBias)
        }
        linear(intermediate, layer.output, into: projection)
        addResidualAndNormalize(bias: layer.outputBias, gamma: layer.outputNormGamma, beta: layer.outputNormBeta)
    }

    /// `hidden = LayerNorm(projection + bias + hidden)`, split by rows.
    func addResidualAndNormalize(bias: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>) {
        let width = config.hiddenSize
        rows { range in
            let start = range.lowerBound * width
            layerNorm(
                workspace.projection + start, bias: bias, residual: workspace.hidden + start,
                gamma: gamma, beta: beta, output: workspace.hidden + start, rows: range.count)
        }
    }

    /// `output = LayerNorm(input + bias + residual)` for `rows` rows of the hidden width.
    func layerNorm(
        _ input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, rows: Int
    ) {
        steps.layerNorm(input, bias, residual, gamma, beta, config.layerNormEpsilon, output, rows, config.hiddenSize)
    }

    /// Scaled dot-product attention per sequence and head, `softmax(Q·Kᵀ/√d)·V`, into
    /// `workspace.context`; the heads are split between workers.
    func attention() {
        let width = config.hiddenSize
        let headSize = config.headSize
        let stride = 3 * width
        let scale = 1 / Float(headSize).squareRoot()
        let qkv = workspace.qkv
        let context = workspace.context
        let steps = steps
        parallel { part in
            let scores = workspace.scores(for: part)
            for head in share(part, of: config.headCount, step: 1) {
                for (offset, length) in spans {
                    let query = qkv + offset * stride + head * headSize
                    BLAS.gemm(
                        m: length, n: length, k: headSize, alpha: scale, a: query, lda: stride,
                        b: query + width, ldb: stride, transposeB: true, c: scores, ldc: length)
                    steps.softmaxRows(scores, length, length)
                    BLAS.gemm(
                        m: length, n: headSize, k: length, a: scores, lda: length,
                        b: query + 2 * width, ldb: stride, transposeB: false,
                        c: context + offset * width + head * headSize, ldc: width)
                }
            }
        }
    }
}

/// ``VectorMath``'s per-layer steps, chosen once per pass: the portable build, compiled into this
/// module for any x86-64, or the AVX-512 build in EncoderKernels (only where the processor has it).
struct ElementwiseSteps: Sendable {
    /// `(matrix, rows, columns, stride, bias)`: ``VectorMath/addBias(_:rows:columns:stride:bias:)``.
    let addBias: @Sendable (UnsafeMutablePointer<Float>, Int, Range<Int>, Int, UnsafePointer<Float>) -> Void
    /// The same arguments: ``VectorMath/addBiasGELU(_:rows:columns:stride:bias:)``.
    let addBiasGELU: @Sendable (UnsafeMutablePointer<Float>, Int, Range<Int>, Int, UnsafePointer<Float>) -> Void
    /// `(input, bias, residual, gamma, beta, epsilon, output, rows, columns)`:
    /// ``VectorMath/addBiasResidualLayerNorm(_:bias:residual:gamma:beta:epsilon:output:rows:columns:)``.
    let layerNorm: @Sendable (
        UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>, UnsafePointer<Float>,
        Float, UnsafeMutablePointer<Float>, Int, Int
    ) -> Void
    /// `(matrix, rows, columns)`: ``VectorMath/softmaxRows(_:rows:columns:)``.
    let softmaxRows: @Sendable (UnsafeMutablePointer<Float>, Int, Int) -> Void

    static let portable = ElementwiseSteps(
        addBias: VectorMath.addBias, addBiasGELU: VectorMath.addBiasGELU,
        layerNorm: VectorMath.addBiasResidualLayerNorm, softmaxRows: VectorMath.softmaxRows)
    static let avx512 = ElementwiseSteps(
        addBias: VectorMathAVX512.addBias, addBiasGELU: VectorMathAVX512.addBiasGELU,
        layerNorm: VectorMathAVX512.addBiasResidualLayerNorm, softmaxRows: VectorMathAVX512.softmaxRows)
}

/// Lets `Pass.parallel` hand its non-`Sendable` body to `concurrentPerform`, which runs the parts
/// on other threads but returns only once all have finished; the parts touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
