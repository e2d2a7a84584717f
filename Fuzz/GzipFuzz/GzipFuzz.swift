import BounceTailCore
import BounceTailIO
import BounceTailTestSupport

/// libFuzzer's entry for the gzip reading path (Fuzz/run.sh builds and runs it). Two checks per input:
/// the input itself read as a gzip stream by every decoder this build has (no crash, no overrun, and the same
/// bytes from each); and the input compressed by zlib with settings taken from its first bytes, which every
/// decoder must give back exactly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let piece = 1 + Int(bytes.first ?? 0) * 97
    let room = 1 + Int(bytes.last ?? 0) * 61

    // Decoders agree on every byte they give: an accepted stream gives the same bytes from each decoder that
    // accepts it, and what one that rejects it gave before its error is the start of them. Whether a damaged
    // stream is damaged at all they may see differently: ISA-L is less strict than zlib about a dynamic block's
    // code lengths and takes some sets zlib calls invalid — the trailer's CRC-32 and length still stand behind
    // what it gives (for such a stream, in practice, nothing).
    let results = GzipDecoderKind.available.map { read(bytes, with: $0, piece: piece, room: room) }
    if let accepted = results.first(where: { !$0.failed }),
        results.contains(where: { $0.failed ? !accepted.output.starts(with: $0.output) : $0.output != accepted.output })
    {
        fatalError("decoders disagree on the bytes of an accepted stream: \(results.map { ($0.failed, $0.output.count) })")
    }

    guard size >= 3 else { return 0 }
    let level = Int32(bytes[0] % 10)
    let windowBits = Int32(9 + bytes[1] % 7)
    let strategy = Int32(bytes[2] % 5)
    let plain = Array(bytes[3...])
    let gz = zlibGzip(plain, level: level, windowBits: windowBits, strategy: strategy)
    for kind in GzipDecoderKind.available {
        let r = read(gz, with: kind, piece: piece, room: room)
        if r.failed || r.output != plain { fatalError("\(kind) did not give back what zlib compressed") }
    }
    return 0
}

private func read(_ gz: [UInt8], with kind: GzipDecoderKind, piece: Int, room: Int) -> (failed: Bool, output: [UInt8]) {
    let source = GzipSource(raw: MemorySource(gz, chunk: piece), path: "fuzz.gz", decoder: kind)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: room + 32, alignment: 16)
    defer { buffer.deallocate() }
    var output: [UInt8] = []
    while true {
        for k in room..<(room + 32) { buffer[k] = 0x5A }
        let r: ReadResult
        do { r = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<room])) } catch { return (true, output) }
        if (room..<(room + 32)).contains(where: { buffer[$0] != 0x5A }) { fatalError("\(kind) wrote past the buffer") }
        guard case .bytes(let n) = r else { return (false, output) }
        output += buffer[..<n]
        // A small input cannot honestly inflate to more than 1032 times its size (DEFLATE's limit) plus headers.
        if output.count > 1100 * (gz.count + 64) { fatalError("\(kind) produced more than DEFLATE can encode") }
    }
}
