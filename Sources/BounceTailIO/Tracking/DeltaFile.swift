#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// The `--deltas FILE` a run appends to: a projection of the state's delta rows. Opening it cuts a torn
/// last line (a crash during an append), however long the line, and reads the last `seq` in it; the file's
/// identity (device, inode) tells a rotated-away file from the one now at the path.
public final class DeltaFile {
    public let path: String
    private var fd: Int32 = -1
    private let mode: mode_t
    public private(set) var device: UInt64 = 0
    public private(set) var inode: UInt64 = 0
    /// The seq of the last delta in the file (0 when it is empty).
    public private(set) var lastSeqInFile: UInt64 = 0

    public init(path: String, mode: mode_t = 0o600) throws {
        self.path = path
        self.mode = mode
        try openFile()
    }

    deinit { if fd >= 0 { close(fd) } }

    private func openFile() throws {
        if fd >= 0 { close(fd) }
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let why = errno == ELOOP ? "a symbolic link (name the file itself)" : errnoText()
            throw StateError(message: "\(path): cannot open deltas file: \(why)")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StateError(message: "\(path): cannot stat: \(errnoText())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw StateError(message: "\(path): deltas file is not a regular file") }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        lastSeqInFile = try Self.lastSeq(fd, path: path, size: Int64(st.st_size), cutTornLine: true)
    }

    /// Whether the path still names the open file; when it names another one (or none: rotated away
    /// without `create`), opens or creates that one.
    public func followRename() throws -> Bool {
        var st = stat()
        if lstat(path, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode { return false }
        try openFile()
        return true
    }

    /// The last seq in a deltas file, with `cutTornLine` cutting a torn last line first (else passing over
    /// it); a last line that is not a delta is an error (the file is not one bouncetail wrote, and appending
    /// would mix the two).
    static func lastSeq(_ fd: Int32, path: String, size: Int64, cutTornLine: Bool) throws -> UInt64 {
        guard size > 0 else { return 0 }
        var end = size
        // The end of the last complete line.
        var lineEnd = try lastIndex(of: ASCII.newline, in: fd, before: end, path: path) ?? -1
        if lineEnd + 1 < end && cutTornLine {
            let cut = end - lineEnd - 1
            guard ftruncate(fd, off_t(lineEnd + 1)) == 0, fsync(fd) == 0 else {
                throw StateError(message: "\(path): cannot cut the torn last line: \(errnoText())")
            }
            printError("bouncetail: \(path): removed a torn last line (\(cut) bytes) left by an interrupted run")
            end = lineEnd + 1
        }
        // Blank lines at the end (an editor's) are passed over.
        while lineEnd >= 0 {
            let start = (try lastIndex(of: ASCII.newline, in: fd, before: lineEnd, path: path) ?? -1) + 1
            if start == lineEnd {
                lineEnd = start - 1
                continue
            }
            var line = [UInt8](repeating: 0, count: Int(lineEnd - start))
            let n = line.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
            guard n == line.count else { throw StateError(message: "\(path): cannot read: \(errnoText())") }
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let seq = obj["seq"] as? Int, seq > 0
            else {
                throw StateError(message: "\(path): its last line is not a delta with a seq; not appending to it — move it away or repair it")
            }
            return UInt64(seq)
        }
        return 0
    }

    /// The offset of the last `byte` before `end`, reading backwards 64 KiB at a time.
    private static func lastIndex(of byte: UInt8, in fd: Int32, before end: Int64, path: String) throws -> Int64? {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var stop = end
        while stop > 0 {
            let start = max(0, stop - Int64(chunk.count))
            let want = Int(stop - start)
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(start)) }
            guard n == want else { throw StateError(message: "\(path): cannot read: \(errnoText())") }
            if let i = chunk[..<want].lastIndex(of: byte) { return start + Int64(i) }
            stop = start
        }
        return nil
    }

    /// Appends whole delta lines and makes them durable; `lastSeq` is the seq of the last of them.
    public func append(_ lines: [UInt8], lastSeq: UInt64) throws {
        guard !lines.isEmpty else { return }
        FailPoint.reach("deltas-partial") {
            // Test-only: die in the middle of the append, leaving a torn line behind.
            try? DurableFile.writeAll(fd, Array(lines.prefix(lines.count / 2 + 1)), path: path)
        }
        do {
            try DurableFile.writeAll(fd, lines, path: path)
        } catch let e as DurableFile.Failure {
            throw StateError(message: "\(path): cannot append deltas: \(e.reason); they are kept in the state and written by the next run")
        }
        guard fsync(fd) == 0 else { throw StateError(message: "\(path): fsync failed: \(errnoText())") }
        lastSeqInFile = lastSeq
        FailPoint.reach("deltas-appended")
    }
}
