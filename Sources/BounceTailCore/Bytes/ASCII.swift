/// Named byte values and tiny predicates used by the scanners.
///
/// Everything here works on single `UInt8`s so the per-line path never builds a `String`.
public enum ASCII {
    public static let newline = UInt8(ascii: "\n")
    public static let carriageReturn = UInt8(ascii: "\r")
    public static let space = UInt8(ascii: " ")
    public static let tab = UInt8(ascii: "\t")
    public static let colon = UInt8(ascii: ":")
    public static let comma = UInt8(ascii: ",")
    public static let equals = UInt8(ascii: "=")
    public static let lessThan = UInt8(ascii: "<")
    public static let greaterThan = UInt8(ascii: ">")
    public static let quote = UInt8(ascii: "\"")
    public static let backslash = UInt8(ascii: "\\")
    public static let openBracket = UInt8(ascii: "[")
    public static let closeBracket = UInt8(ascii: "]")
    public static let openParen = UInt8(ascii: "(")
    public static let closeParen = UInt8(ascii: ")")
    public static let slash = UInt8(ascii: "/")
    public static let dash = UInt8(ascii: "-")
    public static let plus = UInt8(ascii: "+")
    public static let dot = UInt8(ascii: ".")
    public static let at = UInt8(ascii: "@")
    public static let pipe = UInt8(ascii: "|")
    public static let star = UInt8(ascii: "*")

    @inline(__always) public static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) public static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 26 }
    @inline(__always) public static func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
    @inline(__always) public static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    @inline(__always) public static func lower(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }
    @inline(__always) public static func digit(_ b: UInt8) -> Int { Int(b &- 0x30) }
}
