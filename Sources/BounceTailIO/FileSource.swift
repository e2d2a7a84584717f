#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BounceTailCore

/// Raw bytes of an open file descriptor (a file or stdin), after any bytes already sniffed from it.
public final class FileSource: ByteSource {
    public let path: String
    let fd: Int32
    private let ownsDescriptor: Bool
    private var prefix: [UInt8]
    /// Bytes of the file read so far (including the sniffed prefix).
    public private(set) var bytesRead: UInt64 = 0

    init(path: String, fd: Int32, ownsDescriptor: Bool, prefix: [UInt8]) {
        self.path = path
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.prefix = prefix
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// Moves to an absolute position of a regular file (drops any sniffed prefix); false if it cannot seek.
    /// Where the descriptor is now (for progress; safe to ask from another thread than the reader's).
    public var position: UInt64 { UInt64(max(0, lseek(fd, 0, SEEK_CUR))) }

    public func seek(to offset: UInt64) -> Bool {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { return false }
        prefix = []
        bytesRead = offset
        return true
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        if !prefix.isEmpty {
            let n = min(prefix.count, buffer.count)
            prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            prefix.removeFirst(n)
            bytesRead += UInt64(n)
            return .bytes(n)
        }
        let n = try readRetrying(fd, buffer, path: path)
        bytesRead += UInt64(n)
        return n == 0 ? .end : .bytes(n)
    }
}
