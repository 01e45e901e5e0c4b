/// What a stored JSON document costs and whether Postgres can hold it: its size, its nesting, NULs.
public struct JSONShape: Sendable, Equatable {
    /// About the size of the document's JSON text: string and key bytes, plus a few for each value.
    public var bytes = 0
    /// Levels of nesting: a scalar is 0, `{}` is 1, `{"a": []}` is 2.
    public var depth = 0
    /// Whether a string (value or key) holds U+0000, which Postgres text and jsonb refuse.
    public var hasNUL = false
}

extension JSONValue {
    /// How the value's type reads in a message ("a string", "an array"); never the value itself,
    /// which may be private.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The document's ``JSONShape``, in one walk without building its text.
    public var shape: JSONShape {
        var shape = JSONShape()
        shape.depth = walk(into: &shape)
        return shape
    }

    private func walk(into shape: inout JSONShape) -> Int {
        switch self {
        case .null, .bool: shape.bytes += 5
            return 0
        case .number: shape.bytes += 8
            return 0
        case .string(let text):
            shape.bytes += text.utf8.count + 2
            if text.utf8.contains(0) { shape.hasNUL = true }
            return 0
        case .array(let values):
            shape.bytes += 2
            var deepest = 0
            for value in values {
                shape.bytes += 1
                deepest = max(deepest, value.walk(into: &shape))
            }
            return deepest + 1
        case .object(let members):
            shape.bytes += 2
            var deepest = 0
            for (key, value) in members {
                shape.bytes += key.utf8.count + 4
                if key.utf8.contains(0) { shape.hasNUL = true }
                deepest = max(deepest, value.walk(into: &shape))
            }
            return deepest + 1
        }
    }
}
