# Fetches falcosecurity/libs at a pinned commit (modeled on Falco's 2023 module).
set(FALCOSECURITY_LIBS_CMAKE_SOURCE_DIR "${CMAKE_CURRENT_SOURCE_DIR}/cmake/modules/falcosecurity-libs-repo")

if(NOT FALCOSECURITY_LIBS_VERSION)
  set(FALCOSECURITY_LIBS_VERSION "0.11.3")
  set(FALCOSECURITY_LIBS_CHECKSUM "SHA256=c6dd1ee1ac4ee1ab4e8ee1d2a8e3e82d87d4fbe0f0a02bbc31d68a6ce11e4fe5")
endif()

ExternalProject_Add(
  falcosecurity-libs
  URL "https://github.com/falcosecurity/libs/archive/${FALCOSECURITY_LIBS_VERSION}.tar.gz"
  URL_HASH "${FALCOSECURITY_LIBS_CHECKSUM}"
  CONFIGURE_COMMAND ""
  BUILD_COMMAND ""
  INSTALL_COMMAND ""
  TEST_COMMAND "")
