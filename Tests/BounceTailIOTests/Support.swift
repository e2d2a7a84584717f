import BounceTailCore
import BounceTailIO
import Foundation

/// The package's top folder (tests find samples/ and ../shared/ from here).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bouncetail-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Settings that make output independent of the machine: UTC and a fixed year.
func fixedSettings(format: LogFormat = .auto) -> ScanSettings {
    var s = ScanSettings()
    s.format = format
    s.zone = FixedZone.utc
    s.fixedYear = 2026
    return s
}

struct ScanResult {
    var json: [UInt8] = []
    var warnings: [String] = []
    var errors: [InputError] = []
    var text: String { String(decoding: json, as: UTF8.self) }
    var lines: [String] { text.split(separator: "\n").map(String.init) }
}

/// Scans paths (relative to the package root, in rotation order) as `bouncetail scan` does.
func scanFiles(_ paths: [String], settings: ScanSettings = fixedSettings(), root: URL = packageRoot) -> ScanResult {
    var result = ScanResult()
    let scan = LogScan(settings: settings)
    var json = JSONBuffer()
    for path in RotationOrder.oldestFirst(paths) {
        do {
            let input = try InputOpener.open(root.appendingPathComponent(path).path)
            try scan.scan(
                input,
                onOutcome: { o in OutcomeJSON.append(o, file: Array(path.utf8), to: &json) },
                onWarning: { result.warnings.append($0) })
        } catch let e as InputError {
            result.errors.append(e)
        } catch {
            result.errors.append(.readFailed(path: path, reason: "\(error)"))
        }
    }
    result.json = json.bytes
    return result
}

/// gzip bytes made by the system's gzip (a real producer, not our own code).
func gzipped(_ data: [UInt8]) throws -> [UInt8] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "gzip -n -c"]
    let inPipe = Pipe()
    let outPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    try p.run()
    let writer = Thread { inPipe.fileHandleForWriting.write(Data(data)); try? inPipe.fileHandleForWriting.close() }
    writer.start()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Array(out)
}
