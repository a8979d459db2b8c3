"""Builds the eie Python package (eie/ and its compiled eie._core) with scikit-build driving the project's
CMake: only the eie_python target and what it links are built, and only the package is installed."""
import re
import shutil
from pathlib import Path

from skbuild import setup

root = Path(__file__).resolve().parent
version = re.search(r"project\(eie VERSION ([0-9.]+)", (root / "CMakeLists.txt").read_text()).group(1)

cmake_args = ["-DCMAKE_BUILD_TYPE=Release", "-DEIE_BUILD_TESTS=OFF", "-DEIE_BUILD_BENCH=OFF",
              "-DEIE_WITH_TORCH=OFF", "-DEIE_WITH_CUDA=OFF", "-DEIE_PYTHON_INSTALL_DIR=python"]
if shutil.which("ccache"):  # objects the project's own builds compiled are reused
    cmake_args += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]

setup(
    name="eie",
    version=version,
    description="Deep Compression and the Efficient Inference Engine: compress networks, run them compressed, "
                "simulate the EIE accelerator",
    packages=["eie"],
    package_dir={"eie": "python/eie"},
    package_data={"eie": ["__init__.pyi", "torch.pyi", "py.typed"]},
    cmake_args=cmake_args,
    cmake_install_target="install-python",
    install_requires=["numpy"],
    python_requires=">=3.9",
)
