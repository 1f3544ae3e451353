import FlowCore
import Foundation
import Testing

@Suite("Drain deadline")
struct DrainDeadlineTests {
    @Test("not asked for, asked for, passed")
    func lifecycle() {
        let deadline = DrainDeadline()
        #expect(!deadline.isRequested && !deadline.hasPassed)
        deadline.start(limit: .milliseconds(200))
        #expect(deadline.isRequested && !deadline.hasPassed)
        usleep(300_000)
        #expect(deadline.hasPassed)
    }

    @Test("limits beyond the clock's range do not wrap into the past")
    func hugeLimit() {
        let deadline = DrainDeadline()
        deadline.start(limit: .seconds(Int64.max))
        #expect(deadline.isRequested && !deadline.hasPassed)
    }
}
