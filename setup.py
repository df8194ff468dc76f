"""Everything is configured in pyproject.toml; this only ships the data sets and keys.

setuptools' package discovery (``[tool.setuptools.packages.find]``) finds the
real subpackages of ``crmlib``; ``crmlib.datasets`` is the repository's
``datasets/`` folder and ``crmlib.keys`` its ``solutions/`` folder (the ``*_key.py``
modules only: the notebooks are no Python modules and are not package data), mapped in
``[tool.setuptools.package-dir]``, which discovery cannot see, so they are added here.
"""

from setuptools import setup
from setuptools.command.build_py import build_py


DATA_PACKAGES = ["crmlib.datasets", "crmlib.datasets.harbor", "crmlib.datasets.cdnow",
                 "crmlib.keys"]


class BuildPyWithData(build_py):
    def finalize_options(self):
        super().finalize_options()
        self.packages += [p for p in DATA_PACKAGES if p not in self.packages]


setup(cmdclass={"build_py": BuildPyWithData})
