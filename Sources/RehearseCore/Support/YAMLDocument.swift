import Yams

/// A YAML node with the file and key path it came from, so every complaint
/// about a manifest or profile says exactly where the problem is.
package struct YAMLNode {
    package let node: Node
    package let file: String
    package let path: String

    package static func load(text: String, file: String) throws -> YAMLNode {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw RehearseError.badInput("\(file): the file is empty. It must be a YAML mapping; see schemas/ for its fields.")
            }
            return YAMLNode(node: node, file: file, path: "")
        } catch let error as YamlError {
            let first = String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw RehearseError.badInput("\(file): not valid YAML: \(first). Fix the syntax at that line.")
        }
    }

    package var location: String {
        let line = node.mark.map { ":\($0.line)" } ?? ""
        return "\(file)\(line)" + (path.isEmpty ? "" : " (\(path))")
    }

    package func fail(_ what: String) -> RehearseError {
        .badInput("\(location): \(what)")
    }

    /// The members of a mapping, refusing keys not in `allowed`.
    package func mapping(allowed: Set<String>? = nil) throws -> [(key: String, value: YAMLNode)] {
        guard let mapping = node.mapping else {
            throw fail("expected a mapping of keys to values.")
        }
        var result: [(String, YAMLNode)] = []
        var seen = Set<String>()
        for (k, v) in mapping {
            guard let key = k.string else { throw fail("keys must be strings.") }
            let child = YAMLNode(node: v, file: file, path: path.isEmpty ? key : "\(path).\(key)")
            if let allowed, !allowed.contains(key) {
                let keyNode = YAMLNode(node: k, file: file, path: path)
                throw keyNode.fail("unknown key '\(key)'. Allowed keys: \(allowed.sorted().joined(separator: ", ")).")
            }
            if !seen.insert(key).inserted { throw child.fail("the key '\(key)' appears twice.") }
            result.append((key, child))
        }
        return result
    }

    package func members(allowed: Set<String>) throws -> [String: YAMLNode] {
        Dictionary(try mapping(allowed: allowed).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    package func string() throws -> String {
        guard let scalar = node.scalar else { throw fail("expected a text value.") }
        return scalar.string
    }

    package func int() throws -> Int64 {
        guard node.scalar != nil, let s = node.string, let v = Int64(s.replacingOccurrences(of: "_", with: "")) else {
            throw fail("expected a whole number, found '\(node.string ?? "a structure")'.")
        }
        return v
    }

    /// A whole number within `range` (see ``Limits``); `what` names it in
    /// the sentence, e.g. "rows".
    package func int(in range: ClosedRange<Int64>, _ what: String) throws -> Int64 {
        let v = try int()
        guard v >= range.lowerBound else {
            throw fail("\(what) must be \(range.lowerBound == 0 ? "zero" : Limits.grouped(range.lowerBound)) or more.")
        }
        guard v <= range.upperBound else {
            throw fail("\(what) must be at most \(Limits.grouped(range.upperBound)) (rehearse's limit), not \(Limits.grouped(v)).")
        }
        return v
    }

    /// A finite number no larger in magnitude than ``Limits/maxMagnitude``.
    package func boundedDouble(_ what: String) throws -> Double {
        let v = try double()
        guard abs(v) <= Limits.maxMagnitude else {
            throw fail("\(what) must be between -\(Limits.maxMagnitude) and \(Limits.maxMagnitude), not \(v).")
        }
        return v
    }

    package func double() throws -> Double {
        guard node.scalar != nil, let s = node.string, let v = Double(s.replacingOccurrences(of: "_", with: "")), v.isFinite else {
            throw fail("expected a number, found '\(node.string ?? "a structure")'.")
        }
        return v
    }

    package func bool() throws -> Bool {
        guard node.scalar != nil, let v = node.bool else { throw fail("expected true or false.") }
        return v
    }

    package func sequence() throws -> [YAMLNode] {
        guard let seq = node.sequence else { throw fail("expected a list.") }
        return seq.enumerated().map { YAMLNode(node: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    package var isScalar: Bool { node.scalar != nil }
}
