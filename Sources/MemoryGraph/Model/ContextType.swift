/// What kind of memory a node holds (seed 004's seven context types).
public enum ContextType: String, CaseIterable, Sendable, Codable, Hashable {
    case searchResult = "search_result"
    case userSelection = "user_selection"
    case toolOutput = "tool_output"
    case domainEntity = "domain_entity"
    case completedAction = "completed_action"
    case conversationFact = "conversation_fact"
    /// Transient working state; kept in the SQLite session store, never in Postgres.
    case temporaryState = "temporary_state"
}

/// The type of a directed relationship between two nodes of one user.
public enum RelationshipType: String, CaseIterable, Sendable, Codable, Hashable {
    case ledTo = "led_to"
    case relatesTo = "relates_to"
    case dependsOn = "depends_on"
    case produces
    case belongsTo = "belongs_to"
}

/// Which edges of a node to follow.
public enum Direction: String, CaseIterable, Sendable, Codable, Hashable {
    case outgoing = "out"
    case incoming = "in"
    case both
}
