// samplegen: see Benchmarks/README.md.
print("samplegen: not written yet")
