# dist/install-manifest.cmake - run by `cmake --install` (and cpack): the
# installed lib/graphleak/shims.tsv. The build's manifest names the shims'
# folders absolutely, under build/pyshim; the installed one names them
# relative to itself, so that a staged (DESTDIR) or moved tree finds them
# (attach.c's find_shim and graphleak_run.py resolve them so). The other
# fields (the interpreters' executables and prefixes) stay as they are.
#
# Set by dist/CMakeLists.txt: GL_MANIFEST_IN (build/pyshim/shims.tsv),
# GL_SHIM_OUT (build/pyshim), GL_PKGLIBDIR (lib/graphleak, or absolute),
# GL_TMPDIR (a folder of the build for the rewritten file).
file(READ "${GL_MANIFEST_IN}" text)
# A field is a line's start or follows a tab; the file is handled as one
# string (no CMake list: paths may hold ';').
set(text "\n${text}")
string(REPLACE "\n${GL_SHIM_OUT}/" "\n" text "${text}")
string(REPLACE "\t${GL_SHIM_OUT}/" "\t" text "${text}")
string(SUBSTRING "${text}" 1 -1 text)
string(FIND "${text}" "${GL_SHIM_OUT}" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "install-manifest.cmake: ${GL_MANIFEST_IN} still names the build tree after the "
                      "rewrite: an installed graphleak would depend on it")
endif()

# Through a file of its own so that file(INSTALL) applies DESTDIR, reports
# it and lists it in install_manifest.txt like every other file; a fresh
# folder, as cpack and `cmake --install` may run at once (the tests do).
string(RANDOM LENGTH 16 tag)
set(tmp "${GL_TMPDIR}/manifest-${tag}")
file(WRITE "${tmp}/shims.tsv" "${text}")
if(IS_ABSOLUTE "${GL_PKGLIBDIR}")
  set(dest "${GL_PKGLIBDIR}")
else()
  set(dest "${CMAKE_INSTALL_PREFIX}/${GL_PKGLIBDIR}")
endif()
file(INSTALL DESTINATION "${dest}" TYPE FILE FILES "${tmp}/shims.tsv")
file(REMOVE_RECURSE "${tmp}")
