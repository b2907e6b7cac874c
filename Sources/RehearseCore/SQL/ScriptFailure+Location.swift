/// Where a script failed, built the same way by every engine: the file is
/// the script's display path, the line and column those of a byte offset.
extension ScriptFailure {
    /// A failure at `byteOffset` of `script` (the statement's start, or the
    /// engine's error position inside it).
    package init(in script: SQLScript, atByteOffset byteOffset: Int, statement: String, engineMessage: String) {
        let loc = script.location(ofByteOffset: byteOffset)
        self.init(file: script.displayPath, line: loc.line, column: loc.column, statement: statement, engineMessage: engineMessage)
    }

    /// A failure of `script` that no statement position locates (line 0, column 0).
    package init(unlocatedIn script: SQLScript, statement: String = "", engineMessage: String) {
        self.init(file: script.displayPath, line: 0, column: 0, statement: statement, engineMessage: engineMessage)
    }
}
