# dist/generate.cmake - the man page and the bash completion, from the built
# graphleak itself, so that neither can say something the binary does not:
#   graphleak __complete commands          the command table (name TAB summary)
#   graphleak __complete globals           the options before the command
#   graphleak __complete options COMMAND   a command's option table (opts.h)
#   graphleak --help, graphleak help COMMAND   the text of every section
#
#   cmake -DGL=path/to/graphleak -DVERSION=0.1.0 -DMAN=graphleak.1
#         -DBASH_IN=graphleak.bash.in -DBASH=graphleak.bash -P generate.cmake
#
# Help texts contain ';' and brackets, so they are handled as whole strings,
# never as CMake lists; only the tables (names, letters, kinds, metas: no ';')
# are split into lists.
cmake_minimum_required(VERSION 3.20)
foreach(v GL VERSION MAN BASH_IN BASH)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "generate.cmake: -D${v}=... is missing")
  endif()
endforeach()

# Runs graphleak with the given arguments; the output into `out`.
function(gl_run out)
  execute_process(COMMAND ${GL} ${ARGN} OUTPUT_VARIABLE _o ERROR_VARIABLE _e RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0 OR _o STREQUAL "")
    message(FATAL_ERROR "generate.cmake: `graphleak ${ARGN}` failed (${_rc}): ${_e}")
  endif()
  set(${out} "${_o}" PARENT_SCOPE)
endfunction()

# Text to show as it is in a man page: no-fill, with what troff would read as
# a request or an escape neutralised. '-' becomes \- so that options copied
# from the page are ASCII hyphen-minus, not typographic hyphens.
function(gl_man_text out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  # a line that starts with . or ' would be a request
  set(text "\n${text}")
  string(REPLACE "\n." "\n\\&." text "${text}")
  string(REPLACE "\n'" "\n\\&'" text "${text}")
  string(SUBSTRING "${text}" 1 -1 text)
  string(REGEX REPLACE "\n+$" "" text "${text}")
  set(${out} ".nf\n${text}\n.fi\n" PARENT_SCOPE)
endfunction()

# One line per element of an option table: "option --name -l kind meta" and
# "args N program|-"; into the variables <prefix>_long, _short (lists, in
# order), <prefix>_vals (bash case patterns and their answers), _maxpos, _program.
function(gl_table prefix cmd text)
  string(REPLACE "\n" ";" lines "${text}")
  set(long "")
  set(short "")
  set(vals "")
  set(maxpos 0)
  set(program -)
  foreach(line IN LISTS lines)
    if(line STREQUAL "")
      continue()
    endif()
    string(REPLACE "\t" ";" f "${line}")
    list(GET f 0 what)
    if(what STREQUAL "args")
      list(GET f 1 maxpos)
      list(GET f 2 program)
      continue()
    endif()
    list(LENGTH f n)
    if(NOT what STREQUAL "option" OR NOT n EQUAL 5)
      message(FATAL_ERROR "generate.cmake: unexpected line from `graphleak __complete`: ${line}")
    endif()
    list(GET f 1 name)
    list(GET f 2 letter)
    list(GET f 3 kind)
    list(GET f 4 meta)
    list(APPEND long ${name})
    set(pat "\"${cmd} ${name}\"")
    if(NOT letter STREQUAL "-")
      list(APPEND short ${letter})
      string(APPEND pat "|\"${cmd} ${letter}\"")
    endif()
    if(NOT kind STREQUAL "flag")
      string(APPEND vals "\t${pat}) echo \"${kind} ${meta}\" ;;\n")
    endif()
  endforeach()
  set(${prefix}_long "${long}" PARENT_SCOPE)
  set(${prefix}_short "${short}" PARENT_SCOPE)
  set(${prefix}_vals "${vals}" PARENT_SCOPE)
  set(${prefix}_maxpos "${maxpos}" PARENT_SCOPE)
  set(${prefix}_program "${program}" PARENT_SCOPE)
endfunction()

# ---- what the binary says ---------------------------------------------------
gl_run(top_help --help)
gl_run(cmd_table __complete commands)
string(REGEX REPLACE "\t[^\n]*" "" commands "${cmd_table}")
string(STRIP "${commands}" commands)
string(REPLACE "\n" ";" commands "${commands}")
if(NOT commands)
  message(FATAL_ERROR "generate.cmake: `graphleak __complete commands` listed no command")
endif()

# ---- the man page -----------------------------------------------------------
# NAME from the help's first line ("graphleak - what it is"), SYNOPSIS from
# its usage line, DESCRIPTION the rest; then one section per command, its
# `help COMMAND` text.
# (not REGEX REPLACE with '^': CMake applies it again at every match)
string(FIND "${top_help}" "\n" eol)
string(SUBSTRING "${top_help}" 0 ${eol} name_line)
math(EXPR eol "${eol} + 1")
string(SUBSTRING "${top_help}" ${eol} -1 description)
string(STRIP "${description}" description)
string(REGEX MATCH "usage: ([^\n]*)" _ "${top_help}")
set(synopsis "${CMAKE_MATCH_1}")
if(NOT name_line MATCHES "^graphleak - " OR synopsis STREQUAL "")
  message(FATAL_ERROR "generate.cmake: `graphleak --help` does not start with 'graphleak - ...' and a usage line")
endif()
string(REPLACE "-" "\\-" name_line "${name_line}")
string(TIMESTAMP date "%Y-%m-%d" UTC) # SOURCE_DATE_EPOCH, where set
gl_man_text(synopsis_nf "${synopsis}\ngraphleak help COMMAND")
gl_man_text(description_nf "${description}")
set(man ".\\\" graphleak.1 - generated at build time by dist/generate.cmake from the
.\\\" binary's own help (graphleak --help, graphleak help COMMAND): edit those.
.TH GRAPHLEAK 1 \"${date}\" \"graphleak ${VERSION}\" \"User Commands\"
.SH NAME
${name_line}
.SH SYNOPSIS
${synopsis_nf}.SH DESCRIPTION
${description_nf}")
foreach(cmd IN LISTS commands)
  gl_run(help help ${cmd})
  gl_man_text(help_nf "${help}")
  string(APPEND man ".SH \"graphleak ${cmd}\"\n${help_nf}")
endforeach()
string(APPEND man ".SH FILES
.TP
.I ../lib/graphleak/
from the directory of the graphleak binary (as /proc/self/exe names it, so a
moved or DESTDIR-staged tree works): the shim of each CPython minor version, in a
folder of its own, listed with its version in
.IR shims.tsv ;
and
.IR graphleak_run.py ,
the bootstrap of
.BR \"graphleak run\" .
.TP
.I share/doc/graphleak/
README.md and docs/: the snapshot format, the architecture, attaching,
pictures, hardening, installing.
.SH \"SEE ALSO\"
.BR python3 (1),
.BR ptrace (2),
.BR dot (1)
")
file(WRITE ${MAN} "${man}")

# ---- the bash completion ----------------------------------------------------
# graphleak.bash.in has the logic; these are its tables, as bash case arms.
gl_run(globals __complete globals)
gl_table(g "" "${globals}")
list(JOIN g_long " " gl_global_options)
list(JOIN g_short " " _s)
string(APPEND gl_global_options " ${_s}")
set(gl_values "${g_vals}")
set(gl_options "")
set(gl_args "")
foreach(cmd IN LISTS commands)
  gl_run(table __complete options ${cmd})
  gl_table(c "${cmd}" "${table}")
  list(JOIN c_long " " _l)
  list(JOIN c_short " " _s)
  string(STRIP "${_l} ${_s}" _o)
  string(APPEND gl_options "\t${cmd}) echo \"${_o}\" ;;\n")
  string(APPEND gl_values "${c_vals}")
  # what its arguments are: "program" (run), or files named as in its usage
  # line (`usage: graphleak top SNAP ...`, `import FILE.jsonl`)
  if(c_program STREQUAL "program")
    set(kind program)
  else()
    gl_run(help help ${cmd})
    set(kind "*")
    if(help MATCHES "^usage: graphleak ${cmd} [A-Z]+[0-9]*\\.([a-z]+)")
      set(kind "*.${CMAKE_MATCH_1}")
    elseif(help MATCHES "^usage: graphleak ${cmd} SNAP")
      set(kind "*.snap")
    endif()
  endif()
  string(APPEND gl_args "\t${cmd}) echo \"${c_maxpos} ${kind}\" ;;\n")
endforeach()
list(JOIN commands " " gl_commands)
configure_file(${BASH_IN} ${BASH} @ONLY)
