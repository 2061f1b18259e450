# cmake -DINPUT=file -DOUTPUT=file.c -DNAME=sym -P embed.cmake
# Writes a C file with the bytes of INPUT as `const char NAME[]` (NUL-terminated),
# `const size_t NAME_len` (without the NUL) and `const char NAME_sha256[]` (its SHA-256
# in hex: the HTML report's Content-Security-Policy names its script and style by it).
file(READ "${INPUT}" hex HEX)
file(SHA256 "${INPUT}" sum)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
get_filename_component(base "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
"/* generated from ${base} by cmake/embed.cmake: do not edit */\n"
"#include <stddef.h>\n"
"const char ${NAME}[] = {\n${bytes}0x00};\n"
"const size_t ${NAME}_len = ${len};\n"
"const char ${NAME}_sha256[] = \"${sum}\";\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
