import Audit
import FlowCore
import Query
import SegmentStore

extension SinkWorker {
    /// What one `collect` call did.
    struct Collected {
        var records = 0
        /// Nothing more to read now.
        var caughtUp = true
    }

    /// Reads records after the cursors into the spool until about `budget` bytes are waiting
    /// or the sources are exhausted; then syncs the spool and moves cursors and tail together.
    func collect(budget: UInt64) throws -> Collected {
        var collected = Collected()
        var payload: [UInt8] = []
        payload.reserveCapacity(2048)
        if sink.records.contains(.flows) {
            try collectFlows(budget: budget, into: &collected, payload: &payload)
        }
        if sink.records.contains(.audit), let audit = sources.auditDirectory, spool.end - spool.head < budget {
            try collectAudit(audit, into: &collected, payload: &payload)
        }
        if sink.records.contains(.findings), spool.end - spool.head < budget {
            try collectFindings(into: &collected, payload: &payload)
        }
        if collected.records > 0 || spool.end != spool.tail || state.tail != spool.end || cursorsMoved {
            let dropped = try spool.sync()
            if dropped > 0 {
                log("siem: sink \(sink.name): spool over its \(sink.spoolLimit) bytes; dropped the \(dropped) oldest records")
                metrics.add(.dropped, dropped)
            }
            state.head = spool.head
            state.tail = spool.tail
            try stateFile.store(state, durable: true)
            cursorsMoved = false
            if pendingSince == nil && !spool.isEmpty { pendingSince = clock.now }
        }
        updateSpoolMetrics()
        return collected
    }

    /// Renders `record` in the sink's wire format and appends it.
    func spoolRecord(_ record: ExportRecord, payload: inout [UInt8]) throws {
        payload.removeAll(keepingCapacity: true)
        switch sink.type {
        case .syslog: SyslogMessage.append(record, options: syslogOptions, fallbackHost: hostName, to: &payload)
        case .splunkHEC: HECEvent.append(record, options: splunkOptions, fallbackHost: hostName, to: &payload)
        case .elasticsearch: BulkItem.append(record, index: bulkIndices[record.kind] ?? "", to: &payload)
        }
        if payload.count > SinkSpool.maximumRecord {
            log("siem: sink \(sink.name): record \(record.string(record.id)) is \(payload.count) bytes, more than \(SinkSpool.maximumRecord); not sent")
            metrics.add(.failed, 1)
            return
        }
        try spool.append(time: record.time, payload: payload)
    }

    private func openStore() throws -> (StoreReader, StoreBlockReader) {
        if let storeReader, let blockReader { return (storeReader, blockReader) }
        let reader = try StoreReader(directory: sources.dataDirectory)
        let blocks = StoreBlockReader(reader: reader)
        storeReader = reader
        blockReader = blocks
        return (reader, blocks)
    }

    private func collectFlows(budget: UInt64, into collected: inout Collected, payload: inout [UInt8]) throws {
        let reader: StoreReader, blocks: StoreBlockReader
        do {
            (reader, blocks) = try openStore()
        } catch let error as FlowlogError where following && error.code == .fileNotFound {
            return
        }
        let window = sources.window
        var record = ExportRecord()
        var cursor = window == nil ? state.flows : windowFlows
        defer {
            if window == nil {
                if cursor != state.flows { cursorsMoved = true }
                state.flows = cursor
            } else {
                windowFlows = cursor
            }
        }
        while spool.end - spool.head < budget {
            let (listed, problems) = try reader.blocks(after: cursor, limit: 64)
            for problem in problems { log("siem: sink \(sink.name): store problem: \(problem)") }
            guard !listed.isEmpty else { return }
            for (i, info) in listed.enumerated() {
                if let window, let until = window.until, info.minStart >= until {
                    cursor = info.position
                    continue
                }
                if let window, let since = window.since, info.maxEnd < since {
                    cursor = info.position
                    continue
                }
                switch try blocks.read(info.position) {
                case .read(let flows):
                    for (row, flow) in flows.enumerated() where filter.matches(flow) && (window?.contains(flow.flow) ?? true) {
                        builder.flow(flow, segment: info.position.segment, block: info.position.block, row: row, into: &record)
                        try spoolRecord(record, payload: &payload)
                        collected.records += 1
                    }
                case .deleted:
                    log("siem: sink \(sink.name): block \(info.position) was deleted by retention before it was exported")
                case .damaged(let error):
                    if !info.sealed && i == listed.count - 1 {
                        // The writer may be in the middle of this block: read it next time.
                        return
                    }
                    log("siem: sink \(sink.name): block \(info.position) is damaged and cannot be exported: \(error)")
                }
                cursor = info.position
                if spool.end - spool.head >= budget {
                    collected.caughtUp = false
                    return
                }
            }
        }
        collected.caughtUp = false
    }

    private func collectAudit(_ directory: String, into collected: inout Collected, payload: inout [UInt8]) throws {
        let after = sources.window == nil ? state.audit : windowAudit
        let history = try AuditHistory.load(directory: directory)
        guard let last = history.versions.last, last.sequence > after else { return }
        let listing = VersionListing(history: history)
        for version in history.versions where version.sequence > after {
            if let window = sources.window {
                if let since = window.since, version.time < since { continue }
                if let until = window.until, version.time >= until { continue }
            }
            try spoolRecord(builder.audit(version, json: listing.record(version)), payload: &payload)
            collected.records += 1
        }
        if sources.window == nil {
            state.audit = last.sequence
            cursorsMoved = true
        } else {
            windowAudit = last.sequence
        }
    }
}
