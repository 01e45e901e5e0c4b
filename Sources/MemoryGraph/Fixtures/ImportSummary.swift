import Foundation

/// What an import wrote (or, for a dry run, would have written).
public struct ImportSummary: Sendable, Equatable, Codable {
    /// Nodes created.
    public var inserted: Int
    /// Node records that went into a node that already existed: stored before, or earlier in the
    /// same import (an entity or key given twice).
    public var merged: Int
    /// Distinct relationships written, new or updated.
    public var relationships: Int
    /// Of ``relationships``, the new ones.
    public var relationshipsInserted: Int
    /// LOOKUP entries (kv_store) that point at the imported nodes once the import is done.
    public var kvEntries: Int
    /// Embedding jobs the import queued (fields whose text is new or changed).
    public var embeddingsQueued: Int
    /// True when nothing was kept.
    public var dryRun: Bool

    /// Creates a summary.
    public init(
        inserted: Int, merged: Int, relationships: Int, relationshipsInserted: Int, kvEntries: Int, embeddingsQueued: Int,
        dryRun: Bool
    ) {
        self.inserted = inserted
        self.merged = merged
        self.relationships = relationships
        self.relationshipsInserted = relationshipsInserted
        self.kvEntries = kvEntries
        self.embeddingsQueued = embeddingsQueued
        self.dryRun = dryRun
    }
}
