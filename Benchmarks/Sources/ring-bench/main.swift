// ring-bench: see Benchmarks/README.md.
print("ring-bench: not written yet")
