import Dispatch
import EncoderKernels

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
            VectorMath.addBiasResidualLayerNorm(
                workspace.hidden + range.lowerBound * width, bias: nil, residual: nil,
                gamma: embeddingNormGamma, beta: embeddingNormBeta, epsilon: configuration.layerNormEpsilon,
                output: workspace.hidden + range.lowerBound * width, rows: range.count, columns: width)
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

    /// Worker `part`'s share of `0..<total`, in multiples of `step` where possible.
    func share(_ part: Int, of total: Int, step: Int) -> Range<Int> {
        let chunks = (total + step - 1) / step
        let lower = min(total, chunks * part / workers * step)
        let upper = part == workers - 1 ? total : min(total, chunks * (part + 1) / workers * step)
        return lower..<upper
    }

    /// Runs `body` on each worker's share of the token rows.
    func rows(_ body: (Range<Int>) -> Void) {
        parallel { part in
            let range = share(part, of: tokens, step: 1)
            if !range.isEmpty { body(range) }
        }
    }

    /// `output[tokens × n] = input[tokens × k] · weightᵀ`, split by output columns; `after` runs on
    /// each worker's columns once its product is done.
    func linear(
        _ input: UnsafePointer<Float>, _ linear: BertModel.Linear, into output: UnsafeMutablePointer<Float>,
        after: (Range<Int>) -> Void = { _ in }
    ) {
        let (n, k) = (linear.outputs, linear.inputs)
        if let packed = linear.packed {
            let width = PackedProduct.panelWidth
            parallel { part in
                let panels = share(part, of: n / width, step: 1)
                guard !panels.isEmpty else { return }
                PackedProduct.multiply(
                    a: input, lda: k, m: tokens, k: k, packed: packed, panels: panels, c: output, ldc: n)
                after(panels.lowerBound * width..<panels.upperBound * width)
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
        linear(hidden, layer.qkv, into: workspace.qkv) { columns in
            VectorMath.addBias(
                workspace.qkv, rows: tokens, columns: columns, stride: 3 * width, bias: layer.qkvBias)
        }
        attention()

        linear(workspace.context, layer.attentionOutput, into: projection)
        addResidualAndNormalize(
            bias: layer.attentionOutputBias, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta)

        linear(hidden, layer.intermediate, into: intermediate) { columns in
            VectorMath.addBiasGELU(
                intermediate, rows: tokens, columns: columns, stride: inner, bias: layer.intermediateBias)
        }
        linear(intermediate, layer.output, into: projection)
        addResidualAndNormalize(bias: layer.outputBias, gamma: layer.outputNormGamma, beta: layer.outputNormBeta)
    }

    /// `hidden = LayerNorm(projection + bias + hidden)`, split by rows.
    func addResidualAndNormalize(bias: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>) {
        let width = config.hiddenSize
        rows { range in
            let start = range.lowerBound * width
            VectorMath.addBiasResidualLayerNorm(
                workspace.projection + start, bias: bias, residual: workspace.hidden + start,
                gamma: gamma, beta: beta, epsilon: config.layerNormEpsilon,
                output: workspace.hidden + start, rows: range.count, columns: width)
        }
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
        parallel { part in
            let scores = workspace.scores(for: part)
            for head in share(part, of: config.headCount, step: 1) {
                for (offset, length) in spans {
                    let query = qkv + offset * stride + head * headSize
                    BLAS.gemm(
                        m: length, n: length, k: headSize, alpha: scale, a: query, lda: stride,
                        b: query + width, ldb: stride, transposeB: true, c: scores, ldc: length)
                    VectorMath.softmaxRows(scores, rows: length, columns: length)
                    BLAS.gemm(
                        m: length, n: headSize, k: length, a: scores, lda: length,
                        b: query + 2 * width, ldb: stride, transposeB: false,
                        c: context + offset * width + head * headSize, ldc: width)
                }
            }
        }
    }
}

/// Lets `Pass.parallel` hand its non-`Sendable` body to `concurrentPerform`, which runs the parts
/// on other threads but returns only once all have finished; the parts touch disjoint memory.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
