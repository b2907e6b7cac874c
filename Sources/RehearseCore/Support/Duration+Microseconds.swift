/// Durations as evidence records them: whole microseconds.
extension Duration {
    package var microseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000 + atto / 1_000_000_000_000
    }
}
