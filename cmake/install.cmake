# install.cmake - what `cmake --install` puts where.
#
#   lib/liblull.so.MAJOR.MINOR.PATCH (SONAME liblull.so.MAJOR), liblull.a
#   include/lull.h, include/lull_voice.h
#   lib/cmake/lull/lullConfig.cmake ...  find_package(lull CONFIG) -> lull::lull
#                                        (shared) and lull::lull_static
#   lib/pkgconfig/lull.pc               pkg-config --cflags --libs [--static] lull
#   bin/lull, share/man/man1/lull.1
include(CMakePackageConfigHelpers)

# The pkg-config modules liblull links, as PREFIX=module (PkgConfig::PREFIX
# in CMake).  They become lull.pc's Requires.private and are looked up again
# by lullConfig.cmake for lull::lull_static.  Add new dependencies here.
set(LULL_PKG_DEPS SNDFILE=sndfile SAMPLERATE=samplerate SOXR=soxr EBUR128=libebur128
  PORTAUDIO=portaudio-2.0 ALSA=alsa JACK=jack)
set(LULL_PC_REQUIRES_PRIVATE "")
set(LULL_CONFIG_PKG_DEPS "")
foreach(_dep ${LULL_PKG_DEPS})
  string(REPLACE "=" ";" _pair ${_dep})
  list(GET _pair 0 _prefix)
  list(GET _pair 1 _module)
  string(APPEND LULL_PC_REQUIRES_PRIVATE " ${_module}")
  string(APPEND LULL_CONFIG_PKG_DEPS "lull_pkg_dep(${_prefix} ${_module})\n")
endforeach()
string(STRIP "${LULL_PC_REQUIRES_PRIVATE}" LULL_PC_REQUIRES_PRIVATE)

set_target_properties(lull_shared PROPERTIES EXPORT_NAME lull
  PUBLIC_HEADER "engine/lull.h;engine/lull_voice.h")
set_target_properties(lull_static PROPERTIES EXPORT_NAME lull_static)

install(TARGETS lull_shared lull_static EXPORT lullTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS lull RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/doc/lull.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(LULL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lull)
install(EXPORT lullTargets NAMESPACE lull:: DESTINATION ${LULL_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lullConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lullConfig.cmake INSTALL_DESTINATION ${LULL_CMAKE_DIR})
# 0.x releases may change the API between minor versions; from 1.0 on the
# major version is the compatibility promise.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_lull_compat SameMinorVersion)
else()
  set(_lull_compat SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lullConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_lull_compat})
install(FILES ${PROJECT_BINARY_DIR}/lullConfig.cmake ${PROJECT_BINARY_DIR}/lullConfigVersion.cmake
  DESTINATION ${LULL_CMAKE_DIR})

file(RELATIVE_PATH LULL_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${PROJECT_SOURCE_DIR}/cmake/lull.pc.in ${PROJECT_BINARY_DIR}/lull.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lull.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
