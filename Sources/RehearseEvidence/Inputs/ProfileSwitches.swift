import RehearseCore

/// The switches of a profile that decide what a surrogate's spec digest
/// covers, read by the generator and, from the sealed copy, by the validator.
package enum ProfileSwitches {
    /// A switch written as `on`/`true`/`yes` or `off`/`false`/`no` (any case);
    /// nil for anything else.
    package static func onOff(_ node: YAMLNode) -> Bool? {
        guard node.isScalar, let s = try? node.string() else { return nil }
        switch s.lowercased() {
        case "off", "false", "no": return false
        case "on", "true", "yes": return true
        default: return nil
        }
    }

    /// Whether birth-aware targeting is on: it is unless the profile's top
    /// level says `targeting: off` (or false, no). A profile that does not
    /// read as a YAML mapping counts as on, as the generator's default.
    package static func targeting(profile text: String) -> Bool {
        guard let root = try? YAMLNode.load(text: text, file: "profile"), let members = try? root.mapping(),
              let node = members.first(where: { $0.key == "targeting" })?.value else { return true }
        return onOff(node) ?? true
    }
}
