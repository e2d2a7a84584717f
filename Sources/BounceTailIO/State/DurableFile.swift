#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Whole-file writes that survive a crash at any instruction: write a new file, fsync it, rename it over the
/// old one, fsync the directory. Readers see the old file or the new one, never a mix.
enum DurableFile {
    struct Failure: Error, CustomStringConvertible {
        let path: String
        let step: String
        let reason: String
        var description: String { "\(path): \(step) failed: \(reason)" }
    }

    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: tmp, step: "create", reason: errnoText()) }
        do {
            try writeAll(fd, bytes, path: tmp)
            FailPoint.reach("state-written")
            guard fsync(fd) == 0 else { throw Failure(path: tmp, step: "fsync", reason: errnoText()) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let reason = errnoText()
            unlink(tmp)
            throw Failure(path: path, step: "rename", reason: reason)
        }
        FailPoint.reach("state-renamed")
        try syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw Failure(path: dir, step: "open directory", reason: errnoText()) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw Failure(path: dir, step: "fsync directory", reason: errnoText()) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var off = 0
        try bytes.withUnsafeBytes { b in
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(path: path, step: "write", reason: errnoText())
                }
                off += n
            }
        }
    }
}
