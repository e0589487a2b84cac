# Turns a data file into a C source holding its bytes (NUL-terminated), so the
# library carries its built-in defaults. Run by the build:
#   cmake -DIN=data/NAME.json -DOUT=embed_NAME.c -DNAME=NAME -P cmake/embed.cmake
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR nbytes "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
get_filename_component(inname ${IN} NAME)
file(WRITE ${OUT} "/* Generated from data/${inname} by cmake/embed.cmake during the build. Do not edit. */\n"
  "#include <stddef.h>\n"
  "const unsigned char as_embedded_${NAME}[] = {\n${body}0x00};\n"
  "const size_t as_embedded_${NAME}_len = ${nbytes};\n")
