#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// The `--deltas FILE` a run appends to, kept exact across crashes: a torn last line (a crash during an
/// append) is cut off when the file is opened, and only deltas with a `seq` above the last one in the file
/// are appended, so recovery can offer the same deltas again without writing any twice.
public final class DeltaFile {
    public let path: String
    private let fd: Int32
    /// The seq of the last complete delta in the file (0 when empty or unknown).
    public private(set) var lastSeq: UInt64 = 0

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StateError(message: "\(path): cannot open deltas file: \(errnoText())") }
        try repair()
    }

    deinit { close(fd) }

    /// Cuts a torn last line and reads the last seq.
    private func repair() throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StateError(message: "\(path): cannot stat: \(errnoText())") }
        let size = Int64(st.st_size)
        guard size > 0 else { return }
        // Read the last 64 KiB: enough to hold the last complete line of any delta.
        let window = min(size, 1 << 16)
        var tail = [UInt8](repeating: 0, count: Int(window))
        let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(window), off_t(size - window)) }
        guard n == Int(window) else { throw StateError(message: "\(path): cannot read: \(errnoText())") }
        var keep = tail.count
        while keep > 0 && tail[keep - 1] != ASCII.newline { keep -= 1 }
        if keep < tail.count {
            let newSize = size - Int64(tail.count - keep)
            guard ftruncate(fd, off_t(newSize)) == 0, fsync(fd) == 0 else {
                throw StateError(message: "\(path): cannot cut the torn last line: \(errnoText())")
            }
            printError("bouncetail: \(path): removed a torn last line (\(tail.count - keep) bytes) left by an interrupted run")
        }
        guard keep > 0 else { return }
        var start = keep - 1
        while start > 0 && tail[start - 1] != ASCII.newline { start -= 1 }
        let last = Data(tail[start..<(keep - 1)])
        if let obj = try? JSONSerialization.jsonObject(with: last) as? [String: Any], let seq = obj["seq"] as? Int {
            lastSeq = UInt64(seq)
        }
    }

    /// Appends the deltas not yet in the file and makes them durable.
    public func append(_ deltas: [SuppressionDelta]) throws {
        var j = JSONBuffer(capacity: 1 << 12)
        var newest = lastSeq
        for d in deltas where d.seq > lastSeq {
            d.append(to: &j)
            newest = d.seq
        }
        guard !j.bytes.isEmpty else { return }
        FailPoint.reach("deltas-partial") {
            // Test-only: die in the middle of the append, leaving a torn line behind.
            try? DurableFile.writeAll(fd, Array(j.bytes.prefix(j.bytes.count / 2 + 1)), path: path)
        }
        do {
            try DurableFile.writeAll(fd, j.bytes, path: path)
        } catch let e as DurableFile.Failure {
            throw StateError(message: "\(path): cannot append deltas: \(e.reason); they stay in the state and are written by the next run")
        }
        guard fsync(fd) == 0 else { throw StateError(message: "\(path): fsync failed: \(errnoText())") }
        lastSeq = newest
        FailPoint.reach("deltas-appended")
    }
}
