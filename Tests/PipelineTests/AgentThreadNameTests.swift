import Testing
@testable import Pipeline

/// Thread names take at most 15 bytes on Linux (`BackgroundThread` refuses longer ones), and
/// interface names take up to 15 too, so the capture thread's name keeps what fits.
@Suite struct AgentThreadNameTests {
    @Test(arguments: [("lo", "cap-lo"), ("eth0", "cap-eth0"), ("enp0s31f6", "cap-enp0s31f6"),
                      ("cali1234567890a", "cap-cali1234567"), ("wlän0123456789", "cap-wlän012345")])
    func captureThreadNamesFitAndKeepTheInterfacesStart(interface: String, expected: String) {
        let name = NodeAgent.captureThreadName(interface)
        #expect(name == expected)
        #expect(name.utf8.count <= 15)
    }
}
