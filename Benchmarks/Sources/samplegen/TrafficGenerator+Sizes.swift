/// Sizes and times by application protocol: small requests, responses from one segment to a
/// bulk transfer, server think times from tens of microseconds (Redis) to tens of milliseconds.
extension TrafficGenerator {
    mutating func requestSize(_ f: ActiveFlow) -> Int {
        switch f.application {
        case .http: return random.int(150...450)
        case .tls: return f.exchanges == 0 ? 517 : random.int(80...700)
        case .postgres: return random.int(40...300)
        case .redis: return random.int(25...90)
        case .amqp: return random.int(40...250)
        case .dns, .ntp, .ssh: return random.int(40...120)
        }
    }

    /// Segments in the next response.
    mutating func responseSegments(_ f: ActiveFlow) -> Int32 {
        let isScrape = f.serverPort == 9090 || f.serverPort == 9153
        switch f.application {
        case .http where isScrape: return Int32(random.int(3...10))
        case .http, .tls:
            if f.bulk { return Int32(min(400, 4 + random.pareto(mean: 40))) }
            return random.chance(0.7) ? 1 : Int32(random.int(2...6))
        case .postgres: return Int32(random.int(1...3))
        case .amqp: return Int32(random.int(1...2))
        case .redis, .dns, .ntp, .ssh: return 1
        }
    }

    /// Payload of a response's last (or only) segment.
    mutating func lastSegmentSize(_ f: ActiveFlow) -> Int {
        switch f.application {
        case .http: return random.int(200...1400)
        case .tls: return random.int(100...1400)
        case .postgres: return random.int(60...900)
        case .redis: return random.int(5...120)
        case .amqp: return random.int(20...300)
        case .dns, .ntp, .ssh: return random.int(40...200)
        }
    }

    /// Time the server takes before its first response segment, seconds.
    mutating func serverTime(_ application: ApplicationProtocol) -> Double {
        switch application {
        case .redis: return 0.00003 + random.exponential(mean: 0.0001)
        case .postgres: return 0.0002 + random.exponential(mean: 0.002)
        case .http, .amqp: return 0.0005 + random.exponential(mean: 0.008)
        case .tls: return 0.001 + random.exponential(mean: 0.02)
        case .dns, .ntp, .ssh: return 0.0001
        }
    }

    /// Idle time between exchanges on a kept-alive connection, seconds.
    mutating func thinkTime(_ application: ApplicationProtocol) -> Double {
        switch application {
        case .redis, .postgres: return random.exponential(mean: 0.05)
        case .amqp: return random.exponential(mean: 0.2)
        case .http: return random.exponential(mean: 0.3)
        case .tls: return random.exponential(mean: 0.5)
        case .dns, .ntp, .ssh: return 0.1
        }
    }
}
