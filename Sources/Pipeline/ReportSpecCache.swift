import FlowCore
import Policy
import Reports

/// The `GlobalReport`s among the report spec paths and the cluster manifests, as
/// `ReportSpecLoader.load(paths:)` finds them, read again only when a file behind the paths
/// changed.
///
/// The agent's scheduled reports look every `check-interval` (a minute by default); reading
/// and searching a large cluster's manifests for reports each time (4.8 MB on a 4,096-pod
/// cluster) cost about 80 ms of CPU per pass, more than a second of capture. Now a pass lists
/// the files and `stat`s each (as `ManifestWatcher` does): the same files with the same device,
/// inode, size and modification time give the answer of the last read. A file rewritten in place
/// with the same size within one tick of the file system's clock would look unchanged; editors,
/// `kubectl cp` and ConfigMap volumes replace files (a new inode) instead. Every
/// `refreshPasses`-th look reads again whatever the files say.
struct ReportSpecCache {
    /// Looks between two reads even when nothing seems to have changed.
    static let refreshPasses = 60

    private var listed: [String] = []
    private var identities: [FileIdentity?] = []
    private var answer: (specs: [ReportSpec], errors: [FlowlogError])?
    private var passesSinceRead = 0
    /// How many times the files were read (for tests).
    private(set) var reads = 0

    mutating func load(paths: [String]) -> (specs: [ReportSpec], errors: [FlowlogError]) {
        let files = ClusterLoader.manifestFiles(paths: paths).files
        let now = files.map { ManifestSnapshot.identity(of: $0)?.0 }
        passesSinceRead += 1
        if let answer, files == listed, now == identities, passesSinceRead < Self.refreshPasses { return answer }
        let read = ReportSpecLoader.load(paths: paths)
        listed = files
        identities = now
        answer = read
        passesSinceRead = 0
        reads += 1
        return read
    }
}
