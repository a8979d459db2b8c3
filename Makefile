# Thin entry points over scripts/ and the CMake presets. PRESET=release|debug|asan (default release).
PRESET ?= release
BUILD_DIR := build/$(PRESET)
EIE := $(BUILD_DIR)/tools/eie/eie

.PHONY: deps configure build test demo bench package clean

deps:
	@scripts/install-deps

configure: deps
	@mkdir -p build && cmake --preset $(PRESET) > build/$(PRESET).configure.log 2>&1 \
	  || (cat build/$(PRESET).configure.log; exit 1)

build: configure
	@cmake --build --preset $(PRESET)

test: build
	@ctest --preset $(PRESET)

demo: build
	@$(EIE) demo

bench: build
	@$(EIE) bench --suite eie-paper

# The Debian package (CPack): $(BUILD_DIR)/eie_<version>_amd64.deb
package: build
	@cmake --build --preset $(PRESET) --target package

clean:
	rm -rf build
