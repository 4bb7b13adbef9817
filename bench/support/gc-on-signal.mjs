// Loaded into a benchmarked gateway with `node --expose-gc --import`: SIGUSR2 runs a full garbage
// collection, so a memory benchmark compares what is still reachable rather than wherever the
// collector's cycle happened to be (RSS of an idle gateway was seen anywhere from 140 to 183 MB).
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
});
