import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The secret-free gate's rules: which byte shapes are secrets. Each rule is
/// a small matcher over one token (a run of bytes between separators), so the
/// scanner never needs a regular-expression engine over untrusted input, and
/// every rule's cost is linear in the token.
///
/// The rules' identities and parameters are digested (``digest``) into the
/// evidence: a later reader knows exactly which rules a dump passed.
package enum SecretRules {
    /// 2: string constants are matched as the server decodes them (`E''`,
    /// `U&''`/`U&""` with UESCAPE, joined constants, `$tag$` bodies), and a
    /// finding's offset is its value's. A "0 findings" of version 1 says less.
    package static let scannerVersion = "rehearse-secret-scan/2"

    package struct Rule: Sendable {
        package var id: String
        package var family: String
        package var description: String
    }

    /// Every rule, in report order.
    package static let all: [Rule] = [
        Rule(id: "pem_private_key", family: "PEM private keys", description: "a '-----BEGIN … PRIVATE KEY-----' header"),
        Rule(id: "aws_access_key_id", family: "cloud access keys", description: "AKIA/ASIA/AGPA/AIDA/AROA/ANPA/ANVA/AIPA followed by 16 of [A-Z0-9]"),
        Rule(id: "gcp_api_key", family: "cloud access keys", description: "AIza followed by 35 of [A-Za-z0-9_-]"),
        Rule(id: "azure_account_key", family: "cloud access keys", description: "AccountKey= followed by 80 or more base64 characters"),
        Rule(id: "github_token", family: "API token formats", description: "ghp_/gho_/ghu_/ghs_/ghr_ followed by 36 alphanumerics, or github_pat_ followed by 22 or more"),
        Rule(id: "gitlab_token", family: "API token formats", description: "glpat- followed by 20 or more of [A-Za-z0-9_-]"),
        Rule(id: "slack_token", family: "API token formats", description: "xoxb-/xoxa-/xoxp-/xoxr-/xoxs- followed by 10 or more of [A-Za-z0-9-]"),
        Rule(id: "stripe_key", family: "API token formats", description: "sk_live_/rk_live_/sk_test_/rk_test_ followed by 16 or more alphanumerics"),
        Rule(id: "openai_style_key", family: "API token formats", description: "sk- followed by 32 or more of [A-Za-z0-9_-]"),
        Rule(id: "jwt", family: "JWTs", description: "eyJ… . eyJ… . signature: three base64url parts, the first two JSON objects"),
        Rule(id: "uri_with_password", family: "connection URIs with passwords", description: "scheme://user:password@host with a non-empty password"),
        Rule(id: "bcrypt_hash", family: "password hashes", description: "$2a$/$2b$/$2x$/$2y$ cost $ and 53 of [./A-Za-z0-9]"),
        Rule(id: "argon2_hash", family: "password hashes", description: "$argon2i$/$argon2d$/$argon2id$ with parameters"),
        Rule(id: "scrypt_hash", family: "password hashes", description: "$scrypt$ or $7$ with parameters"),
        Rule(id: "crypt_hash", family: "password hashes", description: "$1$/$5$/$6$ crypt (md5crypt, sha256crypt, sha512crypt) and pbkdf2_sha1/pbkdf2_sha256$ (Django) with 20 or more characters"),
        Rule(id: "role_password", family: "password hashes", description: "a PASSWORD '…' clause of CREATE/ALTER ROLE or USER (plain, md5 or SCRAM)"),
        Rule(id: "sensitive_column", family: "values in secret-named columns", description: "a non-empty value that is not a plain number or boolean, in a column whose name has a word password, passwd, pwd, secret, token, apikey, api_key, private_key, credential(s) or salt"),
        Rule(id: "high_entropy_assignment", family: "high-entropy tokens in secret contexts", description: "a token of 16 or more characters with at least 3.5 bits of entropy per character right after password, secret, token or api_key and = or :"),
    ]

    /// SHA-256 of the canonical JSON of every rule's id, family and
    /// description, with the scanner version.
    package static let digest: String = {
        let json: JSONValue = [
            "version": .string(scannerVersion),
            "rules": .array(all.map { ["id": .string($0.id), "family": .string($0.family), "description": .string($0.description)] }),
        ]
        return Digest.sha256Hex(json.canonicalBytes)
    }()

    // MARK: Token matchers

    package static func isUpperAlnum(_ b: UInt8) -> Bool { (48...57).contains(b) || (65...90).contains(b) }
    package static func isAlnum(_ b: UInt8) -> Bool { isUpperAlnum(b) || (97...122).contains(b) }
    package static func isURLSafe(_ b: UInt8) -> Bool { isAlnum(b) || b == 45 || b == 95 }
    package static func isBcryptChar(_ b: UInt8) -> Bool { isAlnum(b) || b == 46 || b == 47 }
    package static func isBase64(_ b: UInt8) -> Bool { isAlnum(b) || b == 43 || b == 47 || b == 61 }

    /// Counts bytes from `start` satisfying `pred`.
    package static func run(_ t: ArraySlice<UInt8>, from start: Int, _ pred: (UInt8) -> Bool) -> Int {
        var i = start
        while i < t.endIndex, pred(t[i]) { i += 1 }
        return i - start
    }

    package static func hasPrefix(_ t: ArraySlice<UInt8>, at i: Int, _ p: String) -> Bool {
        let u = Array(p.utf8)
        guard i + u.count <= t.endIndex else { return false }
        return t[i..<(i + u.count)].elementsEqual(u)
    }

    /// Rules that recognise a secret by its own shape, anywhere in a token.
    /// Returns (rule id, the secret's byte range).
    package static func shapeMatches(_ t: ArraySlice<UInt8>) -> [(String, Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        var i = t.startIndex
        while i < t.endIndex {
            let b = t[i]
            // A rule starts only at a token start or after a non-alphanumeric byte,
            // so "XAKIA…" inside a longer word is not a key id.
            let boundary = i == t.startIndex || !isAlnum(t[i - 1])
            var hit: (String, Int)?
            if boundary {
                switch b {
                case UInt8(ascii: "A"):
                    for p in ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"] where hasPrefix(t, at: i, p) {
                        if run(t, from: i + 4, isUpperAlnum) == 16 { hit = ("aws_access_key_id", 20) }
                    }
                    if hit == nil, hasPrefix(t, at: i, "AIza"), run(t, from: i + 4, isURLSafe) >= 35 { hit = ("gcp_api_key", 39) }
                    if hit == nil, hasPrefix(t, at: i, "AccountKey="), case let n = run(t, from: i + 11, isBase64), n >= 80 { hit = ("azure_account_key", 11 + n) }
                case UInt8(ascii: "g"):
                    for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] where hasPrefix(t, at: i, p) {
                        if run(t, from: i + 4, isAlnum) >= 36 { hit = ("github_token", 40) }
                    }
                    if hasPrefix(t, at: i, "github_pat_"), case let n = run(t, from: i + 11, { isAlnum($0) || $0 == 95 }), n >= 22 { hit = ("github_token", 11 + n) }
                    if hasPrefix(t, at: i, "glpat-"), case let n = run(t, from: i + 6, isURLSafe), n >= 20 { hit = ("gitlab_token", 6 + n) }
                case UInt8(ascii: "x"):
                    for p in ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"] where hasPrefix(t, at: i, p) {
                        let n = run(t, from: i + 5, { isAlnum($0) || $0 == 45 })
                        if n >= 10 { hit = ("slack_token", 5 + n) }
                    }
                case UInt8(ascii: "s"), UInt8(ascii: "r"):
                    for p in ["sk_live_", "rk_live_", "sk_test_", "rk_test_"] where hasPrefix(t, at: i, p) {
                        let n = run(t, from: i + 8, isAlnum)
                        if n >= 16 { hit = ("stripe_key", 8 + n) }
                    }
                    if hit == nil, hasPrefix(t, at: i, "sk-"), case let n = run(t, from: i + 3, isURLSafe), n >= 32 { hit = ("openai_style_key", 3 + n) }
                case UInt8(ascii: "p"):
                    if hasPrefix(t, at: i, "pbkdf2_sha256$") || hasPrefix(t, at: i, "pbkdf2_sha1$") {
                        let n = run(t, from: i, { $0 > 32 && $0 != 39 && $0 != 34 })
                        if n >= 30 { hit = ("crypt_hash", n) }
                    }
                case UInt8(ascii: "e"):
                    if hasPrefix(t, at: i, "eyJ") {
                        let a = run(t, from: i, isURLSafe)
                        if a >= 10, i + a < t.endIndex, t[i + a] == 46, hasPrefix(t, at: i + a + 1, "eyJ") {
                            let b2 = run(t, from: i + a + 1, isURLSafe)
                            if b2 >= 10, i + a + 1 + b2 < t.endIndex, t[i + a + 1 + b2] == 46 {
                                let c = run(t, from: i + a + b2 + 2, isURLSafe)
                                if c >= 16 { hit = ("jwt", a + b2 + c + 2) }
                            }
                        }
                    }
                case UInt8(ascii: "$"):
                    if (hasPrefix(t, at: i, "$2a$") || hasPrefix(t, at: i, "$2b$") || hasPrefix(t, at: i, "$2x$") || hasPrefix(t, at: i, "$2y$")),
                       i + 7 < t.endIndex, (48...57).contains(t[i + 4]), (48...57).contains(t[i + 5]), t[i + 6] == 36,
                       run(t, from: i + 7, isBcryptChar) >= 53 {
                        hit = ("bcrypt_hash", 60)
                    } else if hasPrefix(t, at: i, "$argon2") {
                        let n = run(t, from: i + 1, { $0 > 32 && $0 != 39 && $0 != 34 })
                        if n >= 20 { hit = ("argon2_hash", 1 + n) }
                    } else if hasPrefix(t, at: i, "$1$") || hasPrefix(t, at: i, "$5$") || hasPrefix(t, at: i, "$6$") {
                        let n = run(t, from: i + 1, { $0 > 32 && $0 != 39 && $0 != 34 })
                        if n >= 20 { hit = ("crypt_hash", 1 + n) }
                    } else if hasPrefix(t, at: i, "$scrypt$") || hasPrefix(t, at: i, "$7$") {
                        let n = run(t, from: i + 1, { $0 > 32 && $0 != 39 && $0 != 34 })
                        if n >= 20 { hit = ("scrypt_hash", 1 + n) }
                    }
                default: break
                }
            }
            if let (rule, length) = hit {
                out.append((rule, i..<min(i + length, t.endIndex)))
                i += length
            } else {
                i += 1
            }
        }
        out += uriPasswords(t)
        return out
    }

    /// `scheme://user:password@host`: the password part is the secret.
    package static func uriPasswords(_ t: ArraySlice<UInt8>) -> [(String, Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        var i = t.startIndex
        while i + 3 <= t.endIndex {
            guard t[i] == 58, i + 2 < t.endIndex, t[i + 1] == 47, t[i + 2] == 47, i > t.startIndex, isAlnum(t[i - 1]) else { i += 1; continue }
            // authority ends at / ? # or the token's end; userinfo ends at its last @
            var end = i + 3
            while end < t.endIndex, ![47, 63, 35].contains(t[end]) { end += 1 }
            if let at = t[(i + 3)..<end].lastIndex(of: 64), let colon = t[(i + 3)..<at].firstIndex(of: 58), colon + 1 < at {
                out.append(("uri_with_password", (colon + 1)..<at))
            }
            i = end
        }
        return out
    }

    /// Shannon entropy in bits per byte.
    package static func entropy(_ t: ArraySlice<UInt8>) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for b in t { counts[Int(b)] += 1 }
        let n = Double(t.count)
        return counts.reduce(0.0) { acc, c in c == 0 ? acc : acc - Double(c) / n * log2(Double(c) / n) }
    }

    package static let secretWords: Set<String> = ["password", "passwd", "pwd", "secret", "token", "apikey", "credential", "credentials", "salt", "passphrase"]

    /// Whether a column name names a secret: one of its words (split at `_`,
    /// `-`, `.`, and lower-to-upper case changes) is a secret word, or two
    /// adjacent words are api+key, private+key, access+key or auth+key.
    package static func isSecretColumn(_ name: String) -> Bool {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for ch in name {
            if ch == "_" || ch == "-" || ch == "." || ch == " " || ch == "\"" {
                if !current.isEmpty { words.append(current.lowercased()) }
                current = ""; previousLower = false; continue
            }
            if ch.isUppercase && previousLower { words.append(current.lowercased()); current = "" }
            current.append(ch)
            previousLower = ch.isLowercase
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        if words.contains(where: secretWords.contains) { return true }
        for (a, b) in zip(words, words.dropFirst()) where b == "key" && ["api", "private", "access", "auth", "secret", "signing", "encryption"].contains(a) {
            return true
        }
        return false
    }

    /// Whether a column value is harmless whatever its column: empty, NULL, a
    /// plain number or a boolean.
    package static func isHarmlessValue(_ v: ArraySlice<UInt8>) -> Bool {
        if v.isEmpty { return true }
        if v.elementsEqual(Array("\\N".utf8)) || v.elementsEqual(Array("NULL".utf8)) { return true }
        if ["t", "f", "true", "false"].contains(where: { v.elementsEqual(Array($0.utf8)) }) { return true }
        var digits = 0
        for (k, b) in v.enumerated() {
            if (48...57).contains(b) { digits += 1; continue }
            if (b == 45 || b == 43) && k == 0 { continue }
            if b == 46 { continue }
            return false
        }
        return digits > 0
    }
}
