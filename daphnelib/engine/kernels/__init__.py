"""Kernels, one module per family of DaphneDSL builtins; see ``engine.registry``."""
