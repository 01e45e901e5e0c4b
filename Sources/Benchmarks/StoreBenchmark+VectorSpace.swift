import MemoryGraph

extension StoreBenchmark {
    /// The noise users' node vectors: stand-ins near real MiniLM embeddings, so that they crowd the
    /// HNSW index where the measured user's vectors are (the measured user's own vectors are the
    /// embeddings of its summaries). Embedding the noise users' summaries too would double the
    /// model's minutes; instead each node's vector is the embedding of a sentence made of what its
    /// summary says apart from the surname (a contact's first name, role and company, 2,450
    /// sentences; a tool output's row count, 13), plus noise of about half its length, so no two
    /// nodes share a vector. They are harder for HNSW than real summaries: ~20 copies of each
    /// sentence differ only by noise in all 384 dimensions.
    struct VectorSpace: Sendable {
        let contacts: [[Float]]
        let tools: [[Float]]

        static func make(_ embedder: any Embedder) async throws -> VectorSpace {
            var sentences: [String] = []
            for first in firstNames {
                for role in roles {
                    for company in companies { sentences.append("\(first), \(role) at \(company)") }
                }
            }
            let contacts = try await embedder.embed(sentences)
            let tools = try await embedder.embed((0..<13).map { "Tool run returned \($0) rows" })
            return VectorSpace(contacts: contacts, tools: tools)
        }

        /// The vector of node `i` (as ``node(_:)`` makes it), with noise drawn from `seed`.
        func vector(node i: Int, seed: Int) -> [Float] {
            let base: [Float]
            if i % 2 == 0 {
                let first = (i / 2) % firstNames.count, role = i % roles.count, company = (i / 3) % companies.count
                base = contacts[(first * roles.count + role) * companies.count + company]
            } else {
                base = tools[i % 13]
            }
            var noise = SplitMix64(seed: UInt64(seed) &* 31 &+ 1)
            // Uniform noise of 0.045 per dimension: length about 0.5 over 384 dimensions.
            var v = base.map { $0 + 0.045 * Float(noise.unit()) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in v.indices { v[j] /= norm }
            return v
        }
    }
}
