/// What one read from a byte source produced.
public enum ReadResult: Equatable, Sendable {
    /// This many bytes were written at the start of the buffer.
    case bytes(Int)
    /// Nothing now; more may come later (a followed file at its current end).
    case idle
    /// The source is exhausted.
    case end
}

/// Anything that yields bytes: a plain file, a gzip stream, stdin, a followed file, or test data.
public protocol ByteSource: AnyObject {
    /// Fills the start of `buffer` with the next bytes (at most `buffer.count`).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult
}

/// A byte source over bytes held in memory, handed out in pieces of `chunk` bytes (tests, `explain --line`).
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private let chunk: Int
    private var position = 0

    public init(_ bytes: [UInt8], chunk: Int = Int.max) {
        self.bytes = bytes
        self.chunk = max(1, chunk)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        guard position < bytes.count else { return .end }
        let n = min(buffer.count, chunk, bytes.count - position)
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return .bytes(n)
    }
}
