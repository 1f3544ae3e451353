#ifndef FLOWLOG_CPCAP_SHIM_H
#define FLOWLOG_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
