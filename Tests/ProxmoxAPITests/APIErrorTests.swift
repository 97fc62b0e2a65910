import ProxmoxAPI
import Testing

@Suite struct APIErrorTests {
    @Test func mapsStatusCodesAndPlainTextBodies() {
        #expect(APIError.from(HTTPResponse(status: 401, body: Array("authentication failed".utf8)), host: "h", path: "/version")
                == .unauthorized(host: "h", message: "authentication failed"))
        #expect(APIError.from(HTTPResponse(status: 404, body: Array("Path '/api2/json/x' not found.".utf8)), host: "h", path: "/x")
                == .notFound(host: "h", path: "/x", message: "Path '/api2/json/x' not found."))
        #expect(APIError.from(HTTPResponse(status: 400, body: Array("no such sync 'foo'\n".utf8)), host: "h", path: "/admin/sync")
                == .badRequest(host: "h", path: "/admin/sync", message: "no such sync 'foo'"))
        #expect(APIError.from(HTTPResponse(status: 500, body: Array("".utf8)), host: "h", path: "/p")
                == .server(host: "h", path: "/p", status: 500, message: "(no message)"))
    }

    @Test func namesTheMissingPrivilegeFrom403And400() {
        let forbidden = APIError.from(HTTPResponse(status: 403, body: Array("permission check failed - missing Datastore.Audit|Datastore.Backup on /datastore/main".utf8)), host: "h", path: "/admin/datastore/main/status")
        #expect(forbidden.missingPrivilege == "Datastore.Audit|Datastore.Backup")
        let handler = APIError.from(HTTPResponse(status: 400, body: Array("missing permissions 'Datastore.Verify' on '/datastore/store1'".utf8)), host: "h", path: "/p")
        #expect(handler.missingPrivilege == "Datastore.Verify")
        #expect(!handler.isUnreachable)
    }

    /// PVE: the reason in the status line, `{"data":null}` or (pve-http-server 5.2+) with `message`.
    @Test func readsPVEsJSONErrorsAndStatusLine() {
        let withMessage = HTTPResponse(status: 403, reason: "Permission check failed (/storage/backup-primary, Datastore.Allocate)",
                                       body: Array(#"{"data":null,"message":"Permission check failed (/storage/backup-primary, Datastore.Allocate)\n"}"#.utf8))
        let forbidden = APIError.from(withMessage, host: "pve1", path: "/storage/backup-primary")
        #expect(forbidden == .forbidden(host: "pve1", path: "/storage/backup-primary",
                                        message: "Permission check failed (/storage/backup-primary, Datastore.Allocate)"))
        #expect(forbidden.missingPrivilege == "Datastore.Allocate")
        let older = HTTPResponse(status: 500, reason: "update storage failed: can't change value of fixed parameter 'server'",
                                 body: Array(#"{"data":null}"#.utf8))
        #expect(APIError.from(older, host: "pve1", path: "/storage/x")
                == .server(host: "pve1", path: "/storage/x", status: 500, message: "update storage failed: can't change value of fixed parameter 'server'"))
        let denied = HTTPResponse(status: 401, reason: "authentication failure", body: [])
        #expect(APIError.from(denied, host: "pve1", path: "/version") == .unauthorized(host: "pve1", message: "authentication failure"))
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
