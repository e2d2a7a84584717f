import BounceTailCore
import BounceTailIO
import BounceTailTestSupport
import CZlib
import Foundation
import Testing

private func crc32Of(_ bytes: [UInt8]) -> UInt32 {
    UInt32(bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
}

private func littleEndian(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

/// Compressed bytes handed out in pieces of random size, as a file or pipe would.
private final class RandomPieces: ByteSource {
    private let bytes: [UInt8]
    private let maxPiece: Int
    private var rng: SplitMix64
    private var at = 0

    init(_ bytes: [UInt8], maxPiece: Int, seed: UInt64) {
        self.bytes = bytes
        self.maxPiece = maxPiece
        rng = SplitMix64(state: seed)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        guard at < bytes.count else { return .end }
        let n = min(bytes.count - at, buffer.count, 1 + Int(rng.next() % UInt64(maxPiece)))
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + at, byteCount: n) }
        at += n
        return .bytes(n)
    }
}

private struct Decoded {
    var output: [UInt8] = []
    var error: InputError?
    var warnings: [String] = []
    /// Whether a read wrote past the room it was given.
    var overran = false
}

/// `gz` through GzipSource with the given decoder, into caller buffers of random size (often tiny, so output stops
/// inside matches and stored blocks), each followed by guard bytes that must stay as they were.
private func decode(_ gz: [UInt8], with kind: GzipDecoderKind, maxPiece: Int = 70_000, seed: UInt64) -> Decoded {
    var rng = SplitMix64(state: seed)
    let source = GzipSource(raw: RandomPieces(gz, maxPiece: maxPiece, seed: rng.next()), path: "test.gz", decoder: kind)
    var result = Decoded()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 140_000, alignment: 16)
    defer { buffer.deallocate() }
    do {
        while true {
            let room = rng.next() % 2 == 0 ? 1 + Int(rng.next() % 600) : 1 + Int(rng.next() % 130_000)
            for k in room..<(room + 64) { buffer[k] = 0xA5 }
            let r = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<room]))
            if (room..<(room + 64)).contains(where: { buffer[$0] != 0xA5 }) { result.overran = true }
            guard case .bytes(let n) = r else { break }
            result.output += buffer[..<n]
        }
    } catch {
        result.error = error as? InputError
    }
    result.warnings = source.warnings
    return result
}

/// Inputs of the shapes that stress a decoder: incompressible bytes (stored blocks), log-like text (long matches
/// up to 32 KiB back), short periods (overlapping copies), skewed bytes (long codes).
private func sample(_ kind: Int, count: Int, rng: inout SplitMix64) -> [UInt8] {
    var d = [UInt8](repeating: 0, count: count)
    let words: [[UInt8]] = ["status=bounced ", "to=<", "@example.net>, ", "relay=", "dsn=5.1.1, ", "\n", "Nov 23 "].map { Array($0.utf8) }
    var i = 0
    while i < count {
        switch kind {
        case 0:
            d[i] = UInt8(truncatingIfNeeded: rng.next())
            i += 1
        case 1:
            if i > 64 && rng.next() % 3 != 0 {
                let back = 1 + Int(rng.next() % UInt64(min(i, 32_000)))
                let len = min(count - i, 3 + Int(rng.next() % 300))
                for k in 0..<len { d[i + k] = d[i - back + k % back] }
                i += len
            } else {
                let w = words[Int(rng.next() % UInt64(words.count))]
                for b in w where i < count {
                    d[i] = b
                    i += 1
                }
            }
        case 2:
            let period = 1 + Int(rng.next() % 7)
            let len = min(count - i, 1 + Int(rng.next() % 600))
            for k in 0..<len { d[i + k] = k < period ? UInt8(truncatingIfNeeded: rng.next()) : d[i + k - period] }
            i += len
        default:
            d[i] = UInt8((rng.next() | 1 << 40).trailingZeroBitCount * 6 + Int(rng.next() % 3))
            i += 1
        }
    }
    return d
}

private func isDamage(_ e: InputError?) -> Bool {
    switch e {
    case .gzipCorrupt, .gzipTruncated: return true
    default: return false
    }
}

/// The two decoders this project reads gzip with (ISA-L, and zlib as the fallback) over the same streams.
@Suite struct GzipDecoderTests {
    @Test func thisBuildDecodesWithIsalAndKeepsZlibBesideIt() {
        // .ci/run installs libisal-dev, so the tests run the build users get: ISA-L first, zlib beside it.
        #expect(GzipDecoderKind.available == [.isal, .zlib])
        #expect(GzipDecoderKind.isal.libraryName.hasPrefix("ISA-L 2."))
    }

    @Test(arguments: GzipDecoderKind.available)
    func everyLevelStrategyWindowAndFlushDecodesToTheOriginal(kind: GzipDecoderKind) {
        var rng = SplitMix64(state: 0x1AF1A7E)
        let strategies = [Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED]
        var cases = 0
        for shape in 0..<4 {
            for level: Int32 in [0, 1, 6, 9] {
                for strategy in strategies {
                    let count = [0, 1, 300, 70_000][Int(rng.next() % 4)]
                    let data = sample(shape, count: count, rng: &rng)
                    let windowBits = Int32(9 + rng.next() % 7)
                    let memLevel = Int32(1 + rng.next() % 9)
                    let flush: Int? = rng.next() % 3 == 0 ? 1 + Int(rng.next() % 5000) : nil
                    let gz = zlibGzip(data, level: level, windowBits: windowBits, memLevel: memLevel, strategy: strategy,
                                      flushEvery: flush)
                    let d = decode(gz, with: kind, maxPiece: rng.next() % 2 == 0 ? 3000 : 300_000, seed: rng.next())
                    #expect(d.error == nil && d.output == data && !d.overran,
                            "shape \(shape) level \(level) strategy \(strategy) count \(count) window \(windowBits)")
                    cases += 1
                }
            }
        }
        // Megabytes, so the history slides while matches still reach back across reads.
        let big = sample(1, count: 3_500_000, rng: &rng)
        let d = decode(zlibGzip(big, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY), with: kind, seed: 5)
        #expect(d.error == nil && d.output == big)
        #expect(cases == 80)
    }

    @Test(arguments: GzipDecoderKind.available)
    func aStreamCutAnywhereIsTruncatedAtTheCutAfterAPrefixOfItsData(kind: GzipDecoderKind) {
        var rng = SplitMix64(state: 7)
        let data = sample(1, count: 30_000, rng: &rng) + sample(3, count: 3_000, rng: &rng)
        let gz = zlibGzip(data, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY, flushEvery: 9_000)
        for cut in 2..<gz.count {
            let d = decode(Array(gz[..<cut]), with: kind, maxPiece: 5000, seed: UInt64(cut))
            guard case .gzipTruncated(let path, let offset) = d.error else {
                Issue.record("cut at \(cut) of \(gz.count): \(String(describing: d.error))")
                continue
            }
            #expect(path == "test.gz" && offset == UInt64(cut), "cut at \(cut): offset \(offset)")
            #expect(d.output.count <= data.count && Array(data[..<d.output.count]) == d.output, "cut at \(cut): not a prefix")
        }
    }

    @Test func damagedStreamsGetTheSameVerdictFromBothDecoders() {
        var rng = SplitMix64(state: 99)
        var refused = 0
        for round in 0..<400 {
            let data = sample(round % 4, count: 2_000 + Int(rng.next() % 30_000), rng: &rng)
            var gz = zlibGzip(data, level: Int32(rng.next() % 10), windowBits: 15, strategy: Z_DEFAULT_STRATEGY)
            for _ in 0...(rng.next() % 3) { gz[Int(rng.next() % UInt64(gz.count))] ^= UInt8(1 + rng.next() % 255) }
            let seed = rng.next()
            let results = GzipDecoderKind.available.map { decode(gz, with: $0, maxPiece: 4000, seed: seed) }
            for (kind, d) in zip(GzipDecoderKind.available, results) {
                #expect(!d.overran, "round \(round) \(kind)")
                if d.error == nil {
                    #expect(d.output == data, "round \(round) \(kind): accepted a damaged stream with other data")
                } else {
                    #expect(isDamage(d.error), "round \(round) \(kind): \(String(describing: d.error))")
                }
            }
            #expect(Set(results.map { $0.error == nil }).count == 1, "round \(round): the decoders disagree")
            if results[0].error != nil { refused += 1 }
        }
        #expect(refused > 300)  // the damage did reach the decoders
    }

    /// Found by the fuzzer: a dynamic block whose code lengths zlib calls invalid, followed by zeros. zlib refuses
    /// the stream; ISA-L, less strict about code lengths, reads it as a block of nothing (the zeros after it
    /// are a valid empty trailer). Neither gives a byte, and neither writes past what it was given.
    @Test func codeLengthsZlibRefusesGiveNoBytesFromEitherDecoder() throws {
        let gz = try #require(Data(base64Encoded: "H4sIAQA7T+Ej7e3t7e3t7e3t7e0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADAAAAAAAAAACPAAAAAAAAAAAAAAAAAAAAAAAAAAAA7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7RsVmdjYrrxAxaFqXajUxCVxWbft7e3t7e3t7e3t7e3t7e3t7e3tADsA"))
        for kind in GzipDecoderKind.available {
            let d = decode(Array(gz), with: kind, maxPiece: 97, seed: 1)
            #expect(d.output.isEmpty && !d.overran, "\(kind)")
            if kind == .zlib { #expect(isDamage(d.error), "\(String(describing: d.error))") }
        }
    }

    /// Members of every header shape, one after another: optional fields, an empty member, zero padding.
    @Test(arguments: GzipDecoderKind.available)
    func everyHeaderFieldAndMemberBoundaryIsReadAndChecked(kind: GzipDecoderKind) {
        let log = Array((0..<200).map { "Nov 23 10:00:01 mx postfix/smtp[1]: ABCDE\($0 + 10_000): to=<u\($0)@example.net>, relay=none, delay=1, dsn=2.0.0, status=sent (250 ok)\n" }.joined().utf8)
        let plain = zlibGzip(log, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY)
        let body = Array(plain[10..<(plain.count - 8)])
        enum Damage { case none, headerCRC, dataCRC, length, flags, method }
        func member(_ damage: Damage = .none, data: [UInt8]? = nil) -> [UInt8] {
            let data = data ?? log
            let deflated = data == log ? body : Array(zlibGzip(data, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY).dropFirst(10).dropLast(8))
            // FHCRC | FEXTRA | FNAME | FCOMMENT
            var h: [UInt8] = [0x1f, 0x8b, damage == .method ? 7 : 8, 0x02 | 0x04 | 0x08 | 0x10 | (damage == .flags ? 0x40 : 0), 0, 0, 0, 0, 0, 3]
            h += [5, 0] + Array("extra".utf8)
            h += Array("mail.log.1".utf8) + [0] + Array("rotated".utf8) + [0]
            let hcrc = (crc32Of(h) & 0xffff) ^ (damage == .headerCRC ? 1 : 0)
            h += [UInt8(hcrc & 0xff), UInt8(hcrc >> 8)]
            let crc = crc32Of(data) ^ (damage == .dataCRC ? 1 : 0)
            let size = UInt32(data.count) ^ (damage == .length ? 1 : 0)
            return h + deflated + littleEndian(crc) + littleEndian(size)
        }
        let empty = zlibGzip([], level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY)
        let whole = member() + empty + plain + member() + [UInt8](repeating: 0, count: 5000)
        for seed: UInt64 in 1...20 {
            let d = decode(whole, with: kind, maxPiece: seed % 2 == 0 ? 7 : 900, seed: seed)
            #expect(d.error == nil && d.warnings.isEmpty && d.output == log + log + log, "seed \(seed): \(String(describing: d.error)) \(d.warnings) \(d.output.count)")
        }
        let junk = decode(member() + Array("junk after".utf8), with: kind, seed: 3)
        #expect(junk.error == nil && junk.output == log && junk.warnings == ["test.gz: trailing garbage after gzip data ignored"])

        // Damage in a header: nothing of that member comes out; in a trailer: the data came out, then the error.
        for damage in [Damage.headerCRC, .flags, .method] {
            let d = decode(member() + member(damage), with: kind, seed: 4)
            guard case .gzipCorrupt(_, let offset, _) = d.error else {
                Issue.record("\(damage): \(String(describing: d.error))")
                continue
            }
            #expect(d.output == log, "\(damage)")
            #expect(offset >= UInt64(member().count) && offset <= UInt64(member().count + 40), "\(damage): offset \(offset)")
        }
        for damage in [Damage.dataCRC, .length] {
            let d = decode(member(damage) + member(), with: kind, seed: 5)
            guard case .gzipCorrupt(_, _, let detail) = d.error else {
                Issue.record("\(damage): \(String(describing: d.error))")
                continue
            }
            #expect(d.output == log && detail.contains("check"), "\(damage): \(detail)")
        }
    }
}
