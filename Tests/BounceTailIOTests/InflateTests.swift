import BounceTailCore
import BounceTailIO
import BounceTailTestSupport
import CInflate
import CZlib
import Foundation
import Testing

/// zlib's raw DEFLATE of `data`, flushing every `flushEvery` bytes when given (which makes stored and empty blocks).
private func zlibDeflate(_ data: [UInt8], level: Int32, windowBits: Int32, strategy: Int32, flushEvery: Int?) -> [UInt8] {
    var z = z_stream()
    precondition(bouncetail_deflateInit2(&z, level, -windowBits, 8, strategy) == Z_OK)
    defer { deflateEnd(&z) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&z, UInt(data.count))) * 2 + 65536)
    var input = data
    input.withUnsafeMutableBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o in
            z.next_out = o.baseAddress
            z.avail_out = UInt32(o.count)
            var fed = 0
            repeat {
                let n = min(flushEvery ?? data.count, data.count - fed)
                z.next_in = inp.baseAddress.map { $0 + fed }
                z.avail_in = UInt32(n)
                fed += n
                let flush = fed == data.count ? Z_FINISH : (fed / n % 2 == 0 ? Z_SYNC_FLUSH : Z_FULL_FLUSH)
                let rc = deflate(&z, flush)
                precondition(rc == (flush == Z_FINISH ? Z_STREAM_END : Z_OK), "deflate: \(rc)")
            } while fed < data.count
        }
    }
    return Array(out[..<Int(z.total_out)])
}

/// zlib's verdict on raw DEFLATE bytes: its output if they decode to the end, else nil.
private func zlibInflate(_ c: [UInt8], limit: Int) -> [UInt8]? {
    var z = z_stream()
    precondition(bouncetail_inflateInit2(&z, -15) == Z_OK)
    defer { inflateEnd(&z) }
    var out = [UInt8](repeating: 0, count: limit)
    var input = c
    let rc = input.withUnsafeMutableBufferPointer { i in
        out.withUnsafeMutableBufferPointer { o in
            z.next_in = i.baseAddress
            z.avail_in = UInt32(i.count)
            z.next_out = o.baseAddress
            z.avail_out = UInt32(o.count)
            return inflate(&z, Z_FINISH)
        }
    }
    return rc == Z_STREAM_END ? Array(out[..<Int(z.total_out)]) : nil
}

/// The project's decoder over `c`, handed in pieces of random size as a reader would (unconsumed bytes passed again
/// with the next piece), writing into fresh buffers of random size filled with junk: often small, so that many
/// matches reach back into the history the decoder keeps from earlier calls. Each call sees a copy of exactly its
/// bytes, so a read past them is a memory error.
private func ourInflate(_ c: [UInt8], maxPiece: Int, generic: Bool = false, rng: inout SplitMix64)
    -> (rc: Int32, output: [UInt8])
{
    let s = bt_inflater_new()!
    defer { bt_inflater_free(s) }
    bt_inflater_use_generic(s, generic ? 1 : 0)
    var output: [UInt8] = []
    var at = 0
    var want = 0
    let least = Int(BT_INFLATE_MIN_OUTPUT)
    while true {
        let n = min(c.count - at, max(want, 1 + Int(rng.next() % UInt64(maxPiece))))
        let last: Int32 = at + n == c.count ? 1 : 0
        var used = 0
        var produced = 0
        let piece = Array(c[at..<at + n])
        let room = rng.next() % 2 == 0 ? least + Int(rng.next() % 600) : least + Int(rng.next() % 70_000)
        var out = (0..<room).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let rc = piece.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { bt_inflate(s, p.baseAddress, n, last, &used, $0.baseAddress, room, &produced) }
        }
        at += used
        output.append(contentsOf: out[0..<produced])
        if rc == BT_INFLATE_END || rc < 0 { return (rc, output) }
        want = rc == BT_INFLATE_NEED_INPUT && used == 0 ? n * 2 : 0
    }
}

/// Inputs of the shapes that stress a decoder: incompressible bytes (stored blocks), log-like text (long matches
/// up to 32 KiB back), short periods (overlapping copies), skewed bytes (codes longer than the look-up table).
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
                let back = 1 + Int(rng.next() % UInt64(min(i, 40_000)))
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

@Suite struct InflateTests {
    /// Both builds of the decoder (for any x86-64, and with BMI2 where the processor has it).
    @Test(arguments: [false, true])
    func decodesWhatZlibEncodesAtEveryLevelStrategyAndWindowSize(generic: Bool) {
        var rng = SplitMix64(state: 0x1AF1A7E)
        let strategies = [Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED]
        var cases = 0
        for kind in 0..<4 {
            for level: Int32 in [0, 1, 6, 9] {
                for strategy in strategies {
                    let count = [0, 1, 300, 70_000][Int(rng.next() % 4)]
                    let data = sample(kind, count: count, rng: &rng)
                    let windowBits = Int32(9 + rng.next() % 7)
                    let flush: Int? = rng.next() % 3 == 0 ? 1 + Int(rng.next() % 5000) : nil
                    let c = zlibDeflate(data, level: level, windowBits: windowBits, strategy: strategy, flushEvery: flush)
                    let maxPiece = rng.next() % 2 == 0 ? 3000 : 300_000
                    let (rc, out) = ourInflate(c, maxPiece: maxPiece, generic: generic, rng: &rng)
                    #expect(rc == BT_INFLATE_END && out == data, "kind \(kind) level \(level) strategy \(strategy) count \(count)")
                    cases += 1
                }
            }
        }
        // Megabytes, so the kept history slides while matches still reach back across calls.
        let big = sample(1, count: 3_500_000, rng: &rng)
        let (rc, out) = ourInflate(zlibDeflate(big, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY, flushEvery: nil),
                                   maxPiece: 100_000, generic: generic, rng: &rng)
        #expect(rc == BT_INFLATE_END && out == big)
        #expect(cases == 80)
    }

    @Test func aStreamCutAnywhereEndsAsTruncatedAfterAPrefixOfItsData() {
        var rng = SplitMix64(state: 7)
        let data = sample(1, count: 40_000, rng: &rng) + sample(3, count: 4_000, rng: &rng)
        let c = zlibDeflate(data, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY, flushEvery: 9_000)
        for cut in 0..<c.count {
            let (rc, out) = ourInflate(Array(c[..<cut]), maxPiece: 5000, rng: &rng)
            #expect(rc == BT_INFLATE_TRUNCATED, "cut at \(cut) of \(c.count)")
            #expect(out.count <= data.count && Array(data[..<out.count]) == out, "cut at \(cut): not a prefix")
        }
    }

    @Test func damagedStreamsGetZlibsVerdictAndZlibsOutput() {
        var rng = SplitMix64(state: 99)
        var failures = 0
        for round in 0..<400 {
            let data = sample(round % 4, count: 2_000 + Int(rng.next() % 30_000), rng: &rng)
            var c = zlibDeflate(data, level: Int32(rng.next() % 10), windowBits: 15, strategy: Z_DEFAULT_STRATEGY, flushEvery: nil)
            for _ in 0...(rng.next() % 3) { c[Int(rng.next() % UInt64(c.count))] ^= UInt8(1 + rng.next() % 255) }
            let theirs = zlibInflate(c, limit: 4 << 20)
            let (rc, ours) = ourInflate(c, maxPiece: 4000, generic: round % 2 == 1, rng: &rng)
            if let theirs {
                #expect(rc == BT_INFLATE_END && ours == theirs, "round \(round)")
            } else {
                #expect(rc == BT_INFLATE_CORRUPT || rc == BT_INFLATE_TRUNCATED, "round \(round): zlib refused, we said \(rc)")
                failures += 1
            }
        }
        #expect(failures > 100)  // the damage did reach the decoder
    }

    @Test func everyOptionalGzipHeaderFieldIsReadAndChecked() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = Array((0..<200).map { "Nov 23 10:00:01 mx postfix/smtp[1]: ABCDE\(String(format: "%05d", $0)): to=<u\($0)@example.net>, relay=none, delay=1, dsn=2.0.0, status=sent (250 ok)\n" }.joined().utf8)
        let body = zlibDeflate(log, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY, flushEvery: nil)
        func member(headerCRCOK: Bool = true, lengthOK: Bool = true) -> [UInt8] {
            // FHCRC | FEXTRA | FNAME | FCOMMENT
            var h: [UInt8] = [0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]
            h += [5, 0] + Array("extra".utf8)
            h += Array("mail.log.1".utf8) + [0] + Array("rotated".utf8) + [0]
            let hcrc = UInt32(h.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) } & 0xffff) ^ (headerCRCOK ? 0 : 1)
            h += [UInt8(hcrc & 0xff), UInt8(hcrc >> 8)]
            let crc = UInt32(log.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
            let size = UInt32(log.count) ^ (lengthOK ? 0 : 1)
            return h + body + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) } + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
        }
        try Data(member() + member()).write(to: dir.appendingPathComponent("fields.gz"))
        try Data(member(headerCRCOK: false)).write(to: dir.appendingPathComponent("hcrc.gz"))
        try Data(member(lengthOK: false)).write(to: dir.appendingPathComponent("isize.gz"))
        let good = scanFiles(["fields.gz"], root: dir)
        #expect(good.errors.isEmpty && good.lines.count == 400)
        let hcrc = scanFiles(["hcrc.gz"], root: dir)
        #expect(hcrc.lines.isEmpty && hcrc.errors.first?.description.contains("header crc mismatch") == true)
        let isize = scanFiles(["isize.gz"], root: dir)
        #expect(isize.lines.count == 200 && isize.errors.first?.description.contains("incorrect length check") == true)
    }
}
