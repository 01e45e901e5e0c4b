import Foundation
import MemoryGraph

/// The shape of a BERT encoder, read from the model's `config.json`.
struct BertConfiguration: Sendable, Equatable, Decodable {
    var hiddenSize: Int
    var layerCount: Int
    var headCount: Int
    var intermediateSize: Int
    var maxPositions: Int
    var vocabularySize: Int
    var typeVocabularySize: Int
    var layerNormEpsilon: Float
    var hiddenActivation: String

    var headSize: Int { hiddenSize / headCount }

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case maxPositions = "max_position_embeddings"
        case vocabularySize = "vocab_size"
        case typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
        case hiddenActivation = "hidden_act"
    }

    /// all-MiniLM-L6-v2.
    static let miniLM = BertConfiguration(
        hiddenSize: 384, layerCount: 6, headCount: 12, intermediateSize: 1536, maxPositions: 512,
        vocabularySize: 30522, typeVocabularySize: 2, layerNormEpsilon: 1e-12, hiddenActivation: "gelu")

    /// Reads and checks `config.json`.
    /// - Throws: ``MemoryGraphError`` `.modelUnavailable` or `.modelCorrupt`, naming the file.
    init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MemoryGraphError(
                code: .modelUnavailable, message: "cannot read model configuration \(url.path)",
                operation: "load model")
        }
        do {
            self = try JSONDecoder().decode(Self.self, from: data)
        } catch {
            throw MemoryGraphError(
                code: .modelCorrupt, message: "model configuration \(url.path) is not a BERT config.json",
                operation: "load model")
        }
        guard hiddenActivation == "gelu", hiddenSize % headCount == 0, hiddenSize % 8 == 0,
            intermediateSize % 8 == 0, [hiddenSize, layerCount, headCount, maxPositions].allSatisfy({ $0 > 0 })
        else {
            throw MemoryGraphError(
                code: .modelCorrupt,
                message: "model configuration \(url.path) describes an encoder this build cannot run",
                operation: "load model")
        }
    }

    init(
        hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int, maxPositions: Int,
        vocabularySize: Int, typeVocabularySize: Int, layerNormEpsilon: Float, hiddenActivation: String
    ) {
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.vocabularySize = vocabularySize
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.hiddenActivation = hiddenActivation
    }
}
