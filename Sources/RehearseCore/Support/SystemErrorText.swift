import Foundation

/// The reason of a file-system or system error in plain words, for messages.
///
/// Foundation's own text ("The file doesn’t exist.. (NSCocoaErrorDomain
/// error 512.)") names domains and codes a user cannot act on; the POSIX
/// reason underneath ("permission denied", "read-only file system") is what
/// says what to fix.
package enum SystemErrorText {
    package static func describe(_ error: Error) -> String {
        if let rehearse = error as? RehearseError { return rehearse.message }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain, underlying.code > 0 {
            return posix(Int32(underlying.code))
        }
        if ns.domain == NSPOSIXErrorDomain, ns.code > 0 { return posix(Int32(ns.code)) }
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return "no space left on the device"
            case NSFileWriteVolumeReadOnlyError: return "read-only file system"
            case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
            case NSFileWriteFileExistsError: return "a file of that name already exists"
            case NSFileReadCorruptFileError, NSFileReadInapplicableStringEncodingError: return "the file is not readable text"
            case NSFileReadTooLargeError: return "the file is too large"
            default: break
            }
        }
        return "the operating system refused it"
    }

    /// strerror's text, lower-cased to sit inside a sentence.
    package static func posix(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
