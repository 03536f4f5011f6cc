"""Build the Cython extensions in ``daphnelib/_native/`` into ``daphnelib._native``.

The ``.pyx`` sources are the extensions' sources: setuptools hands them to Cython's
``build_ext`` when it builds a wheel, so neither ``sdist`` nor metadata queries cythonize,
and the generated C never lands in a distribution.
"""

import numpy as np
from setuptools import Extension, setup

NATIVE_MODULES = ("buffers", "kernels", "relational", "foreign", "strings", "sparse_rand",
                  "fused", "nodecore")

setup(
    ext_modules=[
        Extension(
            f"daphnelib._native.{name}",
            [f"daphnelib/_native/{name}.pyx"],
            include_dirs=[np.get_include(), "daphnelib/_native"],
            # Built against numpy 2.x headers but importable with any numpy >= 2.0.
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION"),
                           ("NPY_TARGET_VERSION", "NPY_2_0_API_VERSION")],
            # No contraction of a multiply and an add into an FMA: every float op rounds on its
            # own, as numpy's ufuncs do.
            extra_compile_args=["-O3", "-ffp-contract=off"],
            cython_directives={"language_level": 3, "embedsignature": True},
        )
        for name in NATIVE_MODULES
    ]
)
