# Hardening for every binary, the flags Debian's dpkg-buildflags gives packages: fortified libc
# calls (_FORTIFY_SOURCE, which needs optimisation), a stack protector, stack clash protection,
# and full RELRO with immediate binding (-z relro -z now). Sanitizer and fuzz builds bring their
# own instrumentation and go without (ASan and _FORTIFY_SOURCE do not mix).
option(SMPPGW_HARDENING "Build with Debian's hardening flags" ON)
if(SMPPGW_HARDENING AND NOT SMPPGW_SANITIZE AND NOT SMPPGW_FUZZ)
  add_compile_options(-fstack-protector-strong -fstack-clash-protection
                      "$<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE>"
                      "$<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>")
  add_link_options(-Wl,-z,relro -Wl,-z,now)
endif()
