import Audit
import SegmentStore

/// Which store a digest chain covers, and how its sealed files are named.
public enum EvidenceStoreKind: String, Sendable, CaseIterable {
    case flows
    case audit

    /// The sealed file's sequence, nil for files that are not sealed data files.
    func sealedSequence(_ name: String) -> UInt64? {
        switch self {
        case .flows: return SegmentFileName.sealedSequence(of: name)
        case .audit: return AuditStoreFormat.sealedSequence(of: name)
        }
    }

    /// The file still being written, which no digest covers yet.
    func isOpenFile(_ name: String) -> Bool {
        switch self {
        case .flows: return SegmentFileName.isOpenSegment(name)
        case .audit: return AuditStoreFormat.isOpenFile(name)
        }
    }
}
