# SPDX-License-Identifier: Apache-2.0
#
# Copyright (C) 2023 The Falco Authors.
#
#
# jq: no longer used by libsinsp; the module stayed behind.
#
option(USE_BUNDLED_JQ "Enable building of the bundled jq" ${USE_BUNDLED_DEPS})

if(NOT USE_BUNDLED_JQ)
	find_path(JQ_INCLUDE jq.h PATH_SUFFIXES jq)
else()
	set(JQ_SRC "${PROJECT_BINARY_DIR}/jq-prefix/src/jq")
	ExternalProject_Add(
		jq
		PREFIX "${PROJECT_BINARY_DIR}/jq-prefix"
		URL "https://github.com/stedolan/jq/releases/download/jq-1.6/jq-1.6.tar.gz"
		URL_HASH "SHA256=5de8c8e29aaa3fb9cc6b47bb27299f271354ebb72514e3accadc7d38b5bbaa72"
		CONFIGURE_COMMAND ./configure --disable-maintainer-mode --enable-all-static
		BUILD_COMMAND make LDFLAGS=-all-static
		BUILD_IN_SOURCE 1
		INSTALL_COMMAND "")
endif()
