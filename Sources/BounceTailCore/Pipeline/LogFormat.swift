/// Which scanner reads an input. `auto` tries both until one recognises a line, then keeps that one.
public enum LogFormat: String, Sendable, CaseIterable {
    case auto, postfix, exim
}
