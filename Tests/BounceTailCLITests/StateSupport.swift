import Foundation
@testable import BounceTailIO

/// Rows of an SQL query on a state directory's database, each as its columns joined by "|" (NULL as NULL).
func stateRows(_ state: URL, _ sql: String) throws -> [String] {
    let db = try Database(path: state.appendingPathComponent("state.db").path, readOnly: true, create: false)
    let s = try db.statement(sql)
    var rows: [String] = []
    while try s.step() { rows.append((0..<s.columnCount).map { s.string($0) ?? "NULL" }.joined(separator: "|")) }
    s.reset()
    return rows
}

/// Changes a state database by hand, as an operator with `sqlite3` might.
func stateExecute(_ state: URL, _ sql: String) throws {
    let db = try Database(path: state.appendingPathComponent("state.db").path, readOnly: false, create: false)
    try db.execute(sql)
}
