#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BounceTailCore

/// An opened input: its bytes (decompressed if it was gzip) and what is known about the file.
public struct OpenedInput {
    public let path: String
    public let source: ByteSource
    public let isGzip: Bool
    public let isStdin: Bool
    /// The file's modification time (seconds since the epoch), nil for stdin and pipes.
    public let modificationTime: Int64?
    /// Size of a regular file in bytes (compressed size for gzip), nil otherwise.
    public let size: UInt64?

    /// The raw file underneath (the gzip source's input for gzip files).
    public let raw: FileSource

    /// Warnings the source collected (gzip trailing garbage).
    public var warnings: [String] { (source as? GzipSource)?.warnings ?? [] }
}

/// Opens `path` (or `-` for stdin) and chooses plain or gzip by the first two bytes (`1f 8b`), not by name.
public enum InputOpener {
    public static func open(_ path: String) throws -> OpenedInput {
        let isStdin = path == "-"
        let fd: Int32 = isStdin ? 0 : Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError.cannotOpen(path: path, reason: errnoText()) }
        var st = stat()
        var mtime: Int64? = nil
        var size: UInt64? = nil
        if fstat(fd, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if !isStdin { close(fd) }
                throw InputError.cannotOpen(path: path, reason: "is a directory")
            }
            if (st.st_mode & S_IFMT) == S_IFREG {
                if !isStdin { mtime = Int64(st.st_mtim.tv_sec) }
                size = UInt64(st.st_size)
            }
        }
        // Sniff up to two bytes (stdin cannot seek, so they are handed back through the source's prefix).
        var magic = [UInt8](repeating: 0, count: 2)
        var got = 0
        do {
            while got < 2 {
                let n = try magic.withUnsafeMutableBytes {
                    try readRetrying(fd, UnsafeMutableRawBufferPointer(rebasing: $0[got...]), path: path)
                }
                if n == 0 { break }
                got += n
            }
        } catch {
            if !isStdin { close(fd) }
            throw error
        }
        magic.removeLast(2 - got)
        let raw = FileSource(path: path, fd: fd, ownsDescriptor: !isStdin, prefix: magic)
        let gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b
        // Gzip is inflated where it is read: by the chunk reader's own thread for `track`, `scan` and `report`.
        let source: ByteSource = gzip ? GzipSource(raw: raw, path: path) : raw
        return OpenedInput(
            path: path, source: source, isGzip: gzip, isStdin: isStdin, modificationTime: mtime, size: size, raw: raw)
    }
}
