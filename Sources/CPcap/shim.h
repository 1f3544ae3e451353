#ifndef FLOWLOG_CPCAP_SHIM_H
#define FLOWLOG_CPCAP_SHIM_H
#include <pcap/pcap.h>
/* The stream a capture file is handed to libpcap on (pcap_fopen_offline) is read by one thread
   only; glibc's __fsetlocking lets that stream skip stdio's per-call lock. */
#if __has_include(<stdio_ext.h>)
#include <stdio_ext.h>
#define FLOWLOG_HAS_FSETLOCKING 1
#endif

#if defined(__linux__)
/* The kernel's packet socket and its memory-mapped receive ring (TPACKET_V3), read directly
   by the live capture where libpcap would otherwise hand over packets one callback at a time. */
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <net/if_arp.h>

/* A ring block's status word is shared with the kernel: it hands a block over by setting
   TP_STATUS_USER after filling it, and takes it back when the reader stores TP_STATUS_KERNEL.
   The loads and the store order the block's contents around that hand-over; Swift has no
   atomic access to memory it did not allocate itself. */
static inline unsigned int flowlog_ring_block_status(const void *block) {
    return __atomic_load_n(&((const struct tpacket_block_desc *)block)->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
}
static inline void flowlog_ring_block_release(void *block) {
    __atomic_store_n(&((struct tpacket_block_desc *)block)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}
#endif
#endif
