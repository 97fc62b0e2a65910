/// Splits a command line into words the way a POSIX shell does for plain words and quotes
/// (no expansion): blanks separate words; `'…'` is literal; `"…"` keeps blanks and takes
/// `\"`, `\\`, `\$` and `` \` `` as escapes; a backslash outside quotes escapes the next
/// character. So `remote-shell = "ssh -o 'ProxyJump=bastion admin' root@pve1"` works.
public enum ShellWords {
    public struct Unterminated: Error, Equatable, CustomStringConvertible {
        public let quote: Character
        public var description: String { "an opening \(quote) has no closing \(quote)" }
    }

    public static func split(_ line: String) throws(Unterminated) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = line.makeIterator()
        while let character = characters.next() {
            switch character {
            case " ", "\t", "\n":
                if inWord { words.append(word) }
                (word, inWord) = ("", false)
            case "'":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "'" { closed = true; break }
                    word.append(next)
                }
                if !closed { throw Unterminated(quote: "'") }
            case "\"":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "\"" { closed = true; break }
                    if next == "\\", let escaped = characters.next() {
                        if !"\"\\$`".contains(escaped) { word.append("\\") }
                        word.append(escaped)
                    } else {
                        word.append(next)
                    }
                }
                if !closed { throw Unterminated(quote: "\"") }
            case "\\":
                inWord = true
                if let escaped = characters.next() { word.append(escaped) }
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
