import Foundation
import PairEngine
import Testing

/// A temporary directory with a config and private secret files.
struct ConfigFixture {
    let directory: String
    static let fingerprint = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"

    init() throws {
        var template = Array((NSTemporaryDirectory() + "pbsha-config-XXXXXX").utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        for name in ["p", "s", "v"] { try secret(name, "token-\(name)", mode: 0o600) }
    }

    func secret(_ name: String, _ value: String, mode: Int) throws {
        let path = "\(directory)/\(name).token"
        try (value + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode_t(mode))
    }

    static func text(primaryExtra: String = "", pve: String = "") -> String {
        """
        [pair]
        name = "backup-tier"
        rpo = "4h"

        [primary]
        host = "pbs1.example.com"
        fingerprint = "\(fingerprint)"
        auth-id = "monitor@pbs!console"
        secret-file = "p.token"
        datastore = "main"
        \(primaryExtra)

        [secondary]
        host = "pbs2.example.com"
        port = 8008
        fingerprint = "\(fingerprint.uppercased())"
        auth-id = "monitor@pbs!console"
        secret-file = "s.token"
        datastore = "mirror"
        sync-job = "primary-mirror"
        remote = "primary-hub"
        \(pve)
        """
    }

    func load(_ text: String) throws -> PairConfig {
        let path = "\(directory)/pbsha.toml"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return try ConfigLoader.load(path: path, environment: ["HOME": "/home/op"])
    }

    func error(_ text: String) -> ConfigError? {
        do { _ = try load(text); return nil } catch { return error as? ConfigError }
    }
}

@Suite struct ConfigLoaderTests {
    let pveTable = """

        [[pve]]
        name = "pve-a"
        host = "pve1.example.com"
        fingerprint = "\(ConfigFixture.fingerprint)"
        auth-id = "pbsha@pve!failover"
        secret-file = "v.token"
        storage = "backup-primary"
        node = "pve1"
        test-vmid = 9001
        """

    @Test func readsAFullConfigWithDefaults() throws {
        let fixture = try ConfigFixture()
        let config = try fixture.load(ConfigFixture.text(pve: pveTable))
        #expect(config.name == "backup-tier")
        #expect(config.rpoSeconds == 14_400)
        #expect(config.verifyMaxAgeSeconds == 8 * 86_400)
        #expect(config.stateDir == "/home/op/.local/state/pbsha")
        #expect(config.primary.port == 8007)
        #expect(config.secondary.port == 8008)
        #expect(config.primary.fingerprint == config.secondary.fingerprint)
        #expect(config.primary.token.secret == "token-p")
        #expect(config.syncJob == "primary-mirror")
        #expect(config.pve.first?.port == 8006)
        #expect(config.pve.first?.method == .editStorageCfg)
        #expect(config.pve.first?.testVMID == 9001)
    }

    @Test func aRemoteShellWithAnUnclosedQuoteIsRefused() throws {
        let fixture = try ConfigFixture()
        let error = fixture.error(ConfigFixture.text(pve: pveTable + "\nremote-shell = \"ssh -o 'ProxyJump=x root@pve1\""))
        #expect(error?.key?.hasSuffix("remote-shell") == true, "\(String(describing: error))")
        #expect(error?.message.contains("an opening ' has no closing '") == true, "\(String(describing: error))")
        let quoted = try fixture.load(ConfigFixture.text(pve: pveTable + "\nremote-shell = \"ssh -o 'ProxyJump=a b' root@pve1\""))
        #expect(quoted.pve.first?.remoteShell == "ssh -o 'ProxyJump=a b' root@pve1")
    }

    @Test func aWrongTypeIsReportedAsAWrongType() throws {
        let fixture = try ConfigFixture()
        let error = fixture.error(ConfigFixture.text(primaryExtra: "port = \"8007\""))
        #expect(error?.key == "primary.port")
        #expect(error?.message.contains("expected an integer without quotes, got a string") == true)
        #expect(error?.file.hasSuffix("pbsha.toml") == true)
    }

    @Test func aMissingKeyIsNamed() throws {
        let fixture = try ConfigFixture()
        let text = ConfigFixture.text().replacingOccurrences(of: "datastore = \"mirror\"\n", with: "")
        #expect(fixture.error(text)?.key == "secondary.datastore")
    }

    @Test func aTypoIsNotIgnored() throws {
        let fixture = try ConfigFixture()
        let error = fixture.error(ConfigFixture.text(primaryExtra: "datastroe = \"x\""))
        #expect(error?.key == "primary.datastroe")
        #expect(error?.message.contains("unknown key") == true)
    }

    @Test(arguments: [("192.168.1.10", "192.168.1.10"), ("fd00::10", "fd00::10"), ("[::1]", "::1"), ("pbs1", "pbs1")])
    func hostsAreNamesOrAddressesIPv6WithOrWithoutBrackets(written: String, read: String) throws {
        let fixture = try ConfigFixture()
        let text = ConfigFixture.text().replacingOccurrences(of: "\"pbs1.example.com\"", with: "\"\(written)\"")
        #expect(try fixture.load(text).primary.host == read)
        #expect(try fixture.load(text).primary.endpoint.authority == (read.contains(":") ? "[\(read)]:8007" : "\(read):8007"))
    }

    @Test(arguments: [("pbs1.example.com:8007", "has a port in it; put the port in the port key"),
                      ("https://pbs1.example.com", "without scheme, path or brackets"),
                      ("[::1]:8007", "without scheme, path or brackets")])
    func aHostWithAPortOrSchemeIsRefused(written: String, message: String) throws {
        let fixture = try ConfigFixture()
        let text = ConfigFixture.text().replacingOccurrences(of: "\"pbs1.example.com\"", with: "\"\(written)\"")
        let error = try #require(fixture.error(text))
        #expect(error.key == "primary.host")
        #expect(error.message.contains(message), "\(error.message)")
    }

    /// Every key of design.md section 3.
    @Test func readsTheOperatorPVEAndReverseSyncTokensAndTheOtherSections() throws {
        let fixture = try ConfigFixture()
        for name in ["op", "pvebackup", "reverse", "vop"] { try fixture.secret(name, "secret-\(name)", mode: 0o600) }
        try fixture.secret("hook", "https://chat.example.com/hooks/T0/B0/x", mode: 0o600)
        try "[[step]]\n".write(toFile: "\(fixture.directory)/failover.toml", atomically: true, encoding: .utf8)
        let text = ConfigFixture.text(primaryExtra: """
            operator-auth-id = "pbsha@pbs!operator"
            operator-secret-file = "op.token"
            pve-auth-id = "pve@pbs!backup"
            pve-secret-file = "pvebackup.token"
            pve-server = "10.10.0.5"
            """, pve: pveTable + """

            operator-auth-id = "pbsha@pve!operator"
            operator-secret-file = "vop.token"
            """)
            .replacingOccurrences(of: "remote = \"primary-hub\"", with: """
                remote = "primary-hub"
                reverse-sync-auth-id = "reverse@pbs!primary-pull"
                reverse-sync-secret-file = "reverse.token"
                """)
            + """

            [notify]
            webhook-file = "hook.token"
            webhook-fingerprint = "\(ConfigFixture.fingerprint)"

            [runbooks]
            failover = "failover.toml"

            [drills]
            max-age = "90d"
            """
        let config = try fixture.load(text.replacingOccurrences(of: "rpo = \"4h\"", with: "rpo = \"4h\"\nfull-read-interval = \"30m\""))
        #expect(config.primary.operatorToken?.authID == "pbsha@pbs!operator" && config.primary.operatorToken?.secret == "secret-op")
        #expect(config.primary.pveToken?.authID == "pve@pbs!backup" && config.primary.pveServer == "10.10.0.5")
        #expect(config.secondary.reverseSyncToken?.secret == "secret-reverse")
        #expect(config.secondary.operatorToken == nil)
        #expect(config.pve[0].operatorToken?.authID == "pbsha@pve!operator")
        #expect(config.notify?.webhookURL == "https://chat.example.com/hooks/T0/B0/x")
        #expect(config.notify?.webhookFingerprint != nil)
        #expect(config.runbookFiles == ["failover": "\(fixture.directory)/failover.toml"])
        #expect(config.drillMaxAgeSeconds == 90 * 86_400 && config.fullReadIntervalSeconds == 1800)
    }

    @Test func aTokenNeedsBothItsKeysAndPrivateFiles() throws {
        let fixture = try ConfigFixture()
        let half = fixture.error(ConfigFixture.text(primaryExtra: "operator-auth-id = \"pbsha@pbs!operator\""))
        #expect(half?.key == "primary.operator-secret-file")
        #expect(half?.message.contains("operator-auth-id needs the file holding its secret") == true)
        try fixture.secret("hook", "https://chat.example.com/x", mode: 0o644)
        let open = fixture.error(ConfigFixture.text() + "\n[notify]\nwebhook-file = \"hook.token\"\n")
        #expect(open?.key == "notify.webhook-file")
        #expect(open?.message.contains("chmod 600") == true)
        try fixture.secret("hook", "http://chat.example.com/hooks/x", mode: 0o600)
        let clear = fixture.error(ConfigFixture.text() + "\n[notify]\nwebhook-file = \"hook.token\"\n")
        #expect(clear?.key == "notify.webhook-file" && clear?.message.contains("expected an https:// URL") == true)
        let missing = fixture.error(ConfigFixture.text() + "\n[runbooks]\nfailback = \"nope.toml\"\n")
        #expect(missing?.key == "runbooks.failback")
        #expect(missing?.message.contains("remove the key to use the built-in runbook") == true)
    }

    /// The shipped example is a valid config once its secret files exist.
    @Test func theExampleConfigIsValid() throws {
        let fixture = try ConfigFixture()
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources/pbsha.example.toml")
        let text = try String(contentsOf: example, encoding: .utf8).replacingOccurrences(of: "/etc/pbsha/", with: "\(fixture.directory)/")
        for name in ["primary", "secondary", "pve-a"] { try fixture.secret(name, "secret", mode: 0o600) }
        let config = try fixture.load(text)
        #expect(config.name == "backup-tier" && config.pve.count == 1)
    }

    @Test func aBadFingerprintSaysWhereToGetTheRightOne() throws {
        let fixture = try ConfigFixture()
        let error = fixture.error(ConfigFixture.text().replacingOccurrences(of: "fingerprint = \"\(ConfigFixture.fingerprint)\"", with: "fingerprint = \"aa:bb\""))
        #expect(error?.key == "primary.fingerprint")
        #expect(error?.message.contains("cert info") == true)
    }

    @Test func aGroupReadableSecretIsRefusedWithTheFix() throws {
        let fixture = try ConfigFixture()
        try fixture.secret("p", "token-p", mode: 0o644)
        let error = fixture.error(ConfigFixture.text())
        #expect(error?.key == "primary.secret-file")
        #expect(error?.message.contains("chmod 600 \(fixture.directory)/p.token") == true)
    }

    @Test func aMissingOrEmptySecretIsRefused() throws {
        let fixture = try ConfigFixture()
        try fixture.secret("s", "", mode: 0o600)
        #expect(fixture.error(ConfigFixture.text())?.message.contains("is empty") == true)
        try FileManager.default.removeItem(atPath: "\(fixture.directory)/s.token")
        #expect(fixture.error(ConfigFixture.text())?.message.contains("cannot read") == true)
    }

    @Test func badDurationsAndMethodsAreExplained() throws {
        let fixture = try ConfigFixture()
        #expect(fixture.error(ConfigFixture.text().replacingOccurrences(of: "rpo = \"4h\"", with: "rpo = \"4 hours\""))?.message
                .contains("use e.g. 90s, 15m, 4h, 8d") == true)
        let switchWithout = pveTable + "\nmethod = \"switch-storage\""
        #expect(fixture.error(ConfigFixture.text(pve: switchWithout))?.key == "pve[0].failover-storage")
    }

    @Test func invalidTOMLNamesTheLine() throws {
        let fixture = try ConfigFixture()
        let error = fixture.error("[pair]\nname = \n")
        #expect(error?.message.contains("line 2") == true)
    }

    @Test func searchOrderAndNotFoundMessage() {
        let paths = ConfigLoader.searchPaths(environment: ["PBSHA_CONFIG": "/x/env.toml", "HOME": "/home/op"], workingDirectory: "/work")
        #expect(paths == ["/x/env.toml", "/work/pbsha.toml", "/home/op/.config/pbsha/config.toml", "/etc/pbsha/config.toml"])
        let xdg = ConfigLoader.searchPaths(environment: ["XDG_CONFIG_HOME": "/cfg", "HOME": "/home/op"], workingDirectory: "/w")
        #expect(xdg[1] == "/cfg/pbsha/config.toml")
        #expect {
            try ConfigLoader.locate(explicit: nil, environment: ["HOME": "/nonexistent-home"], workingDirectory: "/nonexistent")
        } throws: { error in
            let text = (error as? ConfigError)?.description ?? ""
            return text.contains("/nonexistent/pbsha.toml") && text.contains("pbsha --lab")
        }
    }
}
