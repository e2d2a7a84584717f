import BounceTailCore

/// Decompresses a gzip stream on the fly, straight into the caller's buffer (never to disk, never whole).
///
/// Each member (header, DEFLATE data, CRC-32 and length) is read by a maintained library: ISA-L where the build
/// has it, zlib otherwise (`GzipDecoder`). This type only goes from member to member: several concatenated members
/// (as `cat a.gz b.gz` or some log rotators make) are read as one stream; zero padding after the last member is
/// ignored, other trailing bytes are reported as a warning. Damage is reported after the bytes before it have been
/// handed out: a stream that ends early is `gzipTruncated`, bad data or a bad checksum `gzipCorrupt`, both with the
/// compressed offset.
public final class GzipSource: ByteSource {
    private enum Phase { case member, afterMember, finished }

    private let raw: ByteSource
    public let path: String
    private let decoder: GzipDecoder
    private let input: UnsafeMutableRawBufferPointer
    /// Compressed bytes read and not yet consumed: input[start..<end].
    private var start = 0
    private var end = 0
    private var inputEnd = false
    private var phase = Phase.member
    private var atMemberStart = true
    private var pendingError: InputError?
    /// Compressed bytes consumed so far.
    public private(set) var compressedOffset: UInt64 = 0
    /// Non-fatal notes for the caller to print (trailing garbage).
    public private(set) var warnings: [String] = []

    /// `raw` gives the compressed bytes; `path` names them in errors.
    public init(raw: ByteSource, path: String, decoder: GzipDecoderKind = .preferred) {
        self.raw = raw
        self.path = path
        self.decoder = decoder.makeDecoder()
        input = .allocate(byteCount: 256 * 1024, alignment: 64)
    }

    deinit { input.deallocate() }

    private var available: Int { end - start }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        while true {
            if let e = pendingError {
                pendingError = nil
                phase = .finished
                throw e
            }
            switch phase {
            case .finished: return .end
            case .member:
                let n = decodeSome(into: buffer)
                if n > 0 { return .bytes(n) }
            case .afterMember: lookPastMember()
            }
        }
    }

    private func fail(_ error: InputError) {
        if pendingError == nil { pendingError = error }
        phase = .finished
    }

    private func consume(_ n: Int) {
        start += n
        compressedOffset += UInt64(n)
    }

    /// Reads more compressed bytes behind those not yet consumed; false at the end of the file (or on an error).
    @discardableResult
    private func readMore() -> Bool {
        guard !inputEnd else { return false }
        if start > 0 {
            if available > 0 { input.baseAddress!.copyMemory(from: input.baseAddress! + start, byteCount: available) }
            end = available
            start = 0
        }
        guard end < input.count else { return true }
        do {
            switch try raw.read(into: UnsafeMutableRawBufferPointer(rebasing: input[end...])) {
            case .bytes(let n):
                end += n
                return true
            case .end, .idle:
                inputEnd = true
                return false
            }
        } catch {
            fail(error as? InputError ?? .readFailed(path: path, reason: "\(error)"))
            inputEnd = true
            return false
        }
    }

    /// Decodes into `out`; returns how many bytes it wrote.
    private func decodeSome(into out: UnsafeMutableRawBufferPointer) -> Int {
        if atMemberStart {
            atMemberStart = false
            // The whole header in one piece: ISA-L 2.30 checks a header CRC (FHCRC) wrongly when the header
            // reaches it over several calls.
            while available < input.count && readMore() {}
            // Reserved flag bits must be zero (RFC 1952 2.3.1.2); zlib refuses them, ISA-L would not.
            if available >= 4 && input[start + 3] & 0xe0 != 0 {
                fail(.gzipCorrupt(path: path, offset: compressedOffset, detail: "unknown header flags set"))
                return 0
            }
        }
        if available == 0 && !inputEnd { readMore() }
        let (used, produced, step) = decoder.decode(
            UnsafeRawBufferPointer(start: input.baseAddress! + start, count: available), into: out)
        consume(used)
        switch step {
        case .outputFull: break
        case .memberEnd: phase = .afterMember
        case .damaged(let detail, let held):
            fail(.gzipCorrupt(path: path, offset: compressedOffset - UInt64(min(held, used)), detail: detail))
        case .needInput:
            guard used == 0 && produced == 0 else { break }
            if !readMore() {
                fail(.gzipTruncated(path: path, offset: compressedOffset + UInt64(available)))
            } else if available == input.count {
                fail(.gzipCorrupt(path: path, offset: compressedOffset, detail: "the decoder made no progress"))
            }
        }
        return produced
    }

    /// After a member: another member, zero padding (ignored), or other bytes (reported once and ignored).
    private func lookPastMember() {
        phase = .finished
        while available < 2 && readMore() {}
        guard available > 0 else { return }
        let p = input.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
        if available >= 2 && p[0] == 0x1f && p[1] == 0x8b {
            decoder.reset()
            phase = .member
            atMemberStart = true
            return
        }
        var allZero = true
        repeat {
            let q = input.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
            for k in 0..<available where q[k] != 0 {
                allZero = false
                break
            }
            consume(available)
        } while allZero && readMore()
        if !allZero { warnings.append("\(path): trailing garbage after gzip data ignored") }
    }
}
