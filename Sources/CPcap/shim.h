#ifndef FLOWLOG_CPCAP_SHIM_H
#define FLOWLOG_CPCAP_SHIM_H
#include <pcap/pcap.h>
/* The stream a capture file is handed to libpcap on (pcap_fopen_offline) is read by one thread
   only; glibc's __fsetlocking lets that stream skip stdio's per-call lock. */
#if __has_include(<stdio_ext.h>)
#include <stdio_ext.h>
#define FLOWLOG_HAS_FSETLOCKING 1
#endif
#endif
