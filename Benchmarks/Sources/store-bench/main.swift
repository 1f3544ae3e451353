// store-bench: see Benchmarks/README.md.
print("store-bench: not written yet")
