# SPDX-License-Identifier: AGPL-3.0-or-later
# cmake -DIN=FILE -DOUT=FILE.c -DNAME=symbol -P embed.cmake
# Writes FILE.c defining `const unsigned char NAME[]` (the bytes of IN plus a
# terminating NUL) and `const unsigned int NAME_len` (without the NUL), so a
# data file ships inside the binary.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x..," 16 row)
string(REGEX REPLACE "(${row})" "\\1\n\t" bytes "${bytes}")
get_filename_component(src ${IN} NAME)
file(WRITE ${OUT}.tmp
  "/* SPDX-License-Identifier: AGPL-3.0-or-later */\n"
  "/* Generated from ${src} by cmake/embed.cmake: do not edit. */\n"
  "const unsigned char ${NAME}[] = {\n\t${bytes}0x00\n};\n"
  "const unsigned int ${NAME}_len = ${len};\n")
# Replace only when changed, so an unchanged file does not rebuild.
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
