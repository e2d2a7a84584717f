import BounceTailCore
import Testing

/// The reference: split on LF, drop one CR before it, keep a last line without LF.
private func naiveLines(_ bytes: [UInt8]) -> [[UInt8]] {
    var lines = bytes.split(separator: ASCII.newline, omittingEmptySubsequences: false).map { Array($0) }
    if bytes.last == ASCII.newline || bytes.isEmpty { lines.removeLast() }
    return lines.map { $0.last == ASCII.carriageReturn ? Array($0.dropLast()) : $0 }
}

private func readAll(_ bytes: [UInt8], chunk: Int, maxLine: Int = 1 << 16, readSize: Int = 64)
    throws -> (lines: [[UInt8]], numbers: [Int], tooLong: [Int], offset: UInt64)
{
    let reader = LineReader(maxLineBytes: maxLine, readSize: readSize)
    var lines: [[UInt8]] = []
    var numbers: [Int] = []
    var tooLong: [Int] = []
    let result = try reader.run(
        from: MemorySource(bytes, chunk: chunk),
        onLine: { line, n in
            lines.append(Array(line))
            numbers.append(n)
        }, onTooLong: { tooLong.append($0) })
    #expect(result == .end)
    return (lines, numbers, tooLong, reader.offset)
}

@Suite struct LineReaderTests {
    static let inputs: [[UInt8]] = [
        Array("one\ntwo\r\nthree".utf8),
        Array("\n\n\r\nx\n".utf8),
        Array("".utf8),
        Array("no newline at all".utf8),
        Array("a\rb\r\n\r\n\u{00e9}t\u{00e9}\n".utf8) + [0xff, 0xfe, 0x0a, 0x00, 0x0a],
        (0..<300).flatMap { Array("line \($0) with some words\($0 % 3 == 0 ? "\r" : "")\n".utf8) },
    ]

    @Test(arguments: [1, 2, 3, 7, 64, 4096, Int.max])
    func linesMatchTheNaiveSplitterAtEveryChunkSize(chunk: Int) throws {
        for input in Self.inputs {
            let got = try readAll(input, chunk: chunk)
            let want = naiveLines(input)
            #expect(got.lines == want)
            #expect(got.numbers == Array(1...max(1, want.count)).prefix(want.count).map { $0 })
            #expect(got.tooLong.isEmpty)
            #expect(got.offset == UInt64(input.count))
        }
    }

    @Test(arguments: [1, 5, 64, 1000, Int.max])
    func anOverlongLineIsSkippedAndItsNeighboursKept(chunk: Int) throws {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 5000)
        let input = Array("before\n".utf8) + long + Array("\nafter\n".utf8) + long
        let got = try readAll(input, chunk: chunk, maxLine: 300, readSize: 128)
        #expect(got.lines == [Array("before".utf8), Array("after".utf8)])
        #expect(got.numbers == [1, 3])
        #expect(got.tooLong == [2, 4])
        #expect(got.offset == UInt64(input.count))
    }

    @Test func aLineOfExactlyTheLimitIsKept() throws {
        let line = [UInt8](repeating: UInt8(ascii: "y"), count: 300)
        let got = try readAll(line + [ASCII.newline] + line + [ASCII.newline], chunk: 7, maxLine: 300, readSize: 50)
        #expect(got.lines == [line, line])
        #expect(got.tooLong.isEmpty)
    }

    @Test func anIdleSourceStopsTheReaderWithThePartialLineHeld() throws {
        final class TwoPhase: ByteSource {
            var phase = 0
            func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
                phase += 1
                let chunk: [UInt8]
                switch phase {
                case 1: chunk = Array("done\npart".utf8)
                case 2: return .idle
                case 3: chunk = Array("ial\n".utf8)
                default: return .end
                }
                buffer.copyBytes(from: chunk)
                return .bytes(chunk.count)
            }
        }
        let source = TwoPhase()
        let reader = LineReader(maxLineBytes: 100, readSize: 100)
        var lines: [String] = []
        #expect(try reader.run(from: source, onLine: { l, _ in lines.append(String(decoding: l, as: UTF8.self)) }, onTooLong: { _ in }) == .idle)
        #expect(lines == ["done"])
        #expect(reader.offset == 5)
        #expect(reader.pendingBytes == 4)
        #expect(try reader.run(from: source, onLine: { l, _ in lines.append(String(decoding: l, as: UTF8.self)) }, onTooLong: { _ in }) == .end)
        #expect(lines == ["done", "partial"])
        #expect(reader.offset == 13)
    }
}
