import ProxmoxAPI
import Testing

@Suite struct UPIDTests {
    @Test func parsesAPBSSyncJobAndUnescapesTheWorkerID() throws {
        let upid = try UPID(#"UPID:pbs-b:00002F1A:0001C9E3:00000012:684A26B8:syncjob:pbs\x2da\x3astore1\x3astore1\x3a\x3apull\x2dfrom\x2dpbs\x2da:root@pam:"#)
        #expect(upid.flavor == .pbs)
        #expect(upid.node == "pbs-b")
        #expect(upid.pid == 0x2F1A)
        #expect(upid.taskID == 0x12)
        #expect(upid.startTime == 0x684A26B8)
        #expect(upid.workerType == "syncjob")
        #expect(upid.workerID == "pbs-a:store1:store1::pull-from-pbs-a")
        #expect(upid.authID == "root@pam")
    }

    @Test func parsesATokenAuthIDAndASlashInTheWorkerID() throws {
        let upid = try UPID(#"UPID:pbs-a:00002F00:0001C900:0000002B:684A2848:verify_snapshot:store1\x3a-vm-100-684A0CBC:ops@pbs!console:"#)
        #expect(upid.workerID == "store1:/vm/100/684A0CBC")
        #expect(upid.authID == "ops@pbs!console")
    }

    @Test func parsesAPVEUPIDWithSevenFields() throws {
        let upid = try UPID("UPID:pve1:0003A1B2:01C2D3E4:66F1A2B3:vzdump:100:failover@pve!console:")
        #expect(upid.flavor == .pve)
        #expect(upid.taskID == nil)
        #expect(upid.startTime == 0x66F1A2B3)
        #expect(upid.workerType == "vzdump")
        #expect(upid.workerID == "100")
    }

    @Test func acceptsANineDigitPstart() throws {
        let upid = try UPID("UPID:pve1:0003A1B2:1C2D3E4F5:66F1A2B3:vzdump::root@pam:")
        #expect(upid.pstart == 0x1C2D3E4F5)
        #expect(upid.workerID == "")
    }

    @Test func buildsWhatItParses() throws {
        let built = UPID.pbs(node: "pbs-b", pid: 0x2F1A, pstart: 0x1C9E3, taskID: 0x12, startTime: 0x684A26B8,
                             workerType: "syncjob", workerID: "pbs-a:store1:store1::pull-from-pbs-a", authID: "root@pam")
        #expect(built.raw == #"UPID:pbs-b:00002F1A:0001C9E3:00000012:684A26B8:syncjob:pbs\x2da\x3astore1\x3astore1\x3a\x3apull\x2dfrom\x2dpbs\x2da:root@pam:"#)
        #expect(try UPID(built.raw) == built)
    }

    @Test(arguments: [
        ("UPID:pbs-b:00002F1A", "ends with ':'"),
        ("TASK:pbs-b:00002F1A:0001C9E3:00000012:684A26B8:syncjob::root@pam:", "starts with 'UPID:'"),
        ("UPID:pbs-b:00002F1A:0001C9E3:684A26B8:root@pam:", "found 5"),
        ("UPID:pbs-b:XYZ:0001C9E3:00000012:684A26B8:syncjob::root@pam:", "pid 'XYZ'"),
        (#"UPID:pbs-b:00002F1A:0001C9E3:00000012:684A26B8:syncjob:bad\x2:root@pam:"#, "bad escape"),
    ])
    func rejectsMalformedUPIDsWithTheReason(_ text: String, _ reason: String) {
        #expect {
            try UPID(text)
        } throws: { error in
            (error as? UPIDError)?.description.contains(reason) == true
        }
    }
}
