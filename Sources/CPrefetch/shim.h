#ifndef FLOWLOG_CPREFETCH_SHIM_H
#define FLOWLOG_CPREFETCH_SHIM_H
/* The compiler's cache prefetch hint, which Swift does not expose. A hint only: it never
   faults, whatever the address, and changes no memory. Inlined into the Swift caller. */
static inline void flowlog_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }
static inline void flowlog_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }
#endif
