# SPDX-License-Identifier: Apache-2.0
#
# Copyright (C) 2023 The Falco Authors.
#
#
# libcurl
#
option(USE_BUNDLED_CURL "Enable building of the bundled curl" ${USE_BUNDLED_DEPS})

if(CURL_INCLUDE_DIRS)
	# we already have curl
elseif(NOT USE_BUNDLED_CURL)
	find_package(CURL REQUIRED)
	message(STATUS "Found CURL: include: ${CURL_INCLUDE_DIRS}, lib: ${CURL_LIBRARIES}")
else()
	set(CURL_BUNDLE_DIR "${PROJECT_BINARY_DIR}/curl-prefix/src/curl")
	set(CURL_INCLUDE_DIRS "${CURL_BUNDLE_DIR}/include/")
	set(CURL_LIBRARIES "${CURL_BUNDLE_DIR}/lib/.libs/libcurl.a")
	set(CURL_VERSION "8.1.0")
	set(CURL_TAG "curl-8_1_0")

	if(NOT TARGET curl)
		message(STATUS "Using bundled curl in '${CURL_BUNDLE_DIR}'")
		ExternalProject_Add(
			curl
			PREFIX "${PROJECT_BINARY_DIR}/curl-prefix"
			DEPENDS openssl zlib
			URL "https://github.com/curl/curl/releases/download/${CURL_TAG}/curl-${CURL_VERSION}.tar.bz2"
			URL_HASH "SHA256=c708dd9436409e6bf930521ad26219b654f7a0f884553664eadedc5ccff79522"
			CONFIGURE_COMMAND
			./configure
			--disable-shared
			--enable-optimize
			--disable-curldebug
			--enable-http
			--disable-ftp
			--disable-file
			--without-libidn2
			--without-nghttp2
			BUILD_COMMAND make
			BUILD_IN_SOURCE 1
			BUILD_BYPRODUCTS ${CURL_LIBRARIES}
			INSTALL_COMMAND "")
	endif()
endif()

include_directories("${CURL_INCLUDE_DIRS}")
