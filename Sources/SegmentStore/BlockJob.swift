import FlowCore

/// An open segment file shared by the scan that opened it and the jobs reading its blocks; the
/// descriptor is closed when the last of them lets go, so a worker still reading a block of a
/// segment the scan has moved past reads from an open file.
///
/// `Sendable`: the descriptor and path never change, and `pread` at an explicit offset is safe
/// from any number of threads at once.
final class SegmentFileHandle: Sendable {
    let file: PosixFile

    init(_ file: PosixFile) { self.file = file }

    deinit { file.close() }
}

/// One block to read and decode: where it is, and the part of the scan's time range its rows
/// must be tested against (nil where the whole block lies inside). Made by the scan's cursor
/// in order, read by whichever thread takes it.
struct BlockJob: Sendable {
    let file: SegmentFileHandle
    let block: SegmentLayout.Block
    let since: Timestamp?
    let until: Timestamp?

    /// What reading it gave.
    enum Outcome: Sendable {
        /// The block's record count (its rows inside the range are in the target).
        case decoded(Int)
        /// The block fails its checks; the scan goes on without it.
        case damaged(ScanProblem)
        /// Anything else (an I/O error, a newer format): the scan stops with it.
        case failed(Error)
    }

    /// Reads and decodes the block into `target` with `reader`'s buffers. Never throws: the
    /// caller decides, in scan order, what a damaged block or a failure means.
    func read<Target: BlockDecodingTarget>(with reader: inout BlockReader, into target: inout Target) -> Outcome {
        do {
            return .decoded(try reader.read(file.file, block: block, since: since, until: until, into: &target))
        } catch let error as FlowlogError where error.code == .corrupt || error.code == .truncated {
            target.removeAll()
            return .damaged(ScanProblem(error, flowsMissing: UInt64(block.digest.count)))
        } catch {
            target.removeAll()
            return .failed(error)
        }
    }
}

extension ScanStatistics {
    /// Counts what reading a job's block gave: true when it was decoded, false (the damage
    /// recorded) when it is corrupt; rethrows any other failure.
    mutating func account(_ job: BlockJob, _ outcome: BlockJob.Outcome) throws -> Bool {
        blocksRead += 1
        bytesRead += UInt64(job.block.length)
        switch outcome {
        case .decoded(let count):
            flowsDecoded += UInt64(count)
            return true
        case .damaged(let problem):
            problems.append(problem)
            return false
        case .failed(let error):
            throw error
        }
    }
}
