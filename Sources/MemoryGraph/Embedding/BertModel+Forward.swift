/// The forward pass: embeddings, the encoder layers, mean pooling and L2 normalisation.
///
/// A batch is packed rather than padded: the token rows of all its sequences lie back to back,
/// every matrix product runs over all of them at once, and attention runs per sequence and head
/// over that sequence's own tokens. No padding token enters any product, so the attention mask of
/// a padded batch is not needed and a vector does not depend on what it was batched with.
extension BertModel {
    /// Embeds each token-id sequence (already `[CLS] … [SEP]`) into one unit-length vector.
    func forward(_ sequences: [[Int32]], workspace: BertWorkspace) -> [[Float]] {
        let config = configuration
        let width = config.hiddenSize
        let tokens = sequences.reduce(0) { $0 + $1.count }
        guard tokens > 0 else { return sequences.map { _ in [Float](repeating: 0, count: width) } }
        workspace.reserve(tokens: tokens)
        var offsets: [Int] = []
        var offset = 0
        for sequence in sequences {
            offsets.append(offset)
            offset += sequence.count
        }

        embed(sequences, into: workspace.hidden)
        for layer in layers {
            encode(layer, sequences: sequences, offsets: offsets, tokens: tokens, workspace: workspace)
        }
        return zip(sequences, offsets).map { sequence, offset in
            meanPooledUnitVector(workspace.hidden + offset * width, rows: sequence.count)
        }
    }

    /// Word + position + token-type (0) embeddings, then LayerNorm.
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
        let tokens = sequences.reduce(0) { $0 + $1.count }
        VectorMath.addBiasResidualLayerNorm(
            hidden, bias: nil, residual: nil, gamma: embeddingNormGamma, beta: embeddingNormBeta,
            epsilon: configuration.layerNormEpsilon, output: hidden, rows: tokens, columns: width)
    }

    /// One encoder layer, in place on `workspace.hidden`.
    private func encode(
        _ layer: Layer, sequences: [[Int32]], offsets: [Int], tokens: Int, workspace: BertWorkspace
    ) {
        let config = configuration
        let width = config.hiddenSize
        let inner = config.intermediateSize
        let hidden = workspace.hidden
        let qkv = workspace.qkv
        let context = workspace.context
        let projection = workspace.projection
        let intermediate = workspace.intermediate

        // Q, K and V for every token in one product, then their biases.
        BLAS.gemm(
            m: tokens, n: 3 * width, k: width, a: hidden, lda: width,
            b: layer.qkvWeight, ldb: width, transposeB: true, c: qkv, ldc: 3 * width)
        VectorMath.addBias(qkv, rows: tokens, columns: 3 * width, bias: layer.qkvBias)

        attention(sequences: sequences, offsets: offsets, qkv: qkv, context: context, scores: workspace.scores)

        BLAS.gemm(
            m: tokens, n: width, k: width, a: context, lda: width,
            b: layer.attentionOutputWeight, ldb: width, transposeB: true, c: projection, ldc: width)
        VectorMath.addBiasResidualLayerNorm(
            projection, bias: layer.attentionOutputBias, residual: hidden,
            gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta,
            epsilon: config.layerNormEpsilon, output: hidden, rows: tokens, columns: width)

        BLAS.gemm(
            m: tokens, n: inner, k: width, a: hidden, lda: width,
            b: layer.intermediateWeight, ldb: width, transposeB: true, c: intermediate, ldc: inner)
        VectorMath.addBiasGELU(intermediate, rows: tokens, columns: inner, bias: layer.intermediateBias)

        BLAS.gemm(
            m: tokens, n: width, k: inner, a: intermediate, lda: inner,
            b: layer.outputWeight, ldb: inner, transposeB: true, c: projection, ldc: width)
        VectorMath.addBiasResidualLayerNorm(
            projection, bias: layer.outputBias, residual: hidden,
            gamma: layer.outputNormGamma, beta: layer.outputNormBeta,
            epsilon: config.layerNormEpsilon, output: hidden, rows: tokens, columns: width)
    }

    /// Scaled dot-product attention per sequence and head: `softmax(Q·Kᵀ/√d)·V` into `context`.
    private func attention(
        sequences: [[Int32]], offsets: [Int], qkv: UnsafeMutablePointer<Float>,
        context: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>
    ) {
        let width = configuration.hiddenSize
        let headSize = configuration.headSize
        let stride = 3 * width
        let scale = 1 / Float(headSize).squareRoot()
        for (sequence, offset) in zip(sequences, offsets) {
            let length = sequence.count
            let rows = qkv + offset * stride
            for head in 0..<configuration.headCount {
                let query = rows + head * headSize
                let key = query + width
                let value = query + 2 * width
                BLAS.gemm(
                    m: length, n: length, k: headSize, alpha: scale, a: query, lda: stride,
                    b: key, ldb: stride, transposeB: true, c: scores, ldc: length)
                VectorMath.softmaxRows(scores, rows: length, columns: length)
                BLAS.gemm(
                    m: length, n: headSize, k: length, a: scores, lda: length,
                    b: value, ldb: stride, transposeB: false,
                    c: context + offset * width + head * headSize, ldc: width)
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
