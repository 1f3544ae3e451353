#ifndef FLOWLOG_CRC32C_HARDWARE_H
#define FLOWLOG_CRC32C_HARDWARE_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this processor computes CRC-32C in hardware (x86-64 with SSE4.2), else 0.
int flowlog_crc32c_hardware_available(void);

/// Continues the CRC-32C register `state` (pre- and post-inversion are the caller's) over
/// `count` bytes at `bytes` with the processor's crc32 instruction. Only call it when
/// `flowlog_crc32c_hardware_available()` said 1.
uint32_t flowlog_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count);

#endif
