#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The reader of our output went away (`| head`): a normal way for a run to end.
public struct BrokenPipe: Error {}

/// Buffered writes to a file descriptor (stdout), with `EPIPE` turned into `BrokenPipe`.
public final class OutputStream {
    private let fd: Int32
    public var buffer: [UInt8] = []
    public let flushAt: Int

    public init(fd: Int32 = 1, flushAt: Int = 1 << 16) {
        self.fd = fd
        self.flushAt = flushAt
        buffer.reserveCapacity(flushAt * 2)
        signal(SIGPIPE, SIG_IGN)
    }

    @inline(__always)
    public func flushIfFull() throws {
        if buffer.count >= flushAt { try flush() }
    }

    public func flush() throws {
        try write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes bytes straight through (the caller keeps its own buffer).
    public func write(_ bytes: [UInt8]) throws {
        var written = 0
        try bytes.withUnsafeBytes { b in
            while written < b.count {
                let n = Glibc.write(fd, b.baseAddress! + written, b.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { throw BrokenPipe() }
                    throw OutputError(reason: errnoText())
                }
                written += n
            }
        }
    }
}

public struct OutputError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "cannot write output: \(reason)" }
}

/// Writes a line to stderr unbuffered (diagnostics).
public func printError(_ text: String) {
    var line = text
    line += "\n"
    line.withUTF8 { b in
        var off = 0
        while off < b.count {
            let n = write(2, b.baseAddress! + off, b.count - off)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            off += n
        }
    }
}
