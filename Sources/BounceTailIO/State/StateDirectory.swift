#if canImport(Glibc)
import Glibc
#endif

/// Errors about the state directory: every one names the file.
public struct StateError: Error, CustomStringConvertible {
    public let message: String
    /// Another process is the writer (a command can be queued for it instead).
    public let inUse: Bool
    /// A failure that running the same transaction again may not meet (a deadlock, a lost connection).
    public let retryable: Bool
    public var description: String { message }
    public init(message: String, inUse: Bool = false, retryable: Bool = false) {
        self.message = message
        self.inUse = inUse
        self.retryable = retryable
    }
}

/// The state directory itself: created private, locked by its own descriptor (so deleting a file inside
/// cannot let a second writer in), and the mode new files inside get.
final class StateDirectory {
    let path: String
    private let fd: Int32
    /// 0600, or 0640 when the directory is group-readable (a unit that names a group for readers).
    let fileMode: mode_t

    /// Opens (with `create`, making it 0700 if missing) the directory. The directory may be a symbolic link
    /// (systemd's DynamicUser makes one); nothing inside it is followed.
    init(path: String, create: Bool) throws {
        self.path = path
        // Not a directory to make: the commands that read a `postgresql://` state open it before they get here.
        if PostgresState.isConnectionString(path) {
            throw StateError(message: "\(PostgresState.redacted(path)): this command needs a state directory (a state in PostgreSQL keeps no files of its own: docs/STATE.md)")
        }
        var st = stat()
        if stat(path, &st) != 0 {
            guard errno == ENOENT else { throw StateError(message: "\(path): cannot use the state directory: \(errnoText())") }
            guard create else {
                throw StateError(message: "\(path): no such state directory (track or follow creates it on their first run)")
            }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw StateError(message: "\(path): cannot create state directory: \(errnoText())")
            }
            guard stat(path, &st) == 0 else { throw StateError(message: "\(path): cannot use the state directory: \(errnoText())") }
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw StateError(message: "\(path): not a directory") }
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StateError(message: "\(path): cannot open the state directory: \(errnoText())") }
        fileMode = (st.st_mode & 0o040) != 0 ? 0o640 : 0o600
    }

    deinit { close(fd) }

    /// Takes the writer's lock (held until this object goes); false when another process holds it.
    func lockForWriting() -> Bool { flock(fd, LOCK_EX | LOCK_NB) == 0 }

    /// Whether a writer holds the lock right now (for a reader deciding to queue a command).
    func writerIsRunning() -> Bool {
        let probe = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        if flock(probe, LOCK_SH | LOCK_NB) == 0 {
            flock(probe, LOCK_UN)
            return false
        }
        return true
    }

    func file(_ name: String) -> String { path + "/" + name }

    enum Entry { case missing, regular, other(String) }

    /// What `name` is inside the directory, without following a symbolic link.
    func entry(_ name: String) -> Entry {
        var st = stat()
        guard lstat(file(name), &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFLNK: return .other("a symbolic link (never followed inside the state directory)")
        default: return .other("not a regular file")
        }
    }

    /// Creates an empty private file (refusing a symbolic link or an existing file).
    func createFile(_ name: String) throws {
        let created = open(file(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, fileMode)
        guard created >= 0 else { throw StateError(message: "\(file(name)): cannot create: \(errnoText())") }
        fchmod(created, fileMode)  // whatever the umask
        close(created)
    }

    /// Renames `from` to `to` inside the directory and makes the rename durable.
    func rename(_ from: String, to: String) throws {
        guard Glibc.rename(file(from), file(to)) == 0 else {
            throw StateError(message: "\(file(from)): cannot rename to \(to): \(errnoText())")
        }
        fsync(fd)
    }
}
