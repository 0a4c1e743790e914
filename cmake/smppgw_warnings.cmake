# Project-wide warning set, applied per target so third-party headers stay quiet (-isystem).
function(smppgw_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion
                                           -Wshadow -Wnon-virtual-dtor)
  if(SMPPGW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
