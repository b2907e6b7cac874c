import RehearseCore
import RehearseEvidence

/// Text that matches a simple POSIX regular expression a CHECK names
/// (`version ~ '^[0-9]{14}$'`): a sequence of literal characters, bracket
/// classes (`[a-z0-9_]`, no negation), `\d`, `\w` and `.`, each with an
/// optional `{n}`, `{n,m}`, `?`, `*` or `+`, optionally anchored. Anything
/// else (groups, alternation, negated classes, back references) is not
/// read: `init` returns nil and the CHECK counts as unread. A value made of
/// the whole pattern also matches an unanchored one.
package struct RegexText: Sendable, Equatable {
    package struct Atom: Sendable, Equatable {
        package var choices: [Character]
        package var least: Int
        package var most: Int
    }
    package let atoms: [Atom]

    package init?(_ pattern: String) {
        var chars = Array(pattern)
        if chars.first == "^" { chars.removeFirst() }
        if chars.last == "$", !(chars.count >= 2 && chars[chars.count - 2] == "\\") { chars.removeLast() }
        var atoms: [Atom] = []
        var i = 0
        while i < chars.count {
            var choices: [Character]
            let c = chars[i]
            i += 1
            switch c {
            case "\\":
                guard i < chars.count else { return nil }
                let e = chars[i]
                i += 1
                switch e {
                case "d": choices = Array("0123456789")
                case "w": choices = Array("abcdefghijklmnopqrstuvwxyz0123456789_")
                default:
                    guard !e.isLetter, !e.isNumber else { return nil }
                    choices = [e]
                }
            case "[":
                choices = []
                guard i < chars.count, chars[i] != "^" else { return nil }
                var first = true
                while i < chars.count, chars[i] != "]" || first {
                    first = false
                    var lo = chars[i]
                    if lo == "\\" {
                        guard i + 1 < chars.count else { return nil }
                        i += 1
                        lo = chars[i]
                    }
                    if lo == "[" { return nil }
                    if i + 2 < chars.count, chars[i + 1] == "-", chars[i + 2] != "]" {
                        let hi = chars[i + 2]
                        guard let a = lo.unicodeScalars.first?.value, let b = hi.unicodeScalars.first?.value, a <= b, b - a < 4096 else { return nil }
                        choices += (a...b).compactMap { Unicode.Scalar($0).map(Character.init) }
                        i += 3
                    } else {
                        choices.append(lo)
                        i += 1
                    }
                }
                guard i < chars.count, !choices.isEmpty else { return nil }
                i += 1
            case ".": choices = Array("abcdefghijklmnopqrstuvwxyz")
            case "(", ")", "|", "^", "$", "{", "}", "*", "+", "?", "]": return nil
            default: choices = [c]
            }
            var least = 1, most = 1
            if i < chars.count {
                switch chars[i] {
                case "?": least = 0; most = 1; i += 1
                case "*": least = 0; most = 3; i += 1
                case "+": least = 1; most = 4; i += 1
                case "{":
                    guard let close = chars[i...].firstIndex(of: "}") else { return nil }
                    let parts = String(chars[(i + 1)..<close]).split(separator: ",", omittingEmptySubsequences: false)
                    guard let a = Int(parts[0]), a >= 0, a <= 1000, parts.count <= 2 else { return nil }
                    least = a
                    most = parts.count == 1 ? a : (parts[1].isEmpty ? a + 3 : (Int(parts[1]) ?? -1))
                    guard most >= least, most <= 1000 else { return nil }
                    i = close + 1
                default: break
                }
            }
            if i < chars.count, ["?", "*", "+", "{"].contains(chars[i]) { return nil }
            atoms.append(Atom(choices: choices, least: least, most: most))
        }
        guard !atoms.isEmpty else { return nil }
        self.atoms = atoms
    }

    /// The value of row `row`, a pure function of (rng, row); with `unique`,
    /// that index is spread over the draws so distinct indexes rarely meet.
    package func value(_ rng: CounterRandom, row: Int64, unique: Int64?) -> String {
        var out = ""
        var k: UInt64 = 0
        let key = unique.map { UInt64(bitPattern: $0) &* 0x9E37_79B9_7F4A_7C15 } ?? 0
        func draw(_ n: Int) -> Int {
            k += 1
            return Int((rng.bits(row, 90 &+ k) ^ (key &* k)) % UInt64(n))
        }
        for atom in atoms {
            let count = atom.least + (atom.most > atom.least ? draw(atom.most - atom.least + 1) : 0)
            for _ in 0..<count { out.append(atom.choices[draw(atom.choices.count)]) }
        }
        return out
    }
}
