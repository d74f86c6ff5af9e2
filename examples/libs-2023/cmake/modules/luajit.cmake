# SPDX-License-Identifier: Apache-2.0
#
# Copyright (C) 2023 The Falco Authors.
#
#
# LuaJIT, needed by the chisels only (see WITH_CHISEL in the top-level CMakeLists.txt).
#
option(USE_BUNDLED_LUAJIT "Enable building of the bundled LuaJIT" ${USE_BUNDLED_DEPS})

if(LUAJIT_INCLUDE)
	# we already have luajit
elseif(NOT USE_BUNDLED_LUAJIT)
	find_path(LUAJIT_INCLUDE luajit.h PATH_SUFFIXES luajit-2.0 luajit-2.1 luajit)
else()
	set(LUAJIT_SRC "${PROJECT_BINARY_DIR}/luajit-prefix/src/luajit/src")
	set(LUAJIT_INCLUDE "${LUAJIT_SRC}")
	ExternalProject_Add(
		luajit
		PREFIX "${PROJECT_BINARY_DIR}/luajit-prefix"
		GIT_REPOSITORY "https://github.com/LuaJIT/LuaJIT"
		GIT_TAG "f3c856915b4ce7ccd24341e8ac73e8a9fd934171"
		CONFIGURE_COMMAND ""
		BUILD_COMMAND make
		BUILD_IN_SOURCE 1
		INSTALL_COMMAND "")
endif()
