import FlowCore

/// What a workload does: its image, its named container ports, how it is scaled, and what
/// its traffic looks like on the wire.
enum WorkloadRole: CaseIterable {
    case dns, prometheus, frontend, api, auth, worker, database, cache, queue, search

    struct Port {
        var name: String
        var number: UInt16
        var transport: IPProtocol
    }

    var app: String {
        switch self {
        case .dns: return "coredns"
        case .prometheus: return "prometheus"
        case .frontend: return "frontend"
        case .api: return "api"
        case .auth: return "auth"
        case .worker: return "worker"
        case .database: return "postgres"
        case .cache: return "redis"
        case .queue: return "rabbitmq"
        case .search: return "search"
        }
    }

    var image: String {
        switch self {
        case .dns: return "registry.k8s.io/coredns/coredns:v1.11.3"
        case .prometheus: return "quay.io/prometheus/prometheus:v2.54.1"
        case .frontend: return "registry.example.com/web/frontend:4.2.0"
        case .api: return "registry.example.com/backend/api:2.17.3"
        case .auth: return "registry.example.com/backend/auth:1.9.0"
        case .worker: return "registry.example.com/backend/worker:2.17.3"
        case .database: return "docker.io/library/postgres:16.4"
        case .cache: return "docker.io/library/redis:7.4"
        case .queue: return "docker.io/library/rabbitmq:3.13"
        case .search: return "docker.io/opensearchproject/opensearch:2.17.0"
        }
    }

    /// Container ports, named so that policies can match them by name.
    var containerPorts: [Port] {
        let metrics = Port(name: "metrics", number: 9090, transport: .tcp)
        switch self {
        case .dns:
            return [Port(name: "dns", number: 53, transport: .udp), Port(name: "dns-tcp", number: 53, transport: .tcp),
                    Port(name: "metrics", number: 9153, transport: .tcp)]
        case .prometheus: return [Port(name: "web", number: 9090, transport: .tcp)]
        case .frontend: return [Port(name: "http", number: 8080, transport: .tcp), Port(name: "https", number: 8443, transport: .tcp), metrics]
        case .api: return [Port(name: "http", number: 8080, transport: .tcp), Port(name: "grpc", number: 9000, transport: .tcp), metrics]
        case .auth: return [Port(name: "https", number: 8443, transport: .tcp), metrics]
        case .worker: return [metrics]
        case .database: return [Port(name: "postgres", number: 5432, transport: .tcp), metrics]
        case .cache: return [Port(name: "redis", number: 6379, transport: .tcp), metrics]
        case .queue: return [Port(name: "amqp", number: 5672, transport: .tcp), metrics]
        case .search: return [Port(name: "http", number: 9200, transport: .tcp), metrics]
        }
    }

    /// The ports a Service exposes (everything but metrics, which Prometheus scrapes per pod).
    var servicePorts: [Port] {
        containerPorts.filter { $0.name != "metrics" }
    }

    /// Relative replica count.
    var replicaWeight: Double {
        switch self {
        case .dns, .prometheus: return 0
        case .frontend, .api: return 3
        case .worker, .auth, .search: return 2
        case .database, .cache, .queue: return 1
        }
    }

    /// StatefulSets get ordinal pod names (`postgres-0`) and no generateName.
    var isStateful: Bool { self == .database || self == .queue || self == .prometheus }

    var tierLabel: String {
        switch self {
        case .dns, .prometheus: return "infra"
        case .frontend: return "frontend"
        case .api, .auth, .worker: return "backend"
        case .database, .cache, .queue, .search: return "data"
        }
    }

    /// Which roles of the same namespace call this one, for the in-namespace allow policies.
    var clientRoles: [WorkloadRole] {
        switch self {
        case .api: return [.frontend]
        case .auth: return [.frontend, .api]
        case .database: return [.api, .worker, .auth]
        case .cache: return [.api, .auth, .frontend]
        case .queue: return [.api, .worker]
        case .search: return [.api, .worker]
        case .dns, .prometheus, .frontend, .worker: return []
        }
    }

    /// The application protocol spoken on this role's main port: sets sizes and payloads.
    var application: ApplicationProtocol {
        switch self {
        case .dns: return .dns
        case .prometheus: return .http
        case .frontend, .api, .search: return .http
        case .auth: return .tls
        case .worker: return .http
        case .database: return .postgres
        case .cache: return .redis
        case .queue: return .amqp
        }
    }
}

/// Shapes request and response sizes and the first bytes of the payload.
enum ApplicationProtocol: UInt8 {
    case http, tls, postgres, redis, amqp, dns, ntp, ssh
}
