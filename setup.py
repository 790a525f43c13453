"""Maps the top-level folders into the `vinify` namespace (pyproject alone cannot list them)."""

from setuptools import find_packages, setup

FOLDERS = {
    "compiler": "vinify",
    "frontends": "vinify.frontends",
    "passes": "vinify.passes",
    "codegen": "vinify.codegen",
    "runtime": "vinify.runtime",
    "tools": "vinify.tools",
}

packages, package_dir = [], {}
for folder, package in FOLDERS.items():
    package_dir[package] = folder
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=package_dir)
