// swift-tools-version:6.0
// Builds on Linux (Debian 12 here) with Swift 6 and the packages below; the console needs
// ncursesw (Debian/Ubuntu: libncurses-dev), the journal SQLite (libsqlite3-dev), the tests
// python3, openssl and tmux.
import PackageDescription

let package = Package(
    name: "pbsha",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pbsha", targets: ["pbsha"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Wire types, UPIDs, fingerprints and the pinned HTTPS client.
        .target(
            name: "ProxmoxAPI",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The files in Resources/ the executable ships: built-in runbooks and drill scenarios.
        .target(name: "BuiltIn", path: "Resources", exclude: ["pbsha.example.toml"], sources: ["BuiltIn.swift"],
                resources: [.copy("runbooks"), .copy("scenarios")]),
        // Config, observation, health rules, calendar events, runbooks, the journal, reports.
        .target(
            name: "PairEngine",
            dependencies: [
                "ProxmoxAPI",
                "BuiltIn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The simulated PBS pair and PVE hosts, served over real HTTPS on loopback.
        .target(
            name: "Lab",
            dependencies: [
                "ProxmoxAPI",
                "PairEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // ncursesw behind a function-only C shim (no globals or macros reach Swift).
        .target(
            name: "CNCurses",
            cSettings: [.define("_XOPEN_SOURCE_EXTENDED"), .define("NCURSES_WIDECHAR", to: "1")],
            linkerSettings: [.linkedLibrary("ncursesw"), .linkedLibrary("tinfo")]
        ),
        // The full-screen console: State + Msg -> update -> render -> Frame; a thin curses backend.
        .target(name: "Console", dependencies: ["PairEngine", "ProxmoxAPI", "CNCurses"]),
        .executableTarget(
            name: "pbsha",
            dependencies: [
                "ProxmoxAPI",
                "BuiltIn",
                "PairEngine",
                "Console",
                "Lab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The figures of docs/performance.md that one process can measure (bench/measure.sh runs it).
        .executableTarget(name: "pbsha-bench", dependencies: ["Console", "Lab", "PairEngine", "ProxmoxAPI"], path: "Sources/Bench"),
        // Test helpers: child processes, and HTTPS servers pbsha did not write (python3 + OpenSSL).
        .target(name: "TestSupport", path: "Tests/TestSupport", exclude: ["Scripts"]),
        .testTarget(name: "ProxmoxAPITests", dependencies: ["ProxmoxAPI", "TestSupport"]),
        .testTarget(name: "PairEngineTests", dependencies: ["PairEngine", "ProxmoxAPI", "BuiltIn", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LabTests", dependencies: ["Lab", "PairEngine", "ProxmoxAPI", "BuiltIn", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "PairEngine", "ProxmoxAPI", "BuiltIn", "TestSupport"], resources: [.copy("Golden")]),
        .testTarget(name: "pbshaTests", dependencies: ["Lab", "PairEngine", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
