import Foundation

/// The weights of a BERT encoder, read from a memory-mapped safetensors file.
///
/// Most tensors are used in place in the mapping; only each layer's query, key and value weights
/// are copied once into one fused matrix, so that a single matrix product computes all three.
final class BertModel: @unchecked Sendable {
    // @unchecked: every pointer is immutable after init and points into `file` or `fused`,
    // which live as long as this object.

    struct Layer {
        /// Query, key and value weights stacked: (3·hidden)×hidden, and their biases.
        let qkvWeight: UnsafePointer<Float>
        let qkvBias: UnsafePointer<Float>
        let attentionOutputWeight: UnsafePointer<Float>
        let attentionOutputBias: UnsafePointer<Float>
        let attentionNormGamma: UnsafePointer<Float>
        let attentionNormBeta: UnsafePointer<Float>
        let intermediateWeight: UnsafePointer<Float>
        let intermediateBias: UnsafePointer<Float>
        let outputWeight: UnsafePointer<Float>
        let outputBias: UnsafePointer<Float>
        let outputNormGamma: UnsafePointer<Float>
        let outputNormBeta: UnsafePointer<Float>
    }

    let configuration: BertConfiguration
    let wordEmbeddings: UnsafePointer<Float>
    let positionEmbeddings: UnsafePointer<Float>
    let tokenTypeEmbedding: UnsafePointer<Float>
    let embeddingNormGamma: UnsafePointer<Float>
    let embeddingNormBeta: UnsafePointer<Float>
    let layers: [Layer]

    private let file: SafeTensors
    private let fused: UnsafeMutablePointer<Float>

    /// Reads the tensors of `configuration` from `file`, checking every name, dtype and shape.
    /// - Throws: ``MemoryGraphError`` `.modelCorrupt`, naming the file and the tensor.
    init(file: SafeTensors, configuration: BertConfiguration) throws {
        self.file = file
        self.configuration = configuration
        let hidden = configuration.hiddenSize
        let inner = configuration.intermediateSize
        // Some exports prefix every tensor with "bert.".
        let prefix = file.entries["embeddings.word_embeddings.weight"] == nil
            && file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func tensor(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
            try file.floats(prefix + name, shape: shape).baseAddress!
        }
        wordEmbeddings = try tensor(
            "embeddings.word_embeddings.weight", [configuration.vocabularySize, hidden])
        positionEmbeddings = try tensor(
            "embeddings.position_embeddings.weight", [configuration.maxPositions, hidden])
        tokenTypeEmbedding = try tensor(
            "embeddings.token_type_embeddings.weight", [configuration.typeVocabularySize, hidden])
        embeddingNormGamma = try tensor("embeddings.LayerNorm.weight", [hidden])
        embeddingNormBeta = try tensor("embeddings.LayerNorm.bias", [hidden])

        let fusedPerLayer = 3 * hidden * hidden + 3 * hidden
        fused = .allocate(capacity: configuration.layerCount * fusedPerLayer)
        var layers: [Layer] = []
        do {
            for index in 0..<configuration.layerCount {
                let name = "encoder.layer.\(index)."
                let qkv = fused + index * fusedPerLayer
                let qkvBias = qkv + 3 * hidden * hidden
                for (part, role) in ["query", "key", "value"].enumerated() {
                    let weight = try tensor(name + "attention.self.\(role).weight", [hidden, hidden])
                    let bias = try tensor(name + "attention.self.\(role).bias", [hidden])
                    (qkv + part * hidden * hidden).update(from: weight, count: hidden * hidden)
                    (qkvBias + part * hidden).update(from: bias, count: hidden)
                }
                layers.append(Layer(
                    qkvWeight: UnsafePointer(qkv),
                    qkvBias: UnsafePointer(qkvBias),
                    attentionOutputWeight: try tensor(name + "attention.output.dense.weight", [hidden, hidden]),
                    attentionOutputBias: try tensor(name + "attention.output.dense.bias", [hidden]),
                    attentionNormGamma: try tensor(name + "attention.output.LayerNorm.weight", [hidden]),
                    attentionNormBeta: try tensor(name + "attention.output.LayerNorm.bias", [hidden]),
                    intermediateWeight: try tensor(name + "intermediate.dense.weight", [inner, hidden]),
                    intermediateBias: try tensor(name + "intermediate.dense.bias", [inner]),
                    outputWeight: try tensor(name + "output.dense.weight", [hidden, inner]),
                    outputBias: try tensor(name + "output.dense.bias", [hidden]),
                    outputNormGamma: try tensor(name + "output.LayerNorm.weight", [hidden]),
                    outputNormBeta: try tensor(name + "output.LayerNorm.bias", [hidden])))
            }
        } catch {
            fused.deallocate()
            throw error
        }
        self.layers = layers
    }

    deinit {
        fused.deallocate()
    }
}
