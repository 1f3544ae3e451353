// capture-bench: see Benchmarks/README.md.
print("capture-bench: not written yet")
