#if BOUNCETAIL_ISAL
import CIsal
#endif
#if canImport(Glibc)
import Glibc
#endif
import CZlib

/// What one call to a gzip decoder got to.
enum DecodeStep: Equatable {
    /// It used what it was given (or needs more to go on).
    case needInput
    /// The output buffer is full.
    case outputFull
    /// A gzip member ended: its CRC-32 and length matched, the bytes behind it are not consumed.
    case memberEnd
    /// The data is damaged; `held` of the consumed bytes were still unread in the decoder (the damage is before them).
    case damaged(detail: String, held: Int)
}

/// A gzip member decoder from a maintained library: it reads the member's header, inflates the DEFLATE data and
/// checks the CRC-32 and length in its trailer. `GzipSource` goes from member to member around it.
protocol GzipDecoder: AnyObject {
    /// Ready for a new member.
    func reset()
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int, step: DecodeStep)
}

/// The libraries bouncetail can decode gzip with: ISA-L where the build has it (about twice zlib's speed), zlib
/// everywhere.
public enum GzipDecoderKind: String, CaseIterable, Sendable {
    case isal, zlib

    /// The ones this build has, fastest first.
    public static var available: [GzipDecoderKind] {
        #if BOUNCETAIL_ISAL
        [.isal, .zlib]
        #else
        [.zlib]
        #endif
    }

    /// ISA-L when built with it; `BOUNCETAIL_GZIP=zlib` in the environment chooses zlib (for comparing the two).
    public static let preferred: GzipDecoderKind = {
        if let chosen = getenv("BOUNCETAIL_GZIP").map({ String(cString: $0) }), let kind = GzipDecoderKind(rawValue: chosen),
            available.contains(kind)
        {
            return kind
        }
        return available[0]
    }()

    /// The library and its version, for `--version`.
    public var libraryName: String {
        switch self {
        case .isal:
            #if BOUNCETAIL_ISAL
            let v = bt_isal_version()
            return "ISA-L \(v >> 16).\(v >> 8 & 0xff).\(v & 0xff)"
            #else
            return "ISA-L"
            #endif
        case .zlib: return "zlib \(String(cString: zlibVersion()))"
        }
    }

    func makeDecoder() -> GzipDecoder {
        switch self {
        case .isal:
            #if BOUNCETAIL_ISAL
            return IsalDecoder()
            #else
            return ZlibDecoder()
            #endif
        case .zlib: return ZlibDecoder()
        }
    }
}

#if BOUNCETAIL_ISAL
/// ISA-L's `isal_inflate` with its gzip wrapper (crc_flag ISAL_GZIP), through the CIsal shim.
final class IsalDecoder: GzipDecoder {
    private let state: UnsafeMutableRawPointer

    init() {
        guard let state = bt_isal_new() else { fatalError("out of memory for the gzip decoder") }
        self.state = state
    }

    deinit { bt_isal_free(state) }

    func reset() { bt_isal_reset(state) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int, step: DecodeStep)
    {
        var consumed = 0
        var produced = 0
        var pending = 0
        let rc = bt_isal_decode(
            state, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
            output.baseAddress?.assumingMemoryBound(to: UInt8.self), output.count, &consumed, &produced, &pending)
        let step: DecodeStep
        switch rc {
        case Int32(BT_ISAL_NEED_INPUT): step = .needInput
        case Int32(BT_ISAL_OUTPUT_FULL): step = .outputFull
        case Int32(BT_ISAL_MEMBER_END): step = .memberEnd
        default: step = .damaged(detail: Self.describe(rc), held: pending)
        }
        return (consumed, produced, step)
    }

    /// ISA-L's error codes in the words zlib users know.
    private static func describe(_ rc: Int32) -> String {
        switch rc {
        case ISAL_INVALID_BLOCK: return "invalid block type or lengths"
        case ISAL_INVALID_SYMBOL: return "invalid code"
        case ISAL_INVALID_LOOKBACK: return "invalid distance too far back"
        case ISAL_INVALID_WRAPPER: return "incorrect header check"
        case ISAL_UNSUPPORTED_METHOD: return "unknown compression method"
        case ISAL_INCORRECT_CHECKSUM: return "incorrect data check (CRC-32 or length)"
        default: return "decoder error \(rc)"
        }
    }
}
#endif

/// zlib's `inflate` with its gzip wrapper (window bits 15 + 16): the fallback where ISA-L is not built in.
final class ZlibDecoder: GzipDecoder {
    private let stream: UnsafeMutablePointer<z_stream>

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard bouncetail_inflateInit2(stream, 15 + 16) == Z_OK else { fatalError("out of memory for the gzip decoder") }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func reset() { inflateReset(stream) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int, step: DecodeStep)
    {
        let inCount = UInt32(min(input.count, Int(UInt32.max)))
        let outCount = UInt32(min(output.count, Int(UInt32.max)))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = inCount
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = outCount
        let rc = inflate(stream, Z_NO_FLUSH)
        let consumed = Int(inCount - stream.pointee.avail_in)
        let produced = Int(outCount - stream.pointee.avail_out)
        let step: DecodeStep
        switch rc {
        case Z_STREAM_END: step = .memberEnd
        case Z_OK, Z_BUF_ERROR: step = stream.pointee.avail_out == 0 ? .outputFull : .needInput
        case Z_NEED_DICT: step = .damaged(detail: "needs a preset dictionary", held: 0)
        case Z_MEM_ERROR: step = .damaged(detail: "out of memory", held: 0)
        default:
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "data error \(rc)"
            step = .damaged(detail: detail, held: 0)
        }
        return (consumed, produced, step)
    }
}
