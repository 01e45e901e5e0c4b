import Foundation
import Testing

@testable import Encoder
import MemoryGraph

extension EmbeddingTests {
    @Suite("WordPiece tokenizer", .timeLimit(.minutes(5)))
    struct WordPieceTokenizerTests {
        /// A tiny vocabulary: ids are line numbers.
        static let vocabulary = """
            [PAD]
            [UNK]
            [CLS]
            [SEP]
            [MASK]
            un
            ##aff
            ##able
            hello
            ,
            !
            cafe
            world
            a
            ##a
            """

        static func tokenizer(maxLength: Int = 256) throws -> WordPieceTokenizer {
            try WordPieceTokenizer(vocabulary: vocabulary, source: "test vocab", maxLength: maxLength)
        }

        @Test("greedy longest match with ## continuations")
        func greedyLongestMatch() throws {
            #expect(try Self.tokenizer().encode("unaffable") == [2, 5, 6, 7, 3])
        }

        @Test("lower-cases, strips accents and isolates punctuation")
        func normalises() throws {
            #expect(try Self.tokenizer().encode("HELLO, Café!") == [2, 8, 9, 11, 10, 3])
        }

        @Test("a word with an unknown piece is one [UNK]")
        func unknownWord() throws {
            #expect(try Self.tokenizer().encode("hello zzz unaffablex") == [2, 8, 1, 1, 3])
        }

        @Test("a word longer than 100 characters is [UNK]")
        func longWord() throws {
            let tokenizer = try Self.tokenizer()
            #expect(tokenizer.encode(String(repeating: "a", count: 100)) == [2, 13] + Array(repeating: 14, count: 99) + [3])
            #expect(tokenizer.encode(String(repeating: "a", count: 101)) == [2, 1, 3])
        }

        @Test("literal special tokens are recognised in raw text, case-sensitively")
        func specialTokens() throws {
            let tokenizer = try Self.tokenizer()
            #expect(tokenizer.encode("[CLS]") == [2, 2, 3])
            #expect(tokenizer.encode("hello[MASK]world [UNK]") == [2, 8, 4, 12, 1, 3])
            #expect(tokenizer.encode("[cls]") == [2, 1, 1, 1, 3])
        }

        @Test("control characters are dropped and whitespace separates")
        func cleaning() throws {
            #expect(try Self.tokenizer().encode("hel\u{0}lo\u{200B}\tworld\u{00A0}a") == [2, 8, 12, 13, 3])
        }

        @Test("truncates to maxLength tokens including [CLS] and [SEP]")
        func truncation() throws {
            let ids = try Self.tokenizer(maxLength: 5).encode("hello world hello world hello")
            #expect(ids == [2, 8, 12, 8, 3])
        }

        @Test("the empty string is [CLS] [SEP]")
        func empty() throws {
            #expect(try Self.tokenizer().encode("") == [2, 3])
        }

        @Test("a vocabulary without [UNK] is rejected, naming the file")
        func missingSpecial() throws {
            let error = try #require(throws: MemoryGraphError.self) {
                try WordPieceTokenizer(vocabulary: "[CLS]\n[SEP]\nhello", source: "/tmp/vocab.txt")
            }
            #expect(error.code == .modelCorrupt)
            #expect(error.description.contains("/tmp/vocab.txt"))
        }

        @Test("token ids equal sentence-transformers' for every fixture sentence", arguments: ReferenceFixture.cases)
        func matchesReference(_ reference: ReferenceFixture.Case) throws {
            let embedder = try SharedModel.require()
            #expect(embedder.tokenIDs(reference.text) == reference.ids)
        }
    }
}
