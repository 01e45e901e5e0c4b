import EncoderKernels
import Foundation
import MemoryGraph

/// The weights of a BERT encoder, read from a memory-mapped safetensors file.
///
/// Most tensors are used in place in the mapping; only each layer's query, key and value weights
/// are copied once into one fused matrix, so that a single matrix product computes all three.
/// With the ``EncoderKernel/avx512`` or ``EncoderKernel/avx512BF16`` kernel every linear weight is
/// also packed once for it.
final class BertModel: @unchecked Sendable {
    // @unchecked: every pointer is immutable after init and points into `file`, `fused` or
    // `packedStorage`, which live as long as this object.

    /// A `Linear` weight, outputs×inputs as PyTorch stores it, and its packed copy if any.
    struct Linear {
        let weight: UnsafePointer<Float>
        let outputs: Int
        let inputs: Int
        /// The weight in `PackedProduct`'s panel layout, when the model runs that kernel.
        var packed: UnsafePointer<PackedProduct.Weight>? = nil
        /// The weight in `PackedProductBF16`'s panel layout, when the model runs that kernel.
        var packedBF16: UnsafePointer<UInt16>? = nil
    }

    struct Layer {
        /// Query, key and value weights stacked: (3·hidden)×hidden, and their biases.
        var qkv: Linear
        let qkvBias: UnsafePointer<Float>
        var attentionOutput: Linear
        let attentionOutputBias: UnsafePointer<Float>
        let attentionNormGamma: UnsafePointer<Float>
        let attentionNormBeta: UnsafePointer<Float>
        var intermediate: Linear
        let intermediateBias: UnsafePointer<Float>
        var output: Linear
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
    /// The kernel the linear layers run on: `avx512` or `avx512-bf16` only if it was asked for and
    /// every weight's output count is a multiple of the kernel's panel width (and, for bfloat16,
    /// its input count even).
    let kernel: EncoderKernel

    private let file: SafeTensors
    private let fused: UnsafeMutablePointer<Float>
    private let packedStorage: UnsafeMutableRawPointer?

    /// Reads the tensors of `configuration` from `file`, checking every name, dtype and shape.
    /// - Throws: ``MemoryGraphError`` `.modelCorrupt`, naming the file and the tensor.
    init(file: SafeTensors, configuration: BertConfiguration, kernel: EncoderKernel = .blas) throws {
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
                    qkv: Linear(weight: UnsafePointer(qkv), outputs: 3 * hidden, inputs: hidden),
                    qkvBias: UnsafePointer(qkvBias),
                    attentionOutput: Linear(
                        weight: try tensor(name + "attention.output.dense.weight", [hidden, hidden]),
                        outputs: hidden, inputs: hidden),
                    attentionOutputBias: try tensor(name + "attention.output.dense.bias", [hidden]),
                    attentionNormGamma: try tensor(name + "attention.output.LayerNorm.weight", [hidden]),
                    attentionNormBeta: try tensor(name + "attention.output.LayerNorm.bias", [hidden]),
                    intermediate: Linear(
                        weight: try tensor(name + "intermediate.dense.weight", [inner, hidden]),
                        outputs: inner, inputs: hidden),
                    intermediateBias: try tensor(name + "intermediate.dense.bias", [inner]),
                    output: Linear(
                        weight: try tensor(name + "output.dense.weight", [hidden, inner]), outputs: hidden, inputs: inner),
                    outputBias: try tensor(name + "output.dense.bias", [hidden]),
                    outputNormGamma: try tensor(name + "output.LayerNorm.weight", [hidden]),
                    outputNormBeta: try tensor(name + "output.LayerNorm.bias", [hidden])))
            }
        } catch {
            fused.deallocate()
            throw error
        }
        let linears: [WritableKeyPath<Layer, Linear>] = [\.qkv, \.attentionOutput, \.intermediate, \.output]
        func size(_ linear: Linear) -> Int { linear.outputs * linear.inputs }
        let packable = layers.allSatisfy { layer in
            linears.allSatisfy {
                layer[keyPath: $0].outputs % PackedProduct.panelWidth == 0
                    && (kernel != .avx512BF16 || layer[keyPath: $0].inputs % 2 == 0)
            }
        }
        guard kernel.packsWeights, packable else {
            self.kernel = .blas
            packedStorage = nil
            self.layers = layers
            return
        }
        // One block for all packed weights, two bytes each (half or bfloat16). The originals are
        // not read again after this. Cache-line aligned, so that no load of a panel row straddles
        // two lines.
        let total = layers.reduce(0) { sum, layer in sum + linears.reduce(0) { $0 + size(layer[keyPath: $1]) } }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: total * 2, alignment: 64)
        var offset = 0
        for index in layers.indices {
            for path in linears {
                let linear = layers[index][keyPath: path]
                let count = size(linear)
                if kernel == .avx512BF16 {
                    let target = (storage + 2 * offset).bindMemory(to: UInt16.self, capacity: count)
                    PackedProductBF16.pack(weight: linear.weight, n: linear.outputs, k: linear.inputs, into: target)
                    layers[index][keyPath: path].packedBF16 = UnsafePointer(target)
                } else {
                    let target = (storage + 2 * offset).bindMemory(to: PackedProduct.Weight.self, capacity: count)
                    PackedProduct.pack(weight: linear.weight, n: linear.outputs, k: linear.inputs, into: target)
                    layers[index][keyPath: path].packed = UnsafePointer(target)
                }
                offset += count
            }
        }
        self.kernel = kernel
        packedStorage = storage
        self.layers = layers
    }

    deinit {
        fused.deallocate()
        packedStorage?.deallocate()
    }
}
