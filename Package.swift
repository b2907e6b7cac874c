// swift-tools-version:6.0
import Foundation
import PackageDescription

let package = Package(
    name: "rehearse",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rehearse", targets: ["rehearse"]),
        .library(name: "RehearseKit", targets: ["RehearseKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries, found through pkg-config (libsqlite3-dev, libpq-dev).
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // All of the product's logic, in feature folders.
        .target(
            name: "RehearseKit",
            dependencies: [
                "CSQLite3",
                "CLibPQ",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The command line: parsing and printing only.
        .executableTarget(
            name: "rehearse",
            dependencies: [
                "RehearseKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RehearseKitTests", dependencies: ["RehearseKit"]),
        .testTarget(name: "RehearseCLITests", dependencies: ["rehearse"]),
    ]
)

// The libFuzzer targets exist only for `make fuzz` (scripts/fuzz.sh sets
// REHEARSE_FUZZ=1): it links libFuzzer's driver, which ordinary builds lack.
if ProcessInfo.processInfo.environment["REHEARSE_FUZZ"] != nil {
    package.targets.append(.executableTarget(name: "rehearse-fuzz", dependencies: ["RehearseKit"], path: "Fuzz/RehearseFuzz"))
    // Manifest and profile parsing through to the plan and its values.
    package.targets.append(.executableTarget(name: "rehearse-fuzz-spec", dependencies: ["RehearseKit"], path: "Fuzz/RehearseFuzzSpec"))
}
