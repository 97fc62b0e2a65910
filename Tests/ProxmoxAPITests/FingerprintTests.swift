import ProxmoxAPI
import Testing

@Suite struct FingerprintTests {
    let lower = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"

    @Test func parsesPBSAndOpensslFormsAlike() throws {
        let pbs = try #require(Fingerprint(lower))
        let openssl = try #require(Fingerprint(lower.uppercased()))
        let plain = try #require(Fingerprint(lower.replacingOccurrences(of: ":", with: "")))
        #expect(pbs == openssl)
        #expect(pbs == plain)
        #expect(openssl.description == lower)
    }

    @Test(arguments: ["", "aa:bb", "zz:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99",
                      "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:00"])
    func rejectsWhatIsNotThirtyTwoHexBytes(_ text: String) {
        #expect(Fingerprint(text) == nil)
    }

    @Test func hashesDERWithSHA256() {
        // SHA-256 of the empty input, a fixed known value.
        #expect(Fingerprint(sha256OfDER: []).description
                == "e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24:27:ae:41:e4:64:9b:93:4c:a4:95:99:1b:78:52:b8:55")
    }

    @Test func tokenNeverShowsItsSecret() {
        let token = APIToken(authID: "monitor@pbs!console", secret: "s3cr3t-value")
        #expect(!token.description.contains("s3cr3t"))
        #expect(token.pbsHeader == "PBSAPIToken=monitor@pbs!console:s3cr3t-value")
        #expect(token.pveHeader == "PVEAPIToken=monitor@pbs!console=s3cr3t-value")
    }
}
