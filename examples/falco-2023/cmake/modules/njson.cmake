# nlohmann/json, header-only, bundled at build time.
set(NJSON_VERSION "3.11.2")

include(FetchContent)
FetchContent_Declare(
  njson
  URL https://github.com/nlohmann/json/archive/refs/tags/v${NJSON_VERSION}.tar.gz
  URL_HASH SHA256=d69f9deb6a75e2580465c6c4c5111b89c4dc2fa94e3a85fcd2ffcd9a143d9273
)
FetchContent_MakeAvailable(njson)
