import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

@Suite struct GovernanceTests {
    @Test func dumpUnderHoldIsRefusedAndExplainsTheGrant() {
        #expect {
            try Governance.authorize(.dumpClone(path: "/backups/prod.dump"))
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .refused && e.code.exitStatus == 3 && e.message.contains("HOLD_REAL_DATA")
                && e.message.contains("AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF") && e.message.contains("SHA-256")
        }
    }

    @Test func laneFiveIsNeverSelectable() {
        for request in [Governance.Request.surrogate, .dumpClone(path: "x")] {
            #expect(throws: RehearseError.self) { try Governance.authorize(request, lane: .productionExecution) }
        }
    }

    @Test func surrogateUnderHoldIsAllowed() throws {
        try Governance.authorize(.surrogate)
        #expect(Lane.default == .holdRealData)
    }
}
