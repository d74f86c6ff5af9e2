# Fetches falcosecurity/libs at a pinned commit (modeled on Falco's 2023 module).
set(FALCOSECURITY_LIBS_CMAKE_SOURCE_DIR "${CMAKE_CURRENT_SOURCE_DIR}/cmake/modules/falcosecurity-libs-repo")

if(NOT FALCOSECURITY_LIBS_VERSION)
  set(FALCOSECURITY_LIBS_VERSION "4d4e1f3f2c8646d14982fbd1d7ea598ccbe4264a")
  set(FALCOSECURITY_LIBS_CHECKSUM "SHA256=19998c0b8393c1f9cbdf83bf863ba7ab8709ba1a2828c68b8caea5bfa4e216f3")
endif()

ExternalProject_Add(
  falcosecurity-libs
  URL "https://github.com/falcosecurity/libs/archive/${FALCOSECURITY_LIBS_VERSION}.tar.gz"
  URL_HASH "${FALCOSECURITY_LIBS_CHECKSUM}"
  CONFIGURE_COMMAND ""
  BUILD_COMMAND ""
  INSTALL_COMMAND ""
  TEST_COMMAND "")
