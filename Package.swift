// swift-tools-version:6.0
import Foundation
import PackageDescription

let package = Package(
    name: "rehearse",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rehearse", targets: ["rehearse"]),
        .library(name: "RehearseKit", targets: ["RehearseKit"]),
        .library(name: "RehearseValidator", targets: ["RehearseValidator"]),
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
        // The layers, lowest first. Each target may import only the ones
        // above it in this list that it names; scripts/check-layers.sh (run
        // by `make test`) fails on any other edge. See docs/ARCHITECTURE.md.
        // Core: support, the SQL lexer and scripts, JSON, digests, errors.
        // It links SQLite only for SQLite's own tokenizer tables (keyword
        // check, statement completeness), never to open a database.
        .target(name: "RehearseCore", dependencies: ["CSQLite3", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Yams", package: "Yams")]),
        // The evidence vocabulary: statements, fingerprints, seals,
        // signatures, lanes, grants, phases, verdicts, the sealed inputs.
        .target(name: "RehearseEvidence", dependencies: ["RehearseCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The hardened validator: core and evidence only, by construction.
        .target(name: "RehearseValidator", dependencies: ["RehearseCore", "RehearseEvidence", .product(name: "Crypto", package: "swift-crypto")]),
        // The surrogate generator: profiles, plan, values. Engine-free.
        .target(name: "RehearseSurrogate", dependencies: ["RehearseCore", "RehearseEvidence", .product(name: "Crypto", package: "swift-crypto")]),
        // The engine seam and the pipelines both engines share.
        .target(name: "RehearseEngine", dependencies: ["RehearseCore", "RehearseEvidence", "RehearseSurrogate"]),
        // The engines; neither imports the other.
        .target(name: "RehearseSQLite", dependencies: ["RehearseCore", "RehearseEvidence", "RehearseSurrogate", "RehearseEngine", "CSQLite3",
                                                       .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "RehearsePostgres", dependencies: ["RehearseCore", "RehearseEvidence", "RehearseSurrogate", "RehearseEngine", "CLibPQ",
                                                         .product(name: "Crypto", package: "swift-crypto")]),
        // Orchestration: the rehearsal, its sources (surrogate, dump clone),
        // migration walks, nightly runs, reports, replay.
        .target(
            name: "RehearseKit",
            dependencies: [
                "RehearseCore", "RehearseEvidence", "RehearseValidator", "RehearseSurrogate",
                "RehearseEngine", "RehearseSQLite", "RehearsePostgres",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The command line: parsing and printing only.
        .executableTarget(
            name: "rehearse",
            dependencies: [
                "RehearseKit", "RehearseCore", "RehearseEvidence", "RehearseValidator", "RehearseSurrogate",
                "RehearseEngine", "RehearseSQLite", "RehearsePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RehearseKitTests", dependencies: [
            "RehearseKit", "RehearseCore", "RehearseEvidence", "RehearseValidator", "RehearseSurrogate",
            "RehearseEngine", "RehearseSQLite", "RehearsePostgres", "CSQLite3", "CLibPQ",
        ]),
        .testTarget(name: "RehearseCLITests", dependencies: ["rehearse"]),
    ]
)

// The libFuzzer targets exist only for `make fuzz` (scripts/fuzz.sh sets
// REHEARSE_FUZZ=1): it links libFuzzer's driver, which ordinary builds lack.
if ProcessInfo.processInfo.environment["REHEARSE_FUZZ"] != nil {
    let fuzzDependencies: [Target.Dependency] = ["RehearseKit", "RehearseCore", "RehearseEvidence", "RehearseValidator", "RehearseSurrogate", "RehearseEngine", "RehearseSQLite"]
    package.targets.append(.executableTarget(name: "rehearse-fuzz", dependencies: fuzzDependencies, path: "Fuzz/RehearseFuzz"))
    // Manifest and profile parsing through to the plan and its values.
    package.targets.append(.executableTarget(name: "rehearse-fuzz-spec", dependencies: fuzzDependencies, path: "Fuzz/RehearseFuzzSpec"))
}
