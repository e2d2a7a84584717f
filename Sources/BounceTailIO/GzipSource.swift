import BounceTailCore
import CZlib

/// Decompresses a gzip stream on the fly, straight into the caller's buffer (never to disk, never whole).
///
/// Several concatenated members (as `cat a.gz b.gz` or some log rotators make) are read as one stream.
/// Damage is reported after the bytes before it have been handed out: a stream that ends early is
/// `gzipTruncated`, bad data or a bad checksum `gzipCorrupt`, both with the compressed offset.
/// Zero padding after the last member is ignored; other trailing bytes are reported as a warning.
public final class GzipSource: ByteSource {
    private let raw: FileSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnd = false
    private var memberEnded = false
    private var finished = false
    private var pendingError: InputError?
    /// Compressed bytes consumed by zlib so far.
    public private(set) var compressedOffset: UInt64 = 0
    /// Non-fatal notes for the caller to print (trailing garbage).
    public private(set) var warnings: [String] = []

    init(raw: FileSource) {
        self.raw = raw
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 256 * 1024, alignment: 16)
        // 15 + 16: a gzip wrapper, full window.
        let rc = bouncetail_inflateInit2(stream, 15 + 16)
        if rc != Z_OK { pendingError = .gzipCorrupt(path: raw.path, offset: 0, detail: "zlib init failed (\(rc))") }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    public var path: String { raw.path }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        if let e = pendingError {
            pendingError = nil
            finished = true
            throw e
        }
        if finished { return .end }
        let out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.next_out = out
        stream.pointee.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 {
                if !refill() { break }
            }
            if memberEnded {
                // Another member follows, or padding / garbage.
                if !startNextMember() { break }
            }
            let before = stream.pointee.avail_in
            let rc = inflate(stream, Z_NO_FLUSH)
            compressedOffset += UInt64(before - stream.pointee.avail_in)
            if rc == Z_STREAM_END {
                memberEnded = true
                continue
            }
            if rc == Z_OK || rc == Z_BUF_ERROR { continue }
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
            pendingError = .gzipCorrupt(path: raw.path, offset: compressedOffset, detail: detail)
            break
        }
        let produced = buffer.count - Int(stream.pointee.avail_out)
        if produced > 0 { return .bytes(produced) }
        if let e = pendingError {
            pendingError = nil
            finished = true
            throw e
        }
        finished = true
        if !memberEnded { throw InputError.gzipTruncated(path: raw.path, offset: compressedOffset) }
        return .end
    }

    /// Reads more compressed input; false at the end of the file.
    private func refill() -> Bool {
        guard !inputEnd else { return false }
        do {
            switch try raw.read(into: input) {
            case .bytes(let n):
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_in = UInt32(n)
                return true
            case .end, .idle:
                inputEnd = true
                return false
            }
        } catch {
            pendingError = error as? InputError ?? .readFailed(path: raw.path, reason: "\(error)")
            inputEnd = true
            return false
        }
    }

    /// After a member's end: reset for the next member if the magic follows, else decide about the rest.
    private func startNextMember() -> Bool {
        // Need at least two bytes to see the magic.
        while stream.pointee.avail_in < 2 {
            if stream.pointee.avail_in == 1 {
                let last = stream.pointee.next_in.pointee
                // Carry one byte over into a fresh read.
                input.storeBytes(of: last, toByteOffset: 0, as: UInt8.self)
                guard !inputEnd, let n = try? raw.read(into: UnsafeMutableRawBufferPointer(rebasing: input[1...])),
                    case .bytes(let got) = n
                else {
                    if last != 0 { warnings.append("\(raw.path): trailing garbage after gzip data ignored") }
                    stream.pointee.avail_in = 0
                    return false
                }
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_in = UInt32(got + 1)
            } else if !refill() {
                return false
            }
        }
        let p = stream.pointee.next_in!
        if p[0] == 0x1f && p[1] == 0x8b {
            inflateReset(stream)
            memberEnded = false
            return true
        }
        // Not another member: zero padding is fine, anything else is reported once and ignored.
        var allZero = true
        repeat {
            let q = stream.pointee.next_in!
            for k in 0..<Int(stream.pointee.avail_in) where q[k] != 0 {
                allZero = false
                break
            }
            compressedOffset += UInt64(stream.pointee.avail_in)
            stream.pointee.avail_in = 0
        } while allZero && refill()
        if !allZero { warnings.append("\(raw.path): trailing garbage after gzip data ignored") }
        inputEnd = true
        return false
    }
}
