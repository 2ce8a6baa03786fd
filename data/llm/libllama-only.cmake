# Read by CMake right after llama.cpp's project() call (`make llm` passes it as
# CMAKE_PROJECT_llama.cpp_INCLUDE to llama-cpp-python's build).  llama-cpp-python
# turns on llama.cpp's "common" library (argument parsing, chat tools, an HTTP
# client: 57 of the build's 140 compile steps) although its Python binding loads
# only libllama and ggml; aolab's inference@1.0 uses nothing else, so the build
# skips it: 83 steps and 292 s of CPU instead of 140 steps and 608 s (measured side by
# side on this 2-core machine).
set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama: build common utils library" FORCE)
