// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "bouncetail",
    products: [
        .executable(name: "bouncetail", targets: ["bouncetail"]),
        .library(name: "BounceTailCore", targets: ["BounceTailCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The state directory's database (docs/STATE.md).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CBytes"),
        // The DEFLATE decoder gzip archives are read with (zlib still checks their CRC-32).
        .target(name: "CInflate"),
        .target(name: "BounceTailCore", dependencies: ["CBytes"], swiftSettings: strict),
        .target(name: "BounceTailIO", dependencies: ["BounceTailCore", "CZlib", "CInflate", "CSQLite"], swiftSettings: strict),
        .executableTarget(
            name: "bouncetail",
            dependencies: [
                "BounceTailCore", "BounceTailIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .target(name: "BounceTailTestSupport", swiftSettings: strict),
        // Benchmarks/speed.sh's tools: the log generator and zlib's inflate alone.
        .executableTarget(
            name: "bouncetail-bench",
            dependencies: [
                "BounceTailCore", "BounceTailIO", "BounceTailTestSupport", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .testTarget(name: "BounceTailCoreTests", dependencies: ["BounceTailCore", "BounceTailTestSupport"], swiftSettings: strict),
        .testTarget(name: "BounceTailIOTests", dependencies: ["BounceTailCore", "BounceTailIO", "BounceTailTestSupport", "CInflate", "CZlib"], swiftSettings: strict),
        .testTarget(name: "BounceTailCLITests", dependencies: ["bouncetail", "BounceTailIO", "BounceTailTestSupport", "CZlib"], swiftSettings: strict),
    ]
)
