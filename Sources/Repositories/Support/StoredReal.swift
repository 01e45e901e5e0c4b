extension Double {
    /// A `real` (float4) column's value, read as `float8`, with the digits it was stored with:
    /// Postgres widens the float4 nearest 0.6 to 0.6000000238418579, which answers and exports then
    /// showed. The shortest decimal that reads back as the same float4 is what the user wrote.
    init(storedReal value: Double) {
        self = Double(Float(value).description) ?? value
    }
}
