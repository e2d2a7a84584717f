// swift-tools-version:6.1
import Foundation
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]
let environment = ProcessInfo.processInfo.environment

// gzip is decoded with ISA-L where its headers are installed (Debian libisal-dev, which .ci/run installs), with
// zlib otherwise; BOUNCETAIL_WITHOUT_ISAL=1 builds the zlib-only fallback on purpose.
let withISAL = environment["BOUNCETAIL_WITHOUT_ISAL"] == nil
    && ["/usr/include/isa-l.h", "/usr/local/include/isa-l.h"].contains { FileManager.default.fileExists(atPath: $0) }
let gzipLibraries: [Target.Dependency] = withISAL ? ["CZlib", "CIsal"] : ["CZlib"]
let gzipSettings: [SwiftSetting] = withISAL ? [.define("BOUNCETAIL_ISAL")] : []
// The systemd journal is read through libsystemd's sd-journal where its headers are installed (Debian
// libsystemd-dev, which .ci/run installs); a build without them says so when --journal is asked for.
let withJournal = environment["BOUNCETAIL_WITHOUT_JOURNAL"] == nil
    && FileManager.default.fileExists(atPath: "/usr/include/systemd/sd-journal.h")
// A state shared by many hosts lives in PostgreSQL, reached through libpq where its headers are installed
// (Debian libpq-dev, which .ci/run installs); BOUNCETAIL_WITHOUT_POSTGRES=1 builds without it.
let withPostgres = environment["BOUNCETAIL_WITHOUT_POSTGRES"] == nil
    && FileManager.default.fileExists(atPath: "/usr/include/postgresql/libpq-fe.h")
let ioLibraries: [Target.Dependency] = gzipLibraries + (withJournal ? ["CSystemd"] : []) + (withPostgres ? ["CPostgres"] : [])
let ioSettings: [SwiftSetting] = gzipSettings + (withJournal ? [.define("BOUNCETAIL_JOURNAL")] : [])
    + (withPostgres ? [.define("BOUNCETAIL_POSTGRES")] : [])

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
        // ISA-L's inflate, the faster of the two gzip decoders (Sources/BounceTailIO/Gzip).
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        // sd-journal, for --journal (Sources/BounceTailIO/Journal).
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // libpq, for a state in PostgreSQL (Sources/BounceTailIO/Postgres).
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "BounceTailCore", dependencies: ["CBytes"], swiftSettings: strict),
        .target(
            name: "BounceTailIO", dependencies: ["BounceTailCore", "CSQLite"] + ioLibraries,
            swiftSettings: strict + ioSettings),
        .executableTarget(
            name: "bouncetail",
            dependencies: [
                "BounceTailCore", "BounceTailIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .target(name: "BounceTailTestSupport", dependencies: ["CZlib"], swiftSettings: strict),
        // Benchmarks/speed.sh's tools: the log generator, and zlib's and ISA-L's inflate alone.
        .executableTarget(
            name: "bouncetail-bench",
            dependencies: [
                "BounceTailCore", "BounceTailIO", "BounceTailTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + gzipLibraries,
            swiftSettings: strict + gzipSettings),
        .testTarget(name: "BounceTailCoreTests", dependencies: ["BounceTailCore", "BounceTailTestSupport"], swiftSettings: strict),
        .testTarget(name: "BounceTailIOTests", dependencies: ["BounceTailCore", "BounceTailIO", "BounceTailTestSupport", "CZlib"], swiftSettings: strict),
        .testTarget(name: "BounceTailCLITests", dependencies: ["bouncetail", "BounceTailIO", "BounceTailTestSupport", "CZlib"], swiftSettings: strict),
    ]
)

// The gzip reading path's libFuzzer target, only when asked for: it has no main of its own (libFuzzer's is linked
// in), so it cannot be part of an ordinary build. Fuzz/run.sh sets BOUNCETAIL_FUZZ=1 and builds it with
// --sanitize fuzzer --sanitize address in .build-fuzz.
if environment["BOUNCETAIL_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "bouncetail-fuzz-gzip", dependencies: ["BounceTailCore", "BounceTailIO", "BounceTailTestSupport"], path: "Fuzz/GzipFuzz",
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]))
}
