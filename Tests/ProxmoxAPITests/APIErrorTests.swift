import ProxmoxAPI
import Testing

@Suite struct APIErrorTests {
    @Test func mapsStatusCodesAndPlainTextBodies() {
        #expect(APIError.from(status: 401, body: "authentication failed", host: "h", path: "/version")
                == .unauthorized(host: "h", message: "authentication failed"))
        #expect(APIError.from(status: 404, body: "Path '/api2/json/x' not found.", host: "h", path: "/x")
                == .notFound(host: "h", path: "/x", message: "Path '/api2/json/x' not found."))
        #expect(APIError.from(status: 400, body: "no such sync 'foo'\n", host: "h", path: "/admin/sync")
                == .badRequest(host: "h", path: "/admin/sync", message: "no such sync 'foo'"))
        #expect(APIError.from(status: 500, body: "", host: "h", path: "/p")
                == .server(host: "h", path: "/p", status: 500, message: "(no message)"))
    }

    @Test func namesTheMissingPrivilegeFrom403And400() {
        let forbidden = APIError.from(status: 403, body: "permission check failed - missing Datastore.Audit|Datastore.Backup on /datastore/main",
                                      host: "h", path: "/admin/datastore/main/status")
        #expect(forbidden.missingPrivilege == "Datastore.Audit|Datastore.Backup")
        let handler = APIError.from(status: 400, body: "missing permissions 'Datastore.Verify' on '/datastore/store1'", host: "h", path: "/p")
        #expect(handler.missingPrivilege == "Datastore.Verify")
        #expect(!handler.isUnreachable)
    }

    @Test func fingerprintMismatchShowsBothAndTheFix() throws {
        let expected = try #require(Fingerprint(String(repeating: "aa:", count: 31) + "aa"))
        let presented = try #require(Fingerprint(String(repeating: "bb:", count: 31) + "bb"))
        let text = APIError.fingerprintMismatch(host: "pbs1", expected: expected, presented: presented).description
        #expect(text.contains(expected.description))
        #expect(text.contains(presented.description))
        #expect(text.contains("proxmox-backup-manager cert info"))
    }
}
