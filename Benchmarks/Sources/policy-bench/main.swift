// policy-bench: see Benchmarks/README.md.
print("policy-bench: not written yet")
