import Foundation
import RehearseCore
import RehearseEvidence

/// Made-up text: built from syllables and reserved domains, never from lists
/// of real people, places or accounts.
package enum TextPattern: Sendable, Equatable, CaseIterable, RawRepresentable {
    case name, firstName, lastName, email, phone, word, sentence, uuid, street, city, postcode, sku
    case hexLength(Int)

    package static let allCases: [TextPattern] = [.name, .firstName, .lastName, .email, .phone, .word, .sentence, .uuid, .street, .city, .postcode, .sku, .hex]
    package static let hex = TextPattern.hexLength(16)

    package init?(rawValue: String) {
        switch rawValue {
        case "name": self = .name
        case "first_name": self = .firstName
        case "last_name": self = .lastName
        case "email": self = .email
        case "phone": self = .phone
        case "word": self = .word
        case "sentence": self = .sentence
        case "uuid": self = .uuid
        case "street": self = .street
        case "city": self = .city
        case "postcode": self = .postcode
        case "sku": self = .sku
        case "hex": self = .hex
        default: return nil
        }
    }

    package var rawValue: String {
        switch self {
        case .name: "name"
        case .firstName: "first_name"
        case .lastName: "last_name"
        case .email: "email"
        case .phone: "phone"
        case .word: "word"
        case .sentence: "sentence"
        case .uuid: "uuid"
        case .street: "street"
        case .city: "city"
        case .postcode: "postcode"
        case .sku: "sku"
        case .hexLength: "hex"
        }
    }
}
