/// The version of rehearse.
public enum RehearseVersion {
    /// The release number, as `--version` prints it.
    public static let current = "0.1.0"
}

extension CivilTime {
    /// RFC 3339 UTC with whole seconds: `2026-11-24T22:15:30Z`.
    package static func rfc3339(_ seconds: Int64) -> String {
        format(seconds).replacingOccurrences(of: " ", with: "T") + "Z"
    }
}
