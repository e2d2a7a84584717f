import BounceTailCore

/// Hands out some bytes already read (a peeked head, the rest of a chunk read while skipping), then the
/// source they came from.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var used = 0
    let inner: ByteSource

    init(_ prefix: [UInt8], then inner: ByteSource) {
        self.prefix = prefix
        self.inner = inner
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        if used < prefix.count {
            let n = min(buffer.count, prefix.count - used)
            prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + used, byteCount: n) }
            used += n
            if used == prefix.count { prefix = [] ; used = 0 }
            return .bytes(n)
        }
        return try inner.read(into: buffer)
    }
}

/// Reads exactly up to `count` bytes (fewer only at the end of the source).
func readUpTo(_ count: Int, from source: ByteSource) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
        let r = try out.withUnsafeMutableBytes {
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]))
        }
        guard case .bytes(let n) = r else { break }
        got += n
    }
    out.removeLast(count - got)
    return out
}
