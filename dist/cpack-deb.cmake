# dist/cpack-deb.cmake - CPACK_PRE_BUILD_SCRIPTS: run by cpack on the staged
# files before it builds the package. Debian ships man pages compressed
# (policy 12.1: gzip -9n, no name or time stamp in the file, so the package
# is reproducible); `cmake --install` leaves them as they are.
find_program(GL_GZIP gzip REQUIRED)
file(GLOB_RECURSE pages "${CPACK_TEMPORARY_DIRECTORY}/graphleak.1") # in every folder under it
list(FILTER pages INCLUDE REGEX "/man/man1/graphleak\\.1$")
if(NOT pages)
  message(FATAL_ERROR "cpack-deb.cmake: no man page staged under ${CPACK_TEMPORARY_DIRECTORY}")
endif()
foreach(p IN LISTS pages)
  execute_process(COMMAND ${GL_GZIP} -9nf ${p} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cpack-deb.cmake: gzip ${p} failed (${rc})")
  endif()
endforeach()
