import CZlib

/// zlib's gzip of `data` (window bits 16 + `windowBits`), flushing every `flushEvery` bytes when given (which makes
/// stored and empty blocks).
public func zlibGzip(_ data: [UInt8], level: Int32, windowBits: Int32, memLevel: Int32 = 8, strategy: Int32,
                      flushEvery: Int? = nil) -> [UInt8] {
    var z = z_stream()
    precondition(bouncetail_deflateInit2(&z, level, 16 + windowBits, memLevel, strategy) == Z_OK)
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
                let flush = fed == data.count ? Z_FINISH : (fed / max(n, 1) % 2 == 0 ? Z_SYNC_FLUSH : Z_FULL_FLUSH)
                let rc = deflate(&z, flush)
                precondition(rc == (flush == Z_FINISH ? Z_STREAM_END : Z_OK), "deflate: \(rc)")
            } while fed < data.count
        }
    }
    return Array(out[..<Int(z.total_out)])
}
