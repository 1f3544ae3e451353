import CPcap
import FlowCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libpcap handle: a capture file being replayed or a live interface.
///
/// The only place the capture stage touches libpcap. Offline files are opened with nanosecond
/// timestamp precision, so microsecond files and nanosecond files (classic pcap in either byte
/// order, pcapng) all come out as nanoseconds. Live handles ask the kernel for nanoseconds and
/// fall back to microseconds where the platform cannot provide them.
///
/// Reading is single-threaded; only `breakLoop()` may be called from another thread.
public final class PacketSource {
    /// What the handle reads from.
    public enum Origin: Hashable, Sendable {
        case file(String)
        case interface(String)
    }

    public let origin: Origin
    /// The link type libpcap reports for the handle (a DLT value, e.g. 1 for Ethernet).
    public let linkType: LinkType

    let handle: OpaquePointer
    /// Multiplier from libpcap's `tv_usec` field to nanoseconds (1000 for microsecond handles).
    let fractionScale: UInt64
    /// Size of the file for progress reports; nil for live handles.
    public let fileSize: UInt64?

    /// Live handles are non-blocking and waited on with `poll`, beside a pipe that
    /// `breakLoop()` writes to: libpcap's own wake-up on an idle Linux interface depends on
    /// the ring version in use, and the flow cache must see time pass when no packets come.
    let selectableDescriptor: Int32
    let wakeRead: Int32
    let wakeWrite: Int32
    let pollTimeoutMilliseconds: Int32
    var packetsSinceWakeCheck = 0
    /// How long a live read that emptied the kernel's ring waits before looking again while
    /// packets are flowing (0: wait for the next block as usual); see `busyPause(bufferBytes:)`.
    let busyPauseMilliseconds: Int32
    /// The last `dispatch` handed packets over: traffic is flowing.
    var wasBusy = false
    /// The copy of the capture an in-memory source reads (libpcap reads it through `fmemopen`).
    private let memory: UnsafeMutableRawBufferPointer?
    /// The stdio buffer of a capture file's stream; freed after the handle (and the stream) is closed.
    private let streamBuffer: UnsafeMutableRawPointer?
    /// Size of that buffer: large enough that reading costs a system call per thousand packets,
    /// small enough to stay in a core's second-level cache, from where libpcap copies each record.
    static let fileReadBufferBytes = 256 << 10
    /// A regular capture file mapped into memory (`mmap`). Unmapped as soon as libpcap takes
    /// over, on the reading thread: tearing down the map of a large file takes a while, and the
    /// replay's other threads are still busy then, while they would wait for it at the end.
    private var mapping: UnsafeRawBufferPointer?
    /// The records of a classic pcap file (mapped) or in-memory capture, read where they lie
    /// until the first one libpcap must read (`ClassicPcapRecords`); nil once libpcap reads on,
    /// and for pcapng, standard input, pipes and live handles.
    var inPlaceRecords: ClassicPcapRecords?
    /// Where the in-place reader stopped and libpcap took over (the file's end, when it read
    /// every record); nil while it reads, or when it never did.
    private(set) var inPlaceStopOffset: Int?
    /// Set by `breakLoop()` for the in-place reader and the ring reader, which libpcap's own
    /// flag does not reach.
    private let breakRequested = Atomic<Bool>(false)
    /// The kernel's receive ring, read directly (`PacketRing`); nil where libpcap reads.
    private(set) var ring: PacketRing?

    /// Opens a capture file (classic pcap in either byte order, µs or ns, or pcapng); `-`
    /// reads one from standard input.
    ///
    /// Throws `FlowlogError` naming the file: `.fileNotFound`, `.permissionDenied`, or
    /// `.unsupportedFormat` with libpcap's own reason (`pcap_open_offline_with_tstamp_precision`).
    public init(offlinePath path: String) throws {
        // libpcap's messages for a missing file are bare strerror texts; check first so the
        // error says which file and why in our own codes.
        var info = stat()
        let isStandardInput = path == "-"
        if isStandardInput {
            info.st_size = 0
        } else if stat(path, &info) != 0 {
            let reason = String(cString: strerror(errno))
            let code: FlowlogError.Code = errno == ENOENT ? .fileNotFound : (errno == EACCES ? .permissionDenied : .io)
            throw FlowlogError(code, reason, location: .init(file: path), call: "stat")
        }
        if !isStandardInput && (info.st_mode & S_IFMT) == S_IFDIR {
            throw FlowlogError(.invalidArgument, "is a directory, not a capture file", location: .init(file: path))
        }
        if !isStandardInput && (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0 {
            throw FlowlogError(.truncated, "empty file (0 bytes), not a capture", location: .init(file: path))
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var streamBuffer: UnsafeMutableRawPointer?
        let handleOrNil: OpaquePointer?
        if isStandardInput {
            handleOrNil = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        } else if let stream = fopen(path, "rb") {
            // libpcap reads a file one record at a time through stdio, whose own buffer is one
            // file-system block (4 KiB): a system call per dozen packets, a third of what reading
            // a capture cost. A larger buffer, given before the first read, makes it one per
            // thousand.
            streamBuffer = malloc(Self.fileReadBufferBytes)
            if let buffer = streamBuffer {
                _ = setvbuf(stream, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, Self.fileReadBufferBytes)
            }
            #if canImport(Glibc)
            // Two reads per packet, each taking the stream's lock in a process with threads; only
            // the capture thread reads this stream (`breakLoop` never touches it).
            _ = __fsetlocking(stream, Int32(FSETLOCKING_BYCALLER))
            #endif
            handleOrNil = pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
            if handleOrNil == nil {
                // libpcap closes the stream only when the handle it made is closed.
                fclose(stream)
                free(streamBuffer)
                streamBuffer = nil
            }
        } else {
            handleOrNil = nil
        }
        guard let opened = handleOrNil else {
            let reason = String(nulTerminated: errorBuffer)
            if !isStandardInput, access(path, R_OK) != 0 {
                throw FlowlogError(.permissionDenied, "cannot be read (permission denied)", location: .init(file: path))
            }
            throw Self.unreadableCapture(path: path, size: isStandardInput ? nil : UInt64(info.st_size), libpcapReason: reason)
        }
        handle = opened
        origin = .file(path)
        linkType = LinkType(rawValue: pcap_datalink(opened))
        fractionScale = pcap_get_tstamp_precision(opened) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000
        fileSize = isStandardInput ? nil : UInt64(info.st_size)
        selectableDescriptor = -1
        wakeRead = -1
        wakeWrite = -1
        pollTimeoutMilliseconds = 0
        busyPauseMilliseconds = 0
        memory = nil
        self.streamBuffer = streamBuffer
        mapping = isStandardInput ? nil : Self.mapRegularFile(of: opened)
        inPlaceRecords = mapping.flatMap { Self.inPlaceRecords(of: opened, in: $0) }
        if inPlaceRecords == nil { unmap() }
    }

    /// The file under `handle` mapped read-only, when it is a regular file whose whole length
    /// can be mapped; nil otherwise (libpcap then reads it, as it reads pipes).
    private static func mapRegularFile(of handle: OpaquePointer) -> UnsafeRawBufferPointer? {
        guard let stream = pcap_file(handle) else { return nil }
        let descriptor = fileno(stream)
        var info = stat()
        guard descriptor >= 0, fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
              info.st_size >= ClassicPcapRecords.fileHeaderBytes, let length = Int(exactly: info.st_size) else { return nil }
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else { return nil }
        return UnsafeRawBufferPointer(start: address, count: length)
    }

    /// How much of the map the reader leaves behind before those pages are let go.
    static let mappedReleaseStep = 8 << 20
    /// Where the map's pages still mapped begin (those before were read and let go).
    private var mappedReleased = 0

    /// Lets go of the mapped pages before `offset`, whose records have all been taken, once
    /// they add up to `mappedReleaseStep`: they stay in the page cache, but no longer count in
    /// the process's resident size, which would otherwise grow by the whole file.
    func releaseMappedPages(before offset: Int) {
        guard let mapping, offset &- mappedReleased >= Self.mappedReleaseStep else { return }
        let end = offset & ~(Int(getpagesize()) - 1)
        guard end > mappedReleased else { return }
        madvise(UnsafeMutableRawPointer(mutating: mapping.baseAddress! + mappedReleased), end - mappedReleased, MADV_DONTNEED)
        mappedReleased = end
    }

    private func unmap() {
        guard let mapping else { return }
        munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count)
        self.mapping = nil
    }

    /// The in-place reader for `bytes`, the whole file libpcap opened as `handle`, when libpcap
    /// reads its records without special cases.
    private static func inPlaceRecords(of handle: OpaquePointer, in bytes: UnsafeRawBufferPointer) -> ClassicPcapRecords? {
        ClassicPcapRecords(bytes: bytes, majorVersion: pcap_major_version(handle), minorVersion: pcap_minor_version(handle),
                           snapshot: pcap_snapshot(handle), libpcapSwaps: pcap_is_swapped(handle) != 0)
    }

    /// Why libpcap refused a file, in the user's terms, from the file's first bytes; libpcap's
    /// own text follows as detail.
    static func unreadableCapture(path: String, size: UInt64?, libpcapReason reason: String) -> FlowlogError {
        let detail = reason.isEmpty ? "" : " (libpcap: \(reason))"
        let location = FlowlogError.Location(file: path == "-" ? "standard input" : path)
        guard let size else {
            return FlowlogError(.unsupportedFormat, "not a capture file (pcap or pcapng)" + detail, location: location)
        }
        var magic: [UInt8] = [0, 0, 0, 0]
        var got = 0
        if let file = fopen(path, "rb") {
            got = fread(&magic, 1, 4, file)
            fclose(file)
        }
        let header = Array(magic.prefix(got))
        let known: [[UInt8]] = [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1],
                                [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A]]
        if got < 4 || !known.contains(header) {
            if size < 24, known.contains(where: { $0.starts(with: header) }) {
                return FlowlogError(.truncated, "too short to be a capture file (\(size) bytes; a pcap header alone is 24)" + detail,
                                    location: location)
            }
            let shown = header.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            return FlowlogError(.unsupportedFormat,
                                "not a capture file: pcap and pcapng files begin with a magic number, this one with "
                                + (shown.isEmpty ? "nothing" : shown.joined(separator: " ")) + detail,
                                location: location)
        }
        if size < 24 {
            return FlowlogError(.truncated, "capture file cut short inside its header (\(size) bytes)" + detail, location: location)
        }
        return FlowlogError(.unsupportedFormat, "a capture file this libpcap cannot read (an unsupported version or link type?)" + detail,
                            location: location)
    }

    /// The interfaces libpcap can capture on, for "no such interface" answers.
    public static func interfaceNames() -> [String] {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errorBuffer) == 0 else { return [] }
        defer { pcap_freealldevs(list) }
        var names: [String] = []
        var next = list
        while let device = next {
            names.append(String(cString: device.pointee.name))
            next = device.pointee.next
        }
        return names
    }

    /// Opens a live interface. Needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode) on
    /// Linux, or root.
    ///
    /// Throws `FlowlogError` with libpcap's reason; `.permissionDenied` when the capability is
    /// missing, `.invalidArgument` for an unknown interface or a BPF filter that does not compile.
    public init(liveInterface name: String, configuration: LiveCaptureConfiguration = LiveCaptureConfiguration()) throws {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let location = FlowlogError.Location(field: "interface \(name)")
        guard let created = pcap_create(name, &errorBuffer) else {
            throw FlowlogError(.libraryCall, String(nulTerminated: errorBuffer), location: location, call: "pcap_create")
        }
        func fail(_ call: String, _ status: Int32) -> FlowlogError {
            let text = String(cString: pcap_geterr(created))
            let statusText = String(cString: pcap_statustostr(status))
            let code: FlowlogError.Code
            switch status {
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED: code = .permissionDenied
            case PCAP_ERROR_NO_SUCH_DEVICE, PCAP_ERROR_IFACE_NOT_UP: code = .invalidArgument
            default: code = .libraryCall
            }
            let libpcap = text.isEmpty || text == statusText ? statusText : "\(statusText): \(text)"
            if status == PCAP_ERROR_NO_SUCH_DEVICE {
                let names = Self.interfaceNames()
                let list = names.isEmpty ? "" : "; interfaces here: " + names.joined(separator: ", ")
                return FlowlogError(code, "no such interface\(Spelling.suggestion(for: name, among: names))\(list) (libpcap: \(libpcap))",
                                    location: location)
            }
            if code == .permissionDenied {
                return FlowlogError(code, "not allowed to capture: needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode), "
                                    + "e.g. run as root (libpcap: \(libpcap))", location: location)
            }
            if status == PCAP_ERROR_IFACE_NOT_UP {
                return FlowlogError(code, "the interface is down (libpcap: \(libpcap))", location: location)
            }
            return FlowlogError(code, libpcap, location: location, call: call)
        }
        // Settings before activation; each returns non-zero only on an already-active handle.
        pcap_set_snaplen(created, Int32(clamping: configuration.snaplen))
        pcap_set_promisc(created, configuration.promiscuous ? 1 : 0)
        pcap_set_timeout(created, Int32(clamping: configuration.readTimeoutMilliseconds))
        if configuration.bufferSize > 0 { pcap_set_buffer_size(created, Int32(clamping: configuration.bufferSize)) }
        if configuration.immediate { pcap_set_immediate_mode(created, 1) }
        let wantsNano = pcap_set_tstamp_precision(created, PCAP_TSTAMP_PRECISION_NANO) == 0
        let status = pcap_activate(created)
        if status < 0 {
            let error = fail("pcap_activate", status)
            pcap_close(created)
            throw error
        }
        if let filter = configuration.filter, !filter.isEmpty {
            var program = bpf_program()
            if pcap_compile(created, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
                let error = FlowlogError(.invalidArgument, String(cString: pcap_geterr(created)),
                                         location: .init(field: "filter \"\(filter)\""), call: "pcap_compile")
                pcap_close(created)
                throw error
            }
            let setStatus = pcap_setfilter(created, &program)
            pcap_freecode(&program)
            if setStatus != 0 {
                let error = fail("pcap_setfilter", setStatus)
                pcap_close(created)
                throw error
            }
        }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let reason = String(cString: strerror(errno))
            pcap_close(created)
            throw FlowlogError(.libraryCall, reason, location: location, call: "pipe")
        }
        _ = fcntl(pipeEnds[0], F_SETFL, fcntl(pipeEnds[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(pipeEnds[1], F_SETFL, fcntl(pipeEnds[1], F_GETFL) | O_NONBLOCK)
        // libpcap has checked the interface, the permissions and the settings; where the kernel's
        // ring can be read directly, libpcap's handle gives way to it (the two would each receive
        // every packet) and a dead handle of the same link type stands in for it.
        var opened = created
        var selectable: Int32 = -1
        var directRing: PacketRing?
        if pcap_datalink(created) == DLT_EN10MB, let ring = PacketRing.open(interface: name, configuration: configuration),
           let stand = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, Int32(clamping: configuration.snaplen),
                                                             UInt32(PCAP_TSTAMP_PRECISION_NANO)) {
            pcap_close(created)
            opened = stand
            directRing = ring
            selectable = ring.descriptor
        } else {
            var errorText = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
            selectable = pcap_get_selectable_fd(created)
            guard selectable >= 0, pcap_setnonblock(created, 1, &errorText) == 0 else {
                let reason = selectable < 0 ? "no selectable descriptor" : String(nulTerminated: errorText)
                pcap_close(created)
                close(pipeEnds[0])
                close(pipeEnds[1])
                throw FlowlogError(.libraryCall, reason.isEmpty ? String(cString: strerror(errno)) : reason,
                                   location: location, call: "pcap_setnonblock")
            }
        }
        selectableDescriptor = selectable
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        pollTimeoutMilliseconds = Int32(clamping: max(1, configuration.readTimeoutMilliseconds))
        busyPauseMilliseconds = configuration.immediate ? 0
            : min(Self.busyPause(bufferBytes: configuration.bufferSize), pollTimeoutMilliseconds)
        handle = opened
        origin = .interface(name)
        linkType = LinkType(rawValue: pcap_datalink(opened))
        // The ring's time stamps are nanoseconds, as a nanosecond libpcap handle's.
        ring = directRing
        fractionScale = directRing != nil || wantsNano && pcap_get_tstamp_precision(opened) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000
        fileSize = nil
        memory = nil
        streamBuffer = nil
        mapping = nil
        inPlaceRecords = nil
    }

    /// Reads a capture held in memory (any bytes: a classic pcap or pcapng file's contents),
    /// through the same libpcap reader as a file; `name` stands in for the path in errors.
    /// For fuzzing and for captures that arrive other than as files.
    public init(captureBytes bytes: [UInt8], name: String) throws {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: source.count) }
        }
        guard let stream = fmemopen(copy.baseAddress, bytes.count, "rb") else {
            copy.deallocate()
            throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: name), call: "fmemopen")
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let opened = pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            fclose(stream)
            copy.deallocate()
            let reason = String(nulTerminated: errorBuffer)
            throw FlowlogError(.unsupportedFormat, reason.isEmpty ? "libpcap cannot read this capture" : reason,
                               location: .init(file: name), call: "pcap_fopen_offline_with_tstamp_precision")
        }
        handle = opened
        origin = .file(name)
        linkType = LinkType(rawValue: pcap_datalink(opened))
        fractionScale = pcap_get_tstamp_precision(opened) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000
        fileSize = UInt64(bytes.count)
        selectableDescriptor = -1
        wakeRead = -1
        wakeWrite = -1
        pollTimeoutMilliseconds = 0
        busyPauseMilliseconds = 0
        memory = copy
        streamBuffer = nil
        mapping = nil
        inPlaceRecords = Self.inPlaceRecords(of: opened, in: UnsafeRawBufferPointer(start: copy.baseAddress, count: bytes.count))
    }

    deinit {
        pcap_close(handle)
        unmap()
        free(streamBuffer)
        memory?.deallocate()
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// A name for messages: the file path or the interface name.
    public var name: String {
        switch origin {
        case .file(let path): return path
        case .interface(let name): return name
        }
    }

    public var isLive: Bool {
        if case .interface = origin { return true }
        return false
    }

    /// Makes a blocked or looping read return as soon as possible (`pcap_breakloop`, and a
    /// byte to the live handle's wake-up pipe). Safe to call from another thread; the capture
    /// run then returns. A live source stays stopped afterwards.
    public func breakLoop() {
        breakRequested.store(true, ordering: .releasing)
        pcap_breakloop(handle)
        if wakeWrite >= 0 {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    /// A handle another thread can keep to stop this source's reading loop.
    public var loopBreaker: LoopBreaker { LoopBreaker(source: self) }

    /// Stops a `PacketSource`'s reading loop from any thread.
    ///
    /// `@unchecked Sendable` is sound because the only thing it can do with the source is
    /// `breakLoop()`, which touches nothing but libpcap's break flag (`pcap_breakloop` is
    /// documented as callable from another thread) and a `write(2)` to the wake-up pipe; the
    /// strong reference keeps the handle open for as long as a breaker exists.
    public struct LoopBreaker: @unchecked Sendable {
        let source: PacketSource
        public func breakLoop() { source.breakLoop() }
    }

    /// The kernel's counters for a live handle (`pcap_stats`); nil for files or when the
    /// platform does not provide them.
    public func kernelStatistics() -> KernelStatistics? {
        guard isLive else { return nil }
        if let ring { return ring.statistics() }
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return KernelStatistics(received: UInt64(stats.ps_recv), dropped: UInt64(stats.ps_drop),
                                interfaceDropped: UInt64(stats.ps_ifdrop))
    }

    /// How far into the file reading has come, for progress lines; nil for live handles.
    public var fileOffset: UInt64? {
        if let inPlaceRecords { return UInt64(inPlaceRecords.offset) }
        guard !isLive, let file = pcap_file(handle) else { return nil }
        let position = ftell(file)
        return position >= 0 ? UInt64(position) : nil
    }

    // MARK: - Reading (internal: the capture driver is the only reader)

    /// Whether `breakLoop()` was called, for the in-place reader; libpcap's flag stops its own
    /// reads. Like libpcap's, the request is used up by the read it stops.
    func takeBreakRequest() -> Bool {
        breakRequested.load(ordering: .acquiring) && breakRequested.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// Whether `breakLoop()` was called, for the ring reader; a live source stays stopped.
    var isBreakRequested: Bool { breakRequested.load(ordering: .acquiring) }

    /// Whether packets come from the kernel's ring read directly rather than through libpcap.
    public var readsRingDirectly: Bool { ring != nil }

    /// Ends in-place reading: libpcap reads on from the record the in-place reader stopped at
    /// (the file header, if it read none). A no-op for sources read by libpcap alone.
    func handOverToLibpcap() throws(FlowlogError) {
        guard let records = inPlaceRecords else { return }
        inPlaceRecords = nil
        inPlaceStopOffset = records.offset
        unmap()
        guard let stream = pcap_file(handle), fseeko(stream, off_t(records.offset), SEEK_SET) == 0 else {
            throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: name, offset: UInt64(records.offset)),
                               call: "fseeko")
        }
    }

    enum ReadOutcome {
        case packet
        /// A live read found nothing within the read timeout (or packets are ready to read).
        case timeout
        /// End of file, or `breakLoop()` was called.
        case end
        case failed(String)
    }

    /// Reads the next packet; on `.packet`, `header` and `data` point into libpcap's buffer,
    /// valid until the next call.
    @inline(__always)
    func next(_ header: inout UnsafeMutablePointer<pcap_pkthdr>?, _ data: inout UnsafePointer<UInt8>?) -> ReadOutcome {
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            if wakeRead >= 0 {
                // Under constant traffic the read never waits; look at the pipe now and then.
                packetsSinceWakeCheck &+= 1
                if packetsSinceWakeCheck & 0x3FF == 0 && wakeRequested(waitMilliseconds: 0) { return .end }
            }
            return .packet
        case 0:
            guard wakeRead >= 0 else { return .timeout }
            return wakeRequested(waitMilliseconds: pollTimeoutMilliseconds) ? .end : .timeout
        case PCAP_ERROR_BREAK: return .end
        default: return .failed(String(cString: pcap_geterr(handle)))
        }
    }

    /// Runs `callback` on up to `maximum` packets where libpcap holds them (`pcap_dispatch`),
    /// with `context` as its user pointer. `.packet` when it ran on any; `.timeout` and `.end`
    /// as for `next`. A live handle is checked for `breakLoop()` every thousand packets or so.
    @inline(__always)
    func dispatch(maximum: Int32, callback: pcap_handler, context: UnsafeMutableRawPointer) -> ReadOutcome {
        let status = pcap_dispatch(handle, maximum, callback, context.assumingMemoryBound(to: UInt8.self))
        if status > 0 {
            wasBusy = true
            if wakeRead >= 0 {
                packetsSinceWakeCheck &+= Int(status)
                if packetsSinceWakeCheck >= 1024 {
                    packetsSinceWakeCheck = 0
                    if wakeRequested(waitMilliseconds: 0) { return .end }
                }
            }
            return .packet
        }
        if status == 0 {
            // A file has no more packets; a live handle had none ready.
            guard wakeRead >= 0 else { return .end }
            if wasBusy && busyPauseMilliseconds > 0 {
                // Packets are flowing: let the kernel retire several blocks before the next
                // look instead of waking for each (TPACKET_V3 wakes the reader per 256 KiB
                // block, every few milliseconds at a few hundred thousand packets a second).
                // Only `breakLoop()` ends the pause early.
                wasBusy = false
                return breakRequested(waitMilliseconds: busyPauseMilliseconds) ? .end : .packet
            }
            return wakeRequested(waitMilliseconds: pollTimeoutMilliseconds) ? .end : .timeout
        }
        if status == PCAP_ERROR_BREAK { return .end }
        return .failed(String(cString: pcap_geterr(handle)))
    }

    /// The pause between looks while packets flow, for a kernel buffer of `bufferBytes` (0:
    /// libpcap's 2 MiB): at most 20 ms, and no longer than a quarter of the buffer takes to fill
    /// at 1 GB/s, so pausing never risks a drop the buffer would otherwise have absorbed. The
    /// default buffer gets none.
    public static func busyPause(bufferBytes: Int) -> Int32 {
        Int32(min(20, max(0, bufferBytes) / 4 / 1_000_000))
    }

    /// Waits up to `waitMilliseconds` for `breakLoop()` alone; true when it came.
    func breakRequested(waitMilliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, waitMilliseconds) > 0 && descriptor.revents != 0
    }

    enum RingWait {
        /// A block may be ready, or the wait timed out.
        case woken
        /// `breakLoop()` was called.
        case stopped
        /// The socket reports an error it cannot recover from.
        case failed(String)
    }

    /// Waits up to `waitMilliseconds` for the ring's next block or a `breakLoop()`.
    ///
    /// When the interface goes down the socket reports ENETDOWN once; reading the error clears
    /// it, and the kernel resumes delivery when the interface comes back up, so the capture waits
    /// on, as libpcap's does (an error left unread would make every later wait return at once).
    /// An interface that no longer exists, or any other error, ends the capture.
    func waitForRing(milliseconds waitMilliseconds: Int32) -> RingWait {
        let events = pollPacketsAndWake(waitMilliseconds: waitMilliseconds)
        if events.wake != 0 { return .stopped }
        if events.packets & (Int16(POLLHUP) | Int16(POLLNVAL)) != 0 {
            return .failed("the packet socket was closed")
        }
        guard events.packets & Int16(POLLERR) != 0 else { return .woken }
        var code: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(selectableDescriptor, SOL_SOCKET, SO_ERROR, &code, &size)
        guard code == ENETDOWN else {
            return .failed(code != 0 ? String(cString: strerror(code)) : "error condition on the packet socket")
        }
        if let ring, if_nametoindex(name) != ring.interfaceIndex { return .failed("the interface disappeared") }
        return .woken
    }

    /// Waits up to `waitMilliseconds` for packets or a `breakLoop()`; true for the latter.
    func wakeRequested(waitMilliseconds: Int32) -> Bool {
        pollPacketsAndWake(waitMilliseconds: waitMilliseconds).wake != 0
    }

    /// Waits up to `waitMilliseconds` on the packet descriptor and the wake-up pipe together;
    /// each one's `revents`, both 0 when the wait timed out (or `poll` itself failed, which a
    /// caller treats as a timeout and looks again).
    private func pollPacketsAndWake(waitMilliseconds: Int32) -> (packets: Int16, wake: Int16) {
        var descriptors = (pollfd(fd: selectableDescriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        let ready = withUnsafeMutableBytes(of: &descriptors) {
            poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, waitMilliseconds)
        }
        guard ready > 0 else { return (0, 0) }
        return (descriptors.0.revents, descriptors.1.revents)
    }
}

extension String {
    /// The text of a C buffer libpcap filled, up to its first NUL.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
