import Foundation
import RehearseCore

/// Follows the SQL text of a dump (not its COPY data) the way the server's
/// lexer does, to hand the secret scan each string constant as the server
/// stores it, wherever it stands (a view, a default, a function body, a
/// comment, an INSERT):
///
/// - `E'…'`: `\b \f \n \r \t`, octal `\o[o[o]]`, hex `\xh[h]`, `\uXXXX`,
///   `\UXXXXXXXX`, and a backslash before any other character;
/// - `U&'…'` [`UESCAPE 'c'`]: `\XXXX`, `\+XXXXXX` (or with `c`), `\\`;
/// - a standard `'…'` holding a backslash also as an `E'…'` would read it
///   (a dump may turn `standard_conforming_strings` off);
/// - `''` in any of them;
/// - constants the server joins: `'a'` `'b'` on the next line, and `'a' || 'b'`;
/// - `$tag$…$tag$` bodies are followed as SQL of their own (a function's
///   body holds the constants it returns).
///
/// It reports a constant only when its decoded value differs from the text
/// as written (the line itself is scanned as written anyway). It never
/// rejects input: text it cannot follow is left to the raw scan.
package struct SQLLiteralDecoder {
    package struct Literal: Equatable {
        package var value: [UInt8]
        /// Byte offset and line where the constant (or the first joined one) starts.
        package var offset: Int
        package var line: Int
    }

    /// `U&"…"` is an identifier, decoded the same way: a table or column
    /// name the server creates from the escapes.
    private enum Kind { case standard, escape, unicode, unicodeIdentifier }
    private enum Mode: Equatable {
        case code
        case lineComment
        case blockComment(Int)
        case identifier
        case string(Kind)
        case dollar([UInt8])
    }

    private var mode = Mode.code
    private var raw: [UInt8] = []
    private var start = (offset: 0, line: 0)
    /// The joined chain: decoded pieces so far, how many, where it began.
    private var chain: [UInt8] = []
    private var chainPieces = 0
    private var chainDiffers = false
    private var chainStart = (offset: 0, line: 0)
    /// After a constant: only white space and `||` keep the chain open.
    private var afterLiteral = false
    private var sawBar = false
    /// A `U&'…'` waiting to see whether `UESCAPE 'c'` follows.
    private var pendingUnicode: (raw: [UInt8], offset: Int, line: Int)?
    private var word: [UInt8] = []
    private var expectEscapeChar = false
    private var inner: [SQLLiteralDecoder] = []
    private let depth: Int
    private var out: [Literal] = []
    package static let maxLiteral = 1 << 20
    package static let maxDepth = 4

    package init() { depth = 0 }
    private init(depth: Int) { self.depth = depth }

    /// One line of SQL text (without its line end) that begins at `offset`
    /// in the scanned text; returns the constants completed on it.
    package mutating func feed(line: [UInt8], offset: Int, number: Int) -> [Literal] {
        feed(line[...], offset: offset, number: number, lineEnd: true)
        defer { out.removeAll() }
        return out
    }

    /// What is still open when the text ends.
    package mutating func finish() -> [Literal] {
        flushPendingUnicode()
        endChain()
        defer { out.removeAll() }
        return out
    }

    private static func isIdent(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || b == 95 || b == 36 || b >= 128
    }

    private mutating func feed(_ t: ArraySlice<UInt8>, offset: Int, number: Int, lineEnd: Bool) {
        var i = t.startIndex
        while i < t.endIndex {
            let b = t[i]
            switch mode {
            case .lineComment:
                i = t.endIndex
                continue
            case .blockComment(let d):
                if b == 42, i + 1 < t.endIndex, t[i + 1] == 47 { mode = d <= 1 ? .code : .blockComment(d - 1); i += 2; continue }
                if b == 47, i + 1 < t.endIndex, t[i + 1] == 42 { mode = .blockComment(d + 1); i += 2; continue }
            case .identifier:
                if b == 34 { mode = .code }
            case .string(let kind):
                let quote: UInt8 = kind == .unicodeIdentifier ? 34 : 39
                if b == quote {
                    if i + 1 < t.endIndex, t[i + 1] == quote {
                        if quote == 39 { raw.append(39) }
                        raw.append(quote); i += 2; continue
                    }
                    mode = .code
                    closeString(kind)
                } else if kind == .escape, b == 92, i + 1 < t.endIndex {
                    raw.append(92); raw.append(t[i + 1]); i += 2; continue
                } else {
                    // the run of ordinary bytes up to the next quote (or backslash) at once
                    let stop = kind == .escape
                        ? t[i...].firstIndex { $0 == 39 || $0 == 92 } ?? t.endIndex
                        : t[i...].firstIndex(of: quote) ?? t.endIndex
                    if raw.count < Self.maxLiteral { raw += t[i..<min(stop, i + Self.maxLiteral - raw.count)] }
                    i = stop
                    continue
                }
            case .dollar(let tag):
                // the body, up to the closing tag, is SQL of its own
                if let end = Self.find(tag, in: t, from: i) {
                    feedInner(t[i..<end], offset: offset, number: number, lineEnd: false)
                    inner.removeAll()
                    mode = .code
                    i = end + tag.count
                    continue
                }
                feedInner(t[i...], offset: offset, number: number, lineEnd: lineEnd)
                return
            case .code:
                i = code(t, at: i, offset: offset, number: number)
                continue
            }
            i += 1
        }
        if lineEnd {
            if mode == .code { endWord() }
            if mode == .lineComment { mode = .code }
            if case .string = mode, raw.count < Self.maxLiteral { raw.append(10) }
        }
    }

    private mutating func feedInner(_ t: ArraySlice<UInt8>, offset: Int, number: Int, lineEnd: Bool) {
        guard depth < Self.maxDepth else { return }
        if inner.isEmpty { inner = [SQLLiteralDecoder(depth: depth + 1)] }
        inner[0].feed(t, offset: offset, number: number, lineEnd: lineEnd)
        out += inner[0].out
        inner[0].out.removeAll()
        if !lineEnd {
            out += inner[0].finish()
        }
    }

    /// One step in code: returns the next index.
    private mutating func code(_ t: ArraySlice<UInt8>, at i: Int, offset: Int, number: Int) -> Int {
        let b = t[i]
        let prev: UInt8 = i > t.startIndex ? t[i - 1] : 32
        func next(_ k: Int) -> UInt8? { i + k < t.endIndex ? t[i + k] : nil }
        if b == 32 || b == 9 || b == 13 || b == 12 { endWord(); return i + 1 }
        if b == 124, next(1) == 124, afterLiteral { endWord(); sawBar = true; return i + 2 }
        if b == 45, next(1) == 45 { endWord(); mode = .lineComment; return i + 2 }
        if b == 47, next(1) == 42 { endWord(); mode = .blockComment(1); return i + 2 }
        if b == 34 { endWord(); interrupt(); mode = .identifier; return i + 1 }
        // string constants: E'…', U&'…', N'…', B'…', X'…', '…'
        var kind: Kind?, skip = 0
        if b == 39 {
            kind = .standard; skip = 1
            // a prefix letter just before the quote decides the kind
            if let w = word.last, word.count == 1, w == 69 || w == 101 { kind = .escape }
        } else if (b == 85 || b == 117), next(1) == 38, next(2) == 39 || next(2) == 34, !Self.isIdent(prev) {
            endWord(); kind = next(2) == 39 ? .unicode : .unicodeIdentifier; skip = 3
        }
        if let kind {
            if kind != .unicode && kind != .unicodeIdentifier {
                let prefix = word.count == 1 && [69, 101, 78, 110, 66, 98, 88, 120].contains(word[0])
                if !word.isEmpty && !prefix { endWord() }
                if prefix { word.removeAll() }
            }
            if !expectEscapeChar { flushPendingUnicode() }
            if !afterLiteral || (!sawBar && !chainCrossesLine(number)) { endChain() }
            raw.removeAll()
            start = (offset + i, number)
            mode = .string(kind)
            return i + skip
        }
        if b == 36, !Self.isIdent(prev), let tagEnd = Self.dollarTag(t, at: i) {
            endWord(); interrupt()
            let tag = Array(t[i...tagEnd])
            mode = .dollar(tag)
            return tagEnd + 1
        }
        if Self.isIdent(b) {
            if word.count < 64 { word.append(b) }
            return i + 1
        }
        endWord(); interrupt()
        return i + 1
    }

    /// A word ended: `UESCAPE` keeps a pending `U&'…'` waiting for its character.
    private mutating func endWord() {
        guard !word.isEmpty else { return }
        let w = String(decoding: word, as: UTF8.self).lowercased()
        word.removeAll()
        if w == "uescape", pendingUnicode != nil { expectEscapeChar = true; afterLiteral = false; return }
        interrupt()
    }

    /// Anything but white space, `||` or another constant ends the chain.
    private mutating func interrupt() {
        flushPendingUnicode()
        endChain()
    }

    private var chainLine = 0
    /// Constants separated only by white space join when a line end lies between.
    private func chainCrossesLine(_ number: Int) -> Bool { number > chainLine }

    private mutating func closeString(_ kind: Kind) {
        let text = raw
        raw.removeAll()
        if expectEscapeChar, kind == .standard, let pending = pendingUnicode {
            expectEscapeChar = false
            pendingUnicode = nil
            let escape = Self.unquoteDoubled(text).first ?? 92
            add(Self.decodeUnicode(pending.raw, escape: escape), raw: pending.raw, offset: pending.offset, line: pending.line)
            return
        }
        expectEscapeChar = false
        switch kind {
        case .unicode, .unicodeIdentifier:
            pendingUnicode = (text, start.offset, start.line)
            afterLiteral = false
        case .escape:
            add(Self.decodeEscape(text), raw: text, offset: start.offset, line: start.line)
        case .standard:
            let plain = Self.unquoteDoubled(text)
            if plain.contains(92) {
                // as an E'…' would read it too
                let escaped = Self.decodeEscape(text)
                if escaped != plain { out.append(Literal(value: escaped, offset: start.offset, line: start.line)) }
            }
            add(plain, raw: text, offset: start.offset, line: start.line)
        }
    }

    private mutating func flushPendingUnicode() {
        guard let p = pendingUnicode else { return }
        pendingUnicode = nil
        expectEscapeChar = false
        add(Self.decodeUnicode(p.raw, escape: 92), raw: p.raw, offset: p.offset, line: p.line)
        endChain()
    }

    private mutating func add(_ value: [UInt8], raw: [UInt8], offset: Int, line: Int) {
        let differs = value != raw
        if chainPieces == 0 { chainStart = (offset, line) }
        chain += value.prefix(Self.maxLiteral - min(chain.count, Self.maxLiteral))
        chainPieces += 1
        chainDiffers = chainDiffers || differs
        chainLine = line + raw.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        afterLiteral = true
        sawBar = false
    }

    private mutating func endChain() {
        if chainPieces > 1 || chainDiffers {
            out.append(Literal(value: chain, offset: chainStart.offset, line: chainStart.line))
        }
        chain.removeAll()
        chainPieces = 0
        chainDiffers = false
        afterLiteral = false
        sawBar = false
    }

    // MARK: - Decoding

    /// `$tag$` at `i`: the index of its closing `$`, or nil (`$1`, a lone `$`).
    static func dollarTag(_ t: ArraySlice<UInt8>, at i: Int) -> Int? {
        var j = i + 1
        if j < t.endIndex, (48...57).contains(t[j]) { return nil }
        while j < t.endIndex, t[j] != 36 {
            guard isIdent(t[j]), j - i < 64 else { return nil }
            j += 1
        }
        return j < t.endIndex ? j : nil
    }

    static func find(_ needle: [UInt8], in t: ArraySlice<UInt8>, from i: Int) -> Int? {
        guard !needle.isEmpty, t.endIndex - i >= needle.count else { return nil }
        var k = i
        while k + needle.count <= t.endIndex {
            if t[k] == needle[0], t[k..<(k + needle.count)].elementsEqual(needle) { return k }
            k += 1
        }
        return nil
    }

    static func unquoteDoubled(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            out.append(raw[i])
            i += raw[i] == 39 && i + 1 < raw.count && raw[i + 1] == 39 ? 2 : 1
        }
        return out
    }

    static func hex(_ b: UInt8) -> UInt32? {
        switch b {
        case 48...57: UInt32(b - 48)
        case 65...70: UInt32(b - 55)
        case 97...102: UInt32(b - 87)
        default: nil
        }
    }

    static func append(_ scalar: UInt32, to out: inout [UInt8]) {
        guard let u = Unicode.Scalar(scalar) else { out += Array("\u{FFFD}".utf8); return }
        out += Array(String(Character(u)).utf8)
    }

    /// An `E'…'` body as the server reads it.
    package static func decodeEscape(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hexRun(_ max: Int) -> UInt32? {
            var v: UInt32 = 0, n = 0
            while n < max, i < raw.count, let h = hex(raw[i]) { v = v << 4 | h; i += 1; n += 1 }
            return n == 0 ? nil : v
        }
        while i < raw.count {
            let b = raw[i]
            if b == 39, i + 1 < raw.count, raw[i + 1] == 39 { out.append(39); i += 2; continue }
            guard b == 92, i + 1 < raw.count else { out.append(b); i += 1; continue }
            let c = raw[i + 1]
            i += 2
            switch c {
            case 98: out.append(8)
            case 102: out.append(12)
            case 110: out.append(10)
            case 114: out.append(13)
            case 116: out.append(9)
            case 120: if let v = hexRun(2) { out.append(UInt8(v)) } else { out.append(120) }
            case 117:
                let save = i
                if i + 4 <= raw.count, let v = hexRun(4), i - save == 4 { append(v, to: &out) } else { i = save; out.append(117) }
            case 85:
                let save = i
                if i + 8 <= raw.count, let v = hexRun(8), i - save == 8 { append(v, to: &out) } else { i = save; out.append(85) }
            case 48...55:
                var v = UInt32(c - 48), n = 1
                while n < 3, i < raw.count, (48...55).contains(raw[i]) { v = v << 3 | UInt32(raw[i] - 48); i += 1; n += 1 }
                out.append(UInt8(truncatingIfNeeded: v))
            default: out.append(c)
            }
        }
        return out
    }

    /// A `U&'…'` body with escape character `escape`, as the server reads it.
    package static func decodeUnicode(_ raw: [UInt8], escape: UInt8) -> [UInt8] {
        let text = unquoteDoubled(raw)
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        func hexRun(_ count: Int, at j: Int) -> UInt32? {
            guard j + count <= text.count else { return nil }
            var v: UInt32 = 0
            for k in j..<(j + count) { guard let h = hex(text[k]) else { return nil }; v = v << 4 | h }
            return v
        }
        var high: UInt32?
        while i < text.count {
            let b = text[i]
            guard b == escape, i + 1 < text.count else { out.append(b); i += 1; continue }
            if text[i + 1] == escape { out.append(escape); i += 2; continue }
            var scalar: UInt32?
            if text[i + 1] == 43, let v = hexRun(6, at: i + 2) { scalar = v; i += 8 } else if let v = hexRun(4, at: i + 1) { scalar = v; i += 5 }
            guard let s = scalar else { out.append(b); i += 1; continue }
            if (0xD800...0xDBFF).contains(s) { high = s; continue }
            if let h = high, (0xDC00...0xDFFF).contains(s) { append(0x10000 + ((h - 0xD800) << 10) + (s - 0xDC00), to: &out); high = nil; continue }
            append(s, to: &out)
        }
        return out
    }
}
