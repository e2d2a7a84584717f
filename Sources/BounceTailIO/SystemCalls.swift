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
