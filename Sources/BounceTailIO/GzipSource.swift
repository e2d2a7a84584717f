import BounceTailCore
import CInflate
import CZlib

/// Decompresses a gzip stream on the fly, straight into the caller's buffer (never to disk, never whole).
///
/// The gzip wrapper (header, CRC-32 and length check, members) is read here; the DEFLATE data inside is
/// decoded by the project's own decoder (CInflate), which is about twice as fast as zlib's inflate, and the
/// CRC-32 is folded with carry-less multiplication where the processor has it (zlib's does the rest).
/// Several concatenated members (as `cat a.gz b.gz` or some log rotators make) are read as one stream.
/// Damage is reported after the bytes before it have been handed out: a stream that ends early is
/// `gzipTruncated`, bad data or a bad checksum `gzipCorrupt`, both with the compressed offset.
/// Zero padding after the last member is ignored; other trailing bytes are reported as a warning.
public final class GzipSource: ByteSource {
    private enum Phase { case header, body, trailer, afterMember, finished }

    private let raw: FileSource
    private let inflater: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    /// Compressed bytes read and not yet consumed: input[start..<end].
    private var start = 0
    private var end = 0
    private var inputEnd = false
    private var phase = Phase.header
    /// Decoded bytes for a caller whose buffer is too small to decode into: spill[spillStart..<spillEnd].
    private let spill: UnsafeMutableRawBufferPointer
    private var spillStart = 0
    private var spillEnd = 0
    /// The member's CRC-32 and length (mod 2^32) of what has been decoded.
    private var crc: UInt = 0
    private var length: UInt32 = 0
    private var pendingError: InputError?
    /// Compressed bytes consumed so far.
    public private(set) var compressedOffset: UInt64 = 0
    /// Non-fatal notes for the caller to print (trailing garbage).
    public private(set) var warnings: [String] = []

    init(raw: FileSource) {
        self.raw = raw
        guard let inflater = bt_inflater_new() else { fatalError("out of memory for the gzip decoder") }
        self.inflater = inflater
        input = .allocate(byteCount: 256 * 1024, alignment: 16)
        spill = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        bt_inflater_free(inflater)
        input.deallocate()
        spill.deallocate()
    }

    public var path: String { raw.path }

    private var available: Int { end - start }
    private var bytes: UnsafeMutablePointer<UInt8> { input.baseAddress!.assumingMemoryBound(to: UInt8.self) + start }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        while true {
            if spillStart < spillEnd {
                let n = min(spillEnd - spillStart, buffer.count)
                buffer.baseAddress!.copyMemory(from: spill.baseAddress! + spillStart, byteCount: n)
                spillStart += n
                return .bytes(n)
            }
            if let e = pendingError {
                pendingError = nil
                phase = .finished
                throw e
            }
            switch phase {
            case .finished: return .end
            case .header: readHeader()
            case .body:
                // Straight into the caller's buffer (no copy) when it has the room the decoder needs.
                if buffer.count >= Int(BT_INFLATE_MIN_OUTPUT) {
                    let n = inflateSome(into: buffer)
                    if n > 0 { return .bytes(n) }
                } else {
                    spillStart = 0
                    spillEnd = inflateSome(into: spill)
                }
            case .trailer: checkTrailer()
            case .afterMember: lookPastMember()
            }
        }
    }

    private func fail(_ error: InputError) {
        pendingError = error
        phase = .finished
    }

    private var truncated: InputError {
        .gzipTruncated(path: raw.path, offset: compressedOffset + UInt64(available))
    }

    private func consume(_ n: Int) {
        start += n
        compressedOffset += UInt64(n)
    }

    /// Reads more compressed bytes behind those not yet consumed; false at the end of the file.
    @discardableResult
    private func readMore() -> Bool {
        guard !inputEnd else { return false }
        if start > 0 {
            input.baseAddress!.copyMemory(from: input.baseAddress! + start, byteCount: available)
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
            fail(error as? InputError ?? .readFailed(path: raw.path, reason: "\(error)"))
            inputEnd = true
            return false
        }
    }

    /// Whether `n` compressed bytes are at hand (reading more as needed).
    private func ensure(_ n: Int) -> Bool {
        while available < n {
            if !readMore() || (start == 0 && end == input.count) { break }
        }
        return available >= n
    }

    /// RFC 1952's member header: magic, method, flags, and the optional fields the flags announce.
    private func readHeader() {
        guard ensure(10) else { return fail(pendingError ?? truncated) }
        let p = bytes
        guard p[0] == 0x1f && p[1] == 0x8b else {
            return fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: "incorrect header check"))
        }
        guard p[2] == 8 else {
            return fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: "unknown compression method"))
        }
        let flags = p[3]
        guard flags & 0xe0 == 0 else {
            return fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: "unknown header flags set"))
        }
        var size = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard ensure(size + 2) else { return fail(pendingError ?? truncated) }
            size += 2 + Int(bytes[size]) + Int(bytes[size + 1]) << 8
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while true {
                guard ensure(size + 1) else { return fail(pendingError ?? truncated) }
                if bytes[size] == 0 { break }
                size += 1
            }
            size += 1
        }
        if flags & 0x02 != 0 { size += 2 }  // FHCRC
        guard ensure(size) else {
            if available == input.count {
                return fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: "gzip header too long"))
            }
            return fail(pendingError ?? truncated)
        }
        if flags & 0x02 != 0 {
            let stored = UInt(bytes[size - 2]) | UInt(bytes[size - 1]) << 8
            guard crc32(0, bytes, UInt32(size - 2)) & 0xffff == stored else {
                return fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: "header crc mismatch"))
            }
        }
        consume(size)
        bt_inflater_reset(inflater)
        crc = crc32(0, nil, 0)
        length = 0
        phase = .body
    }

    /// Decodes into `out`; returns how many bytes it wrote (their CRC and length counted).
    private func inflateSome(into out: UnsafeMutableRawBufferPointer) -> Int {
        var used = 0
        var produced = 0
        let o = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let rc = bt_inflate(inflater, bytes, available, inputEnd ? 1 : 0, &used, o, out.count, &produced)
        consume(used)
        if produced > 0 {
            var fast = UInt32(truncatingIfNeeded: crc)
            let folded = bt_crc32_fold(&fast, o, produced)
            crc = crc32(UInt(fast), o + folded, UInt32(produced - folded))
            length &+= UInt32(truncatingIfNeeded: produced)
        }
        switch rc {
        case Int32(BT_INFLATE_NEED_INPUT):
            readMore()
        case Int32(BT_INFLATE_OUTPUT_FULL):
            break
        case Int32(BT_INFLATE_END):
            phase = .trailer
        case Int32(BT_INFLATE_TRUNCATED):
            fail(pendingError ?? truncated)
        default:
            let detail = String(cString: bt_inflater_error(inflater))
            fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: detail))
        }
        return produced
    }

    /// CRC-32 and length of the member's data, checked once all of it has been handed out.
    private func checkTrailer() {
        guard ensure(8) else { return fail(pendingError ?? truncated) }
        let p = bytes
        let storedCRC = UInt(p[0]) | UInt(p[1]) << 8 | UInt(p[2]) << 16 | UInt(p[3]) << 24
        let storedLength = UInt32(p[4]) | UInt32(p[5]) << 8 | UInt32(p[6]) << 16 | UInt32(p[7]) << 24
        guard storedCRC == crc else {
            return fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: "incorrect data check"))
        }
        guard storedLength == length else {
            return fail(.gzipCorrupt(path: raw.path, offset: compressedOffset, detail: "incorrect length check"))
        }
        consume(8)
        phase = .afterMember
    }

    /// After a member: another member, zero padding (ignored), or other bytes (reported once and ignored).
    private func lookPastMember() {
        phase = .finished
        guard ensure(1) else { return }
        if ensure(2) && bytes[0] == 0x1f && bytes[1] == 0x8b {
            phase = .header
            return
        }
        var allZero = true
        repeat {
            let p = bytes
            for k in 0..<available where p[k] != 0 {
                allZero = false
                break
            }
            consume(available)
        } while allZero && readMore()
        if !allZero { warnings.append("\(raw.path): trailing garbage after gzip data ignored") }
    }
}
