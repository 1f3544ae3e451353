// query-bench: see Benchmarks/README.md.
print("query-bench: not written yet")
