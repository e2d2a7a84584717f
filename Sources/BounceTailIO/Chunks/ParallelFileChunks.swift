#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BounceTailCore

/// Reads and scans a plain file's bytes from `start` to `end` on several threads at once, handing the chunks
/// over in file order.
///
/// The range is cut into pieces of `chunkBytes`; a chunk owns the lines that *start* inside its piece, so a
/// worker finds its first line after the first newline at or past the piece's first byte (looking one byte
/// back), and reads on past the piece's end to finish its last line. Each piece is read with pread into the
/// chunk's own buffer, and the outcomes point into it: no byte is copied after the kernel's copy.
///
/// A last line without its newline is left unread (`last` is set on its chunk and `endOffset` is where it
/// starts), as is anything past `end`: the caller reads on from the final `endOffset` as a stream (`StreamChunks`).
/// A line longer than `maxLineBytes` is skipped and counted, as `LineReader` does.
final class ParallelFileChunks: @unchecked Sendable {
    private let queue: PieceQueue
    private let fd: Int32
    private let path: String
    private let start: UInt64
    private let end: UInt64
    private let chunkBytes: Int
    private let maxLineBytes: Int
    private let format: LogFormat
    /// The consumer's scanner (used on its thread when it scans a piece itself).
    private let scanner: LineScanner

    /// `helpers` threads scan besides the consumer (one per further core).
    init(fd: Int32, path: String, from start: UInt64, to end: UInt64, format: LogFormat, classify: Bool,
         findsRejectedAtRCPT: Bool = false, maxLineBytes: Int, helpers: Int = 1, chunkBytes: Int = 1 << 20, ahead: Int = 6)
    {
        self.fd = fd
        self.path = path
        self.start = start
        self.end = end
        self.chunkBytes = chunkBytes
        self.maxLineBytes = maxLineBytes
        self.format = format
        scanner = LineScanner(classify: classify, findsRejectedAtRCPT: findsRejectedAtRCPT)
        let pieces = Int((end - start + UInt64(chunkBytes) - 1) / UInt64(chunkBytes))
        queue = PieceQueue(pieces: pieces, ahead: ahead, chunkCapacity: chunkBytes + maxLineBytes + 2)
        for h in 0..<helpers {
            queue.startHelper(name: "bouncetail-scan-\(h)") { [unowned(unsafe) self] in
                let scanner = LineScanner(classify: classify, findsRejectedAtRCPT: findsRejectedAtRCPT)
                return { c, k in self.fill(c, piece: k, scanner: scanner) }
            }
        }
    }

    deinit { queue.stop() }

    /// The next chunk in file order (scanned here if no helper has it ready); nil after the last.
    func next() -> ScannedChunk? {
        queue.next { c, k in self.fill(c, piece: k, scanner: self.scanner) }
    }

    /// Gives a chunk back once its outcomes are applied.
    func recycle(_ c: ScannedChunk) { queue.recycle(c) }

    private func fill(_ c: ScannedChunk, piece k: Int, scanner: LineScanner) {
        c.reset(format: format)
        let pieceStart = start + UInt64(k) * UInt64(chunkBytes)
        let pieceEnd = min(end, pieceStart + UInt64(chunkBytes))
        // From one byte before the piece (to see whether a line starts on its first byte).
        let base = k == 0 ? start : pieceStart - 1
        let want = Int(min(end - base, UInt64(c.storage.count)))
        let got: Int
        do {
            got = try preadFully(fd, UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(c.storage)[0..<want]),
                                 at: base, path: path)
        } catch {
            c.error = error
            c.last = true
            c.startOffset = base
            c.endOffset = base
            return
        }
        // Shorter than asked: the file shrank under us (copytruncate); what is there is read, then stop.
        let atEnd = base + UInt64(got) >= end || got < want
        let bytes = UnsafeBufferPointer(c.storage)
        let ownLimit = Int(pieceEnd - base)  // lines starting before this index are the chunk's
        var pos = 0
        if k > 0 {
            guard let nl = ByteSearch.first(ASCII.newline, in: bytes, 0..<min(got, ownLimit - 1)) else {
                // No line starts in this piece (a long line runs through it).
                c.startOffset = pieceEnd
                c.endOffset = pieceEnd
                c.last = atEnd && got < ownLimit
                return
            }
            pos = nl + 1
        }
        c.startOffset = base + UInt64(pos)
        let firstStored = pos
        let scanned = c.scanLines(from: pos, ownLimit: ownLimit, end: got, firstLine: 1, maxLineBytes: maxLineBytes,
                                  with: scanner)
        pos = scanned.next
        var line = scanned.lines
        if pos < ownLimit && pos < got {
            // A line starts in the piece but has no newline in what was read.
            if atEnd {
                // The last line has no newline yet: left for the stream that reads on.
                c.last = true
            } else {
                // Longer than the buffer holds past the piece: too long; its end is found further on.
                guard let after = try? endOfLine(from: base + UInt64(got)) else {
                    c.storedLines = firstStored..<pos
                    c.lineCount = line
                    c.endOffset = base + UInt64(pos)
                    setTail(of: c, before: pos, base: base)
                    c.last = true
                    return
                }
                c.storedLines = firstStored..<pos
                line += 1
                c.tooLong.append(line)
                c.lineCount = line
                c.endOffset = after
                c.tail = (try? bytesBefore(after)) ?? []
                return
            }
        }
        if pos >= got && atEnd { c.last = true }
        c.storedLines = firstStored..<pos
        c.lineCount = line
        c.endOffset = base + UInt64(pos)
        setTail(of: c, before: pos, base: base)
    }

    /// The chunk's tail: up to 64 bytes before index `pos` (into its kept array; from the file when the chunk
    /// holds fewer).
    private func setTail(of c: ScannedChunk, before pos: Int, base: UInt64) {
        if pos >= 64 || base == 0 {
            c.tail.append(contentsOf: c.storage[max(0, pos - 64)..<pos])
        } else {
            c.tail = (try? bytesBefore(base + UInt64(pos))) ?? []
        }
    }

    /// The offset just past the next newline at or after `offset`, or nil at the end of the range.
    private func endOfLine(from offset: UInt64) throws -> UInt64? {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var at = offset
        while at < end {
            let n = try scratch.withUnsafeMutableBytes {
                try preadFully(fd, UnsafeMutableRawBufferPointer(rebasing: $0[0..<Int(min(UInt64($0.count), end - at))]), at: at, path: path)
            }
            if n == 0 { return nil }
            if let nl = scratch.withUnsafeBufferPointer({ ByteSearch.first(ASCII.newline, in: $0, 0..<n) }) {
                return at + UInt64(nl) + 1
            }
            at += UInt64(n)
        }
        return nil
    }

    /// Up to 64 bytes before `offset`.
    private func bytesBefore(_ offset: UInt64) throws -> [UInt8] {
        let n = Int(min(64, offset))
        var b = [UInt8](repeating: 0, count: n)
        let got = try b.withUnsafeMutableBytes { try preadFully(fd, $0, at: offset - UInt64(n), path: path) }
        return Array(b[0..<got])
    }
}
