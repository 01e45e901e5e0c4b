import Foundation
import MemoryGraph

/// The BERT WordPiece tokenizer of all-MiniLM-L6-v2, matching the Hugging Face tokenizer that
/// sentence-transformers runs (`BertNormalizer`, `BertPreTokenizer`, `WordPiece`, then
/// `[CLS] … [SEP]`).
///
/// The literal special tokens (`[CLS]`, `[SEP]`, `[UNK]`, `[PAD]`, `[MASK]`) are matched in the raw
/// text, case-sensitively and even inside words, as the reference does.
struct WordPieceTokenizer: Sendable {
    /// Token ids by token text, from `vocab.txt` (line number = id).
    let vocabulary: [String: Int32]
    /// The longest sequence produced, special tokens included (sentence-transformers' max_seq_length).
    let maxLength: Int
    /// Words longer than this many Unicode scalars become `[UNK]`.
    let maxWordLength = 100

    let clsID: Int32
    let sepID: Int32
    let unkID: Int32
    /// Special tokens that are recognised in raw text, with their ids.
    let specialTokens: [(scalars: [Unicode.Scalar], id: Int32)]

    /// Reads `vocab.txt`.
    /// - Throws: ``MemoryGraphError`` `.modelUnavailable` if it cannot be read, `.modelCorrupt`
    ///   if it lacks a special token.
    init(vocabularyURL url: URL, maxLength: Int = 256) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MemoryGraphError(
                code: .modelUnavailable, message: "cannot read vocabulary file \(url.path)",
                operation: "load model")
        }
        try self.init(vocabulary: String(decoding: data, as: UTF8.self), source: url.path, maxLength: maxLength)
    }

    /// Builds the tokenizer from the text of a `vocab.txt`; `source` names it in errors.
    init(vocabulary text: String, source: String, maxLength: Int = 256) throws {
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(32_000)
        var id: Int32 = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if !token.isEmpty, vocabulary[token] == nil { vocabulary[token] = id }
            id += 1
        }
        func required(_ token: String) throws -> Int32 {
            guard let id = vocabulary[token] else {
                throw MemoryGraphError(
                    code: .modelCorrupt, message: "vocabulary file \(source) has no \(token) token",
                    operation: "load model")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.maxLength = max(maxLength, 2)
        clsID = try required("[CLS]")
        sepID = try required("[SEP]")
        unkID = try required("[UNK]")
        specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { token in
            vocabulary[token].map { (Array(token.unicodeScalars), $0) }
        }
    }

    /// The token ids of `text`: `[CLS]`, the word pieces truncated to `maxLength - 2`, `[SEP]`.
    func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [clsID]
        let budget = maxLength - 1
        for segment in splitSpecialTokens(Array(text.unicodeScalars)) {
            if ids.count >= budget { break }
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let scalars):
                for word in Self.preTokenize(Self.normalize(scalars)) {
                    appendWordPieces(of: word, to: &ids)
                    if ids.count >= budget { break }
                }
            }
        }
        if ids.count > budget { ids.removeLast(ids.count - budget) }
        ids.append(sepID)
        return ids
    }

    /// Greedy longest-match-first WordPiece; a word with any unknown piece is one `[UNK]`.
    func appendWordPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
        guard word.count <= maxWordLength else {
            ids.append(unkID)
            return
        }
        var pieces: [Int32] = []
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int32?
            while end > start {
                var piece = start == word.startIndex ? "" : "##"
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                ids.append(unkID)
                return
            }
            pieces.append(found)
            start = end
        }
        ids.append(contentsOf: pieces)
    }

    enum Segment: Equatable {
        case text(ArraySlice<Unicode.Scalar>)
        case special(Int32)
    }

    /// Splits raw text around literal special tokens, leftmost match first.
    func splitSpecialTokens(_ scalars: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        var textStart = 0
        var index = 0
        scan: while index < scalars.count {
            if scalars[index] == "[" {
                for special in specialTokens where scalars[index...].starts(with: special.scalars) {
                    if textStart < index { segments.append(.text(scalars[textStart..<index])) }
                    segments.append(.special(special.id))
                    index += special.scalars.count
                    textStart = index
                    continue scan
                }
            }
            index += 1
        }
        if textStart < scalars.count { segments.append(.text(scalars[textStart...])) }
        return segments
    }
}
