"""Build the Cython extensions in ``daphnelib/_native/`` into ``daphnelib._native``."""

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

NATIVE_MODULES = ("buffers", "kernels", "relational", "foreign", "strings", "sparse_rand")

extensions = [
    Extension(
        f"daphnelib._native.{name}",
        [f"daphnelib/_native/{name}.pyx"],
        include_dirs=[np.get_include(), "daphnelib/_native"],
        # Built against numpy 2.x headers but importable with any numpy >= 2.0.
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION"),
                       ("NPY_TARGET_VERSION", "NPY_2_0_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for name in NATIVE_MODULES
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={"embedsignature": True},
    )
)
