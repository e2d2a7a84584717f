#if BOUNCETAIL_POSTGRES
import CPostgres
#endif
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A state kept in PostgreSQL, named as libpq names a server: a URL (`postgresql://user@host/db`) or a
/// key=value string (`host=/run/postgresql dbname=mail`). Anything else is a state directory.
public enum PostgresState {
    /// Whether `--state` names a PostgreSQL database rather than a directory.
    public static func isConnectionString(_ state: String) -> Bool {
        if state.hasPrefix("postgresql://") || state.hasPrefix("postgres://") { return true }
        // key=value: libpq's own form always names at least one of these.
        let keys = ["host=", "hostaddr=", "dbname=", "user=", "service=", "port="]
        return state.split(separator: " ").contains { word in keys.contains { word.hasPrefix($0) } }
    }

    /// libpq's version where the build has it ("libpq 15.20"), for --version.
    public static var clientLibrary: String? {
        #if BOUNCETAIL_POSTGRES
        let v = PQlibVersion()
        return "libpq \(v / 10000).\(v % 100)"
        #else
        return nil
        #endif
    }

    /// The system's host name, a host's default name in a shared state.
    public static var systemHostName: String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "localhost" }
        return String(cString: buf)
    }

    /// The connection string as messages show it: any password replaced.
    public static func redacted(_ state: String) -> String {
        // postgresql://user:secret@host, and password=secret in key=value form or a URL's query.
        state.replacingOccurrences(of: "(://[^:/@]*:)[^@]*@", with: "$1***@", options: .regularExpression)
            .replacingOccurrences(of: "(password(=|%3D))[^ &]*", with: "$1***", options: .regularExpression)
    }
}

/// One connection to PostgreSQL through libpq: statements with text parameters and text results (the state's
/// values are numbers, addresses and times; nothing here is on the hot path of scanning).
final class PostgresConnection {
    let name: String
    #if BOUNCETAIL_POSTGRES
    private let connection: OpaquePointer
    #endif

    /// Connects, or throws a `StateError` naming the server (without its password) and libpq's reason.
    init(_ conninfo: String) throws {
        name = PostgresState.redacted(conninfo)
        #if BOUNCETAIL_POSTGRES
        guard let c = PQconnectdb(conninfo) else { throw StateError(message: "\(name): cannot connect: out of memory") }
        guard PQstatus(c) == CONNECTION_OK else {
            let reason = Self.text(PQerrorMessage(c))
            PQfinish(c)
            throw StateError(message: "\(name): cannot connect: \(reason)")
        }
        connection = c
        // Notices (e.g. "schema already exists") are for people at psql, not for bouncetail's stderr.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
        #else
        throw StateError(message: "\(name): this build of bouncetail has no PostgreSQL support (libpq-dev was missing when it was built)")
        #endif
    }

    deinit {
        #if BOUNCETAIL_POSTGRES
        PQfinish(connection)
        #endif
    }

    /// Runs `sql` (one or more statements without parameters).
    func execute(_ sql: String) throws {
        _ = try query(sql, [])
    }

    /// Runs one statement with `$1`, `$2`... bound to `parameters` (nil: NULL); the rows, each value as text.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?]) throws -> [[String?]] {
        #if BOUNCETAIL_POSTGRES
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(connection, sql)
        } else {
            var copies = parameters.map { $0.map { strdup($0) } ?? nil }
            defer { for p in copies { free(p) } }
            result = copies.withUnsafeMutableBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) {
                    PQexecParams(connection, sql, Int32(parameters.count), nil, $0, nil, nil, 0)
                }
            }
        }
        guard let result else {
            throw StateError(message: "\(name): \(Self.text(PQerrorMessage(connection)))", retryable: isBroken)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            // A deadlock or serialization failure is PostgreSQL's way of asking for the transaction again.
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw StateError(message: "\(name): \(Self.text(PQresultErrorMessage(result)))",
                             retryable: isBroken || state == "40001" || state == "40P01")
        }
        var rows: [[String?]] = []
        for r in 0..<PQntuples(result) {
            rows.append((0..<PQnfields(result)).map { f in
                PQgetisnull(result, r, f) != 0 ? nil : String(cString: PQgetvalue(result, r, f))
            })
        }
        return rows
        #else
        return []
        #endif
    }

    /// The connection was lost (the server restarted or went away).
    var isBroken: Bool {
        #if BOUNCETAIL_POSTGRES
        return PQstatus(connection) != CONNECTION_OK
        #else
        return true
        #endif
    }

    /// Connects again with the same parameters; whether it worked.
    func reconnect() -> Bool {
        #if BOUNCETAIL_POSTGRES
        PQreset(connection)
        return PQstatus(connection) == CONNECTION_OK
        #else
        return false
        #endif
    }

    /// A PostgreSQL array literal of text values (nil: NULL), for `unnest($1::text[])` and `= ANY($1)`: a
    /// batch of rows is one statement and one round trip.
    static func array(_ values: [String?]) -> String {
        var out = "{"
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            guard let v else {
                out += "NULL"
                continue
            }
            out += "\""
            for c in v.unicodeScalars {
                if c == "\"" || c == "\\" { out += "\\" }
                out.unicodeScalars.append(c)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// libpq's messages end with a newline and may run over lines: one line for ours.
    private static func text(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "unknown error" }
        return String(cString: p).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}
