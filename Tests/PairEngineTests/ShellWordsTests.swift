@testable import PairEngine
import Testing

/// `remote-shell` is split into words as a shell would, without expanding anything.
@Suite struct ShellWordsTests {
    @Test(arguments: [
        ("ssh root@pve1", ["ssh", "root@pve1"]),
        ("  ssh\t-p 2222   root@pve1 ", ["ssh", "-p", "2222", "root@pve1"]),
        ("ssh -o 'ProxyJump=admin@bastion x' root@pve1", ["ssh", "-o", "ProxyJump=admin@bastion x", "root@pve1"]),
        (#"ssh -o "IdentityFile=/keys/my key" root@pve1"#, ["ssh", "-o", "IdentityFile=/keys/my key", "root@pve1"]),
        (#"say "a \"quoted\" \$HOME \n""#, ["say", #"a "quoted" $HOME \n"#]),
        (#"a\ b c''d """#, ["a b", "cd", ""]),
        ("", []),
    ])
    func splitsLikeAShell(line: String, words: [String]) throws {
        #expect(try ShellWords.split(line) == words)
    }

    @Test func anUnclosedQuoteIsNamed() {
        #expect(throws: ShellWords.Unterminated(quote: "'")) { try ShellWords.split("ssh -o 'ProxyJump=x root@pve1") }
        #expect(throws: ShellWords.Unterminated(quote: "\"")) { try ShellWords.split("ssh \"root@pve1") }
    }
}
