#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The text of an errno value.
func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

/// `read(2)` that retries on EINTR; returns bytes read (0 at end of file) or throws.
func readRetrying(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
    while true {
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n >= 0 { return n }
        if errno == EINTR { continue }
        throw InputError.readFailed(path: path, reason: errnoText())
    }
}

/// Reads up to `buffer.count` bytes at `offset`, retrying on interruption and short reads; fewer bytes only
/// at the end of the file.
func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, path: String) throws -> Int {
    var got = 0
    while got < buffer.count {
        let n = pread(fd, buffer.baseAddress! + got, buffer.count - got, off_t(offset) + off_t(got))
        if n > 0 {
            got += n
        } else if n == 0 {
            break
        } else if errno != EINTR {
            throw InputError.readFailed(path: path, reason: errnoText())
        }
    }
    return got
}
