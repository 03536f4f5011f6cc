"""The embedded engine: IR (program), executor, kernels, value model, printing, file I/O."""
