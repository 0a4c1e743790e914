# Packaging: install rules and a Debian package built by CPack.
#
#   cmake --build build --target package_deb      builds the three programs, then `cpack -G DEB`
#
# The .deb installs
#   /usr/bin/smppgw, /usr/bin/smsc-sim, /usr/bin/smppgw-bench
#   /etc/smppgw/smppgw.toml          the example config, a conffile, with the data and store paths
#                                    rewritten for the system layout (generated below)
#   /lib/systemd/system/smppgw.service
#   /usr/share/smppgw/data/          time zones, area codes, holidays (etc/data)
#   /usr/share/smppgw/openapi.yaml, /usr/share/smppgw/grafana/smppgw.json
# and its maintainer scripts (cmake/debian/) create the `smppgw` system user, give the config to
# its group (it holds the admin token and password hashes) and replace the example admin token
# with a random one on first install. The store lives in /var/lib/smppgw (systemd's
# StateDirectory). Debian dependencies are computed from the linked libraries (dpkg-shlibdeps).

include(GNUInstallDirs)

set(SMPPGW_PACKAGE_DATA_DIR "/usr/share/smppgw")
set(SMPPGW_PACKAGE_STATE_DIR "/var/lib/smppgw")

# ---- the packaged config: etc/smppgw.toml with system paths ---------------------------------
file(READ "${PROJECT_SOURCE_DIR}/etc/smppgw.toml" _smppgw_toml)
set(_smppgw_store_line "path = \"../var/smppgw\"")
set(_smppgw_policy_line "[policy.consent]")
foreach(_needle IN ITEMS "${_smppgw_store_line}" "${_smppgw_policy_line}")
  string(FIND "${_smppgw_toml}" "${_needle}" _at)
  if(_at EQUAL -1)
    # The rewrite below depends on these lines: fail loudly rather than ship a config that
    # points at the source tree.
    message(FATAL_ERROR "packaging: etc/smppgw.toml no longer contains '${_needle}'; "
                        "update cmake/packaging.cmake")
  endif()
endforeach()
string(REPLACE "${_smppgw_store_line}" "path = \"${SMPPGW_PACKAGE_STATE_DIR}\""
       _smppgw_toml "${_smppgw_toml}")
string(REPLACE "${_smppgw_policy_line}"
       "[policy.data]\ndir = \"${SMPPGW_PACKAGE_DATA_DIR}/data\"\n\n${_smppgw_policy_line}"
       _smppgw_toml "${_smppgw_toml}")
string(REPLACE "RocksDB in ./var/smppgw." "RocksDB in ${SMPPGW_PACKAGE_STATE_DIR}."
       _smppgw_toml "${_smppgw_toml}")
file(WRITE "${PROJECT_BINARY_DIR}/packaging/smppgw.toml" "${_smppgw_toml}")

# ---- install rules ----------------------------------------------------------------------------
install(TARGETS smppgw smsc-sim smppgw-bench RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(FILES "${PROJECT_BINARY_DIR}/packaging/smppgw.toml"
        DESTINATION /etc/smppgw
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES "${PROJECT_SOURCE_DIR}/etc/smppgw.service" DESTINATION /lib/systemd/system)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/etc/data/" DESTINATION "${SMPPGW_PACKAGE_DATA_DIR}/data")
install(FILES "${PROJECT_SOURCE_DIR}/etc/openapi.yaml" DESTINATION "${SMPPGW_PACKAGE_DATA_DIR}")
install(FILES "${PROJECT_SOURCE_DIR}/etc/grafana/smppgw.json"
        DESTINATION "${SMPPGW_PACKAGE_DATA_DIR}/grafana")

# ---- CPack: Debian package --------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "smppgw")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "smppgw")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "smppgw maintainers <smppgw@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# The long description (CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY first); one string, not a
# list, or the lines come out joined by semicolons.
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
       "smppgw accepts SMPP binds from applications, checks every message against consent,\n"
       "opt-out, quiet-hour and frequency policy, journals it in RocksDB and forwards it to\n"
       "carrier SMSCs. Includes smsc-sim (carrier simulator) and smppgw-bench (load generator).")
# Library dependencies from the binaries themselves; adduser for the maintainer scripts.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/cmake/debian/conffiles"
    "${PROJECT_SOURCE_DIR}/cmake/debian/postinst"
    "${PROJECT_SOURCE_DIR}/cmake/debian/prerm"
    "${PROJECT_SOURCE_DIR}/cmake/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only the install rules above, not the static libraries' (none) or test targets.
set(CPACK_STRIP_FILES ON)
include(CPack)

# `install` must not build every target (tests, benchmarks): package_deb builds what it ships.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
add_custom_target(package_deb
  COMMAND "${CMAKE_CPACK_COMMAND}" -G DEB --config "${PROJECT_BINARY_DIR}/CPackConfig.cmake"
  WORKING_DIRECTORY "${PROJECT_BINARY_DIR}"
  COMMENT "Building the smppgw .deb with CPack"
  VERBATIM)
add_dependencies(package_deb smppgw smsc-sim smppgw-bench)
